"""Dashboards, the needs-attention list and the evaluation API: pages render, their SQL query counts do
not grow with the program (seed vs a 10× synthetic one), NDC-only access, CSV export, API scope."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sixcore.evaluation.export import BOM, csv_text, neutralise
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from tests.factories import editor, ndc_reviewer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from portfolio import build_portfolio, generate_reports  # noqa: E402

PAGES = [
    "/dashboard/?period={p}",
    "/dashboard/industries/1/?period={p}",
    "/dashboard/measures/1.2/?period={p}",
    "/dashboard/agencies/moea/?period={p}",
    "/dashboard/measures/1.2/kpis/1.2.2/?period={p}",
    "/dashboard/measures/1.2/timeline/?period={p}",
    "/dashboard/attention/?period={p}",
]


@pytest.fixture
def reports(program):
    """111Q2 reports for the seed program (seeded, 示範資料), most of them approved."""
    periods = [ReportingPeriod.by_code("111Q2")]
    generate_reports(periods)
    return periods[0]


def query_counts(client, period: str) -> list[int]:
    counts = []
    for url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url.format(p=period))
        assert response.status_code == 200, url
        counts.append(len(queries.captured_queries))
    return counts


def test_query_counts_do_not_grow_with_the_program(client, reports):
    client.force_login(ndc_reviewer())
    seed = query_counts(client, "111Q2")
    big = build_portfolio(10)
    generate_reports([ReportingPeriod.by_code("111Q3")])
    large = query_counts(client, "111Q3")
    assert big.revision == 1
    assert seed == large, (seed, large)
    assert max(seed) <= 24
    html = client.get("/dashboard/?period=111Q3").content.decode()
    assert "1.2x9" in html  # the 10× program is what was evaluated


@pytest.mark.parametrize("url", PAGES[:-1])
def test_public_pages_render_with_demo_label_and_tables(client, reports, url):
    response = client.get(url.format(p="111Q2"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="demo-label"' in html and "示範資料" in html
    assert "<table" in html  # every chart is also a table


def test_program_dashboard_pieces(client, reports):
    html = client.get("/dashboard/?period=111Q2").content.decode()
    for element in (
        "lights-chart",
        "lights-table",
        "budget-chart",
        "budget-table",
        "risk-table",
        "completeness-table",
        "kpi-table",
    ):
        assert f'id="{element}"' in html, element
    assert "evaluation/dashboard.js" in html and "vendor/echarts/echarts.min.js" in html


def test_lights_and_flags_explain_themselves_in_chinese(client, reports):
    """The reason behind each light (the tooltip of the KPI table) and each needs-attention line is
    written in the site's language, not in the English of the code."""
    english = re.compile(
        r"no target for|no report yet|achievement \d|of expected|milestone|behind by|points|lag \d"
    )
    html = client.get("/dashboard/?period=111Q2").content.decode()
    titles = re.findall(r'class="light light-\w+" title="([^"]*)"', html)
    assert titles and not [t for t in titles if english.search(t)], titles[:5]
    assert any("達成率" in t and "預期值" in t for t in titles)
    client.force_login(ndc_reviewer())
    page = client.get("/dashboard/attention/?period=111Q2").content.decode()
    rows = re.findall(r'<table[^>]*id="attention-table".*?</table>', page, re.S)
    assert rows and not english.search(re.sub(r"<[^>]+>", " ", rows[0]))


def test_public_dashboard_counts_approved_reports_only(client, reports):
    Submission.objects.filter(period=reports).update(status=SubmissionStatus.DRAFT)
    html = client.get("/dashboard/?period=111Q2").content.decode()
    assert 'id="demo-label"' not in html  # nothing visible, so no demo figure either
    assert 'id="scope-note"' in html


def test_unknown_things_are_404(client, reports):
    for url in (
        "/dashboard/?period=999Q9",
        "/dashboard/industries/9/",
        "/dashboard/measures/9.9/",
        "/dashboard/agencies/nobody/",
        "/dashboard/measures/1.2/kpis/9.9.9/",
    ):
        assert client.get(url).status_code == 404, url


def test_attention_is_for_ndc_only(client, reports):
    assert client.get("/dashboard/attention/").status_code == 302
    client.force_login(editor("moea"))
    assert client.get("/dashboard/attention/").status_code == 403
    client.force_login(ndc_reviewer())
    html = client.get("/dashboard/attention/?period=111Q2&kind=flag").content.decode()
    assert 'id="attention-table"' in html and "kind-flag" in html and "kind-kpi" not in html


def test_attention_csv_has_bom_and_is_filterable(client, reports):
    client.force_login(ndc_reviewer())
    response = client.get("/dashboard/attention/?period=111Q2&format=csv&industry=1")
    body = response.content.decode("utf-8")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:3] == ["period", "kind", "industry"] and len(rows) > 1
    assert {row[2] for row in rows[1:]} == {"1"}


def test_csv_cells_are_neutralised():
    for dangerous in ("=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("正常") == "正常" and neutralise(-5) == -5 and neutralise(None) == ""
    text = csv_text(["a"], [['=HYPERLINK("x")']])
    assert text.startswith(BOM) and "'=HYPERLINK" in text


def test_api_kpis_within_scope(client, reports):
    moea = Submission.objects.get(period=reports, industry__code="1", agency__code="moea")
    Submission.objects.filter(pk=moea.pk).update(status=SubmissionStatus.DRAFT)
    KPIReport.objects.filter(submission=moea, kpi__code="1.2.2").update(value=123)
    public = {k["kpi"]: k for k in client.get("/api/evaluation/kpis/?period=111Q2").json()}
    assert set(public["1.2.2"]) >= {"kpi", "expected", "actual", "achievement", "light"}
    assert public["1.2.2"]["actual"] != 123  # the draft is not public
    client.force_login(editor("moea"))
    own = {k["kpi"]: k for k in client.get("/api/evaluation/kpis/?period=111Q2").json()}
    assert own["1.2.2"]["actual"] == 123 and own["1.2.2"]["light"] == "green"


def test_api_rollups(client, reports):
    for by in ("industry", "strategy", "measure", "agency"):
        rows = client.get(f"/api/evaluation/rollups/?period=111Q2&by={by}").json()
        assert rows and set(rows[0]) == {"key", "label", "counts", "items", "weighted_achievement"}
    assert client.get("/api/evaluation/rollups/?period=111Q2&by=planet").status_code == 400
    assert client.get("/api/evaluation/kpis/").status_code == 400
    assert client.get("/api/evaluation/kpis/?period=999Q9").status_code in (400, 404)


def test_api_schema_documents_the_endpoints(client, program):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/evaluation/kpis/" in schema and "/api/evaluation/rollups/" in schema
