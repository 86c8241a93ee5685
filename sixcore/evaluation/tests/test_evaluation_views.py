"""Dashboards, the needs-attention list and the evaluation API: pages render, their SQL query counts do
not grow with the program (seed vs a 10× synthetic one), NDC-only access, CSV export, API scope."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sixcore.evaluation import store
from sixcore.evaluation.export import BOM, csv_text, neutralise
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from tests.factories import editor, ndc_reviewer

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
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
    generate_reports(periods, rebuild=False)
    store.rebuild(periods)  # the period these tests read (not the later ones its history reaches)
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
    big = build_portfolio(10, rebuild=False)
    q3 = ReportingPeriod.by_code("111Q3")
    generate_reports([q3], rebuild=False)
    store.rebuild([q3])  # the period read here (the later ones are not)
    large = query_counts(client, "111Q3")
    assert big.revision == 1
    assert seed == large, (seed, large)
    assert max(seed) <= 24
    html = client.get("/dashboard/industries/1/?period=111Q3").content.decode()
    assert "1.2x9" in html  # the 10× program is what was evaluated (a measure's roll-up row)


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
    """The reason behind each light (written beside it in the KPI table) and each needs-attention line is
    written in the site's language, not in the English of the code."""
    english = re.compile(
        r"no target for|no report yet|achievement \d|of expected|milestone|behind by|points|lag \d"
    )
    html = client.get("/dashboard/?period=111Q2").content.decode()
    reasons = re.findall(r'<span class="reason">([^<]*)</span>', html)
    assert reasons and not [t for t in reasons if english.search(t)], reasons[:5]
    assert any("達成率" in t and "預期值" in t for t in reasons)
    client.force_login(ndc_reviewer())
    page = client.get("/dashboard/attention/?period=111Q2").content.decode()
    rows = re.findall(r'<table[^>]*id="attention-table".*?</table>', page, re.S)
    assert rows and not english.search(re.sub(r"<[^>]+>", " ", rows[0]))


def test_public_dashboard_counts_approved_reports_only(client, reports):
    Submission.objects.filter(period=reports).update(status=SubmissionStatus.DRAFT)
    store.rebuild([reports])
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
    store.rebuild([reports])
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


# --- dashboards that explain themselves (issue #17, item 5) -----------------------------------------


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _legend(html: str) -> str:
    found = re.search(r'<section class="light-legend".*?</section>', html, re.S)
    assert found, "no 燈號說明"
    return _text(found.group(0))


@pytest.mark.parametrize("url", PAGES)
def test_every_dashboard_has_the_light_legend_and_its_as_of_date(client, reports, url):
    client.force_login(ndc_reviewer())
    html = client.get(url.format(p="111Q2")).content.decode()
    legend = _legend(html)
    assert "燈號說明" in legend
    assert "績效指標達成率 100% 以上" in legend and "未達 80%" in legend
    assert "預算執行率 90% 以上" in legend
    assert "10 個百分點以內" in legend and "超過 20 個百分點" in legend
    if "/kpis/" not in url:  # the KPI page spans every quarter; the others stand at the period's end
        assert "資料截至 111/6/30" in html


def test_legend_and_lights_follow_the_thresholds_in_force(client, reports, monkeypatch):
    """The legend is the Thresholds object the evaluation used, not text: change it, the page follows."""
    from sixcore.evaluation import rules

    url = "/dashboard/measures/1.2/?period=111Q2"
    before = client.get(url).content.decode()
    strict = rules.Thresholds(kpi_green="1.5", kpi_yellow="1.4", budget_green="0.97", budget_yellow="0.95")
    monkeypatch.setattr(rules, "DEFAULT_THRESHOLDS", strict)
    call_command("evaluate", "--rebuild", "--period", "111Q2", verbosity=0)  # what a deployment runs
    after = client.get(url).content.decode()
    legend = _legend(after)
    assert "績效指標達成率 150% 以上" in legend and "績效指標達成率 未達 140%" in legend
    assert "預算執行率 97% 以上" in legend and "100% 以上" not in legend
    assert '"line": 97.0' in after and "對照 97% 基準線" in after  # the budget chart's dashed line
    # … and the lights were judged with the same numbers: no KPI reaches 150 %.
    assert re.findall(r'id="kpi-table".*?</table>', before, re.S)[0].count("light-green") > 0
    assert re.findall(r'id="kpi-table".*?</table>', after, re.S)[0].count("light-green") == 0


def test_each_light_has_its_reason_as_text(client, reports):
    for url in PAGES[2:6]:
        html = client.get(url.format(p="111Q2")).content.decode()
        lights = re.findall(r'<td><span class="light light-\w+"[^>]*>[^<]*</span>(.*?)</td>', html, re.S)
        assert lights, url
        assert all('class="reason"' in rest for rest in lights if rest.strip()), url
        assert 'class="light light-' in html and "title=" not in re.sub(
            r"<(?!span class=\"light)[^>]*>", "", html
        )


def test_attention_page_names_agencies(client, reports):
    client.force_login(ndc_reviewer())
    html = client.get("/dashboard/attention/?period=111Q2").content.decode()
    table = re.search(r'id="attention-table".*?</table>', html, re.S).group(0)
    agencies = [_text(cell).strip() for cell in re.findall(r"<td>([^<]*)</td></tr>", table)]
    named = [a for a in agencies if a]
    assert named, "no agency on the attention page"
    assert not [a for a in named if re.fullmatch(r"[a-z_,]+", a)], named[:5]
    assert any("經濟部" in a for a in named)
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get("/dashboard/attention/?period=111Q2&format=csv").content.decode("utf-8-sig")
            )
        )
    )
    assert "moea" not in {row[-1] for row in csv_rows[1:]}


def test_each_chart_has_its_own_name_and_caption(client, reports):
    labels = []
    for url in PAGES[:-1]:
        html = client.get(url.format(p="111Q2")).content.decode()
        names = re.findall(r'role="img" aria-label="([^"]*)"', html)
        captions = [_text(c).strip() for c in re.findall(r"<caption>(.*?)</caption>", html, re.S)]
        assert names, url
        for name in names:
            assert "（圖表；數據同下表）" in name, name
            title = name.replace("（圖表；數據同下表）", "")
            assert any(title in c for c in captions), (url, title, captions)  # its table says which chart
        labels += names
    assert len(labels) == len(set(labels)), labels
    assert any("各產業預算執行率" in label for label in labels)
    assert any("1.2 與國內外業者合作開發半導體設備及材料" in label for label in labels)
