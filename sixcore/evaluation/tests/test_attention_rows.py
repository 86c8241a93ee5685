"""NDC's needs-attention page reads only the stored rows on its list (``read_rows``): it shows exactly
what the whole stored evaluation gave it (rows, order, words, CSV), a page at a time, and its queries
and decoded rows do not grow with the program."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from sixcore.evaluation import explain, read, read_rows, store
from sixcore.evaluation.extensions import attention_sources
from sixcore.evaluation.models import ResultView
from sixcore.evaluation.rules import LIGHT_LABELS, Light
from sixcore.evaluation.views import attention as view
from sixcore.evaluation.views.common import explained
from sixcore.progress.models import ReportingPeriod
from tests.factories import ndc_reviewer

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from portfolio import build_portfolio, generate_reports  # noqa: E402

URL = "/dashboard/attention/"


@pytest.fixture
def reports(program):
    """111Q2 reports for the seed program (seeded, 示範資料), most of them approved."""
    periods = [ReportingPeriod.by_code("111Q2")]
    generate_reports(periods, rebuild=False)
    store.rebuild(periods)
    return periods[0]


def whole_evaluation_rows(evaluation, user, industry: str = "", kind: str = "") -> list[dict]:
    """The list as the page computed it from the whole stored evaluation (before ``read_rows``)."""
    agency_name = explain.agency_namer(evaluation)
    rows = []
    for k in evaluation.kpis:
        if k.light == Light.RED:
            rows.append(
                {
                    "kind": "kpi",
                    "industry": k.industry,
                    "measure": k.measure,
                    "ref": k.kpi,
                    "what": k.text[:80],
                    "problem": LIGHT_LABELS[k.light],
                    "detail": k.reason,
                    "agency": agency_name(k.reported_by),
                }
            )
    for w in evaluation.work_items:
        if w.light == Light.RED:
            rows.append(
                {
                    "kind": "work_item",
                    "industry": w.industry,
                    "measure": ",".join(w.measures),
                    "ref": f"{w.schedule}/{w.code}",
                    "what": w.title[:80],
                    "problem": LIGHT_LABELS[w.light],
                    "detail": w.reason,
                    "agency": agency_name(w.reported_by),
                }
            )
    for b in evaluation.budget:
        if b.light == Light.RED:
            rows.append(
                {
                    "kind": "budget",
                    "industry": b.industry,
                    "measure": b.key,
                    "ref": b.key,
                    "what": evaluation.measures.get(b.key, {}).get("name", ""),
                    "problem": LIGHT_LABELS[b.light],
                    "detail": b.reason,
                    "agency": agency_name(b.agencies),
                }
            )
    for f in evaluation.flags:
        rows.append(
            {
                "kind": "flag",
                "industry": f.industry,
                "measure": f.measure,
                "ref": f.ref,
                "what": f.code,
                "problem": f.label,
                "detail": f.message,
                "agency": "",
            }
        )
    rows += [r for s in attention_sources() for r in s.rows(user)]
    rows = [
        r for r in rows if (not industry or r["industry"] == industry) and (not kind or r["kind"] == kind)
    ]
    kinds = view._kinds()
    for r in rows:
        r["kind_label"] = kinds[r["kind"]]
        r["measure_link"] = r["measure"].split(",")[0]
        r["industry_label"] = f"{r['industry']} {evaluation.industries.get(r['industry'], '')}".strip()
    return rows


def every_page(client, query: dict) -> tuple[list[dict], list]:
    """The rows of every page of the list, in order, and the first page's response."""
    first = client.get(URL, query)
    rows, page = list(first.context["rows"]), first.context["page"]
    while page.has_next():
        response = client.get(URL, {**query, "page": page.next_page_number()})
        rows += response.context["rows"]
        page = response.context["page"]
    return rows, first


def _table(html: str) -> str:
    return re.search(r'<table class="data" id="attention-table">.*?</table>', html, re.S).group(0)


@pytest.mark.parametrize(
    "query",
    [{}, {"industry": "1"}, {"kind": "flag"}, {"kind": "kpi"}, {"kind": "budget"}, {"kind": "follow_up"}],
)
def test_the_list_is_what_the_whole_evaluation_gave(client, reports, monkeypatch, query):
    """Page by page (a small page size, so the seed's list spans pages), the same rows in the same
    order as the old computation over the whole stored evaluation; the same heading and CSV."""
    user = ndc_reviewer()
    client.force_login(user)
    evaluation = read.stored_evaluation(reports, ResultView.WORKING)
    expected = whole_evaluation_rows(evaluation, user, **query)
    assert query or len(expected) > 10  # the seed has reds and flags to page through
    monkeypatch.setattr(view, "PAGE_SIZE", 7)
    rows, first = every_page(client, {"period": "111Q2", **query})
    assert rows == expected
    heading = first.context["evaluation"]
    assert (heading.revision, heading.industries, heading.is_demo) == (
        evaluation.revision,
        evaluation.industries,
        evaluation.is_demo,
    )
    csv_new = client.get(URL, {"period": "111Q2", **query, "format": "csv"}).content
    monkeypatch.setattr(view, "PAGE_SIZE", 10_000)
    html = client.get(URL, {"period": "111Q2", **query}).content.decode()
    old_html = render_to_string(
        "evaluation/attention.html",
        {
            "period": reports,
            "periods": list(ReportingPeriod.objects.all()),
            "evaluation": evaluation,
            **explained(reports),
            "rows": expected,
            "industry": query.get("industry", ""),
            "kind": query.get("kind", ""),
            "kind_options": list(view._kinds().items()),
        },
    )
    assert _table(html) == _table(old_html)
    header = ["period", "kind", "industry", "measure", "ref", "what", "problem", "detail", "agency"]
    old_csv = view.export.csv_response(
        "x.csv", header, ([reports.code, r["kind_label"]] + [r[h] for h in header[2:]] for r in expected)
    ).content
    assert csv_new == old_csv


def test_pages_keep_the_period_and_filters(client, reports, monkeypatch):
    client.force_login(ndc_reviewer())
    monkeypatch.setattr(view, "PAGE_SIZE", 3)
    html = client.get(URL, {"period": "111Q2", "kind": "flag"}).content.decode()
    assert 'id="attention-pager-top"' in html and 'id="attention-pager-bottom"' in html
    assert "?period=111Q2&amp;industry=&amp;kind=flag&amp;page=2" in html
    assert "第 1–3 筆，共" in html
    last = client.get(URL, {"period": "111Q2", "kind": "flag", "page": "999"})
    assert last.context["page"].number == last.context["page"].paginator.num_pages  # past the end: the last
    monkeypatch.setattr(view, "PAGE_SIZE", 10_000)
    assert "attention-pager" not in client.get(URL, {"period": "111Q2"}).content.decode()


def _counts(client, period: str) -> list[int]:
    counts = []
    for query in ({"period": period}, {"period": period, "page": "2"}, {"period": period, "format": "csv"}):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, query).status_code == 200
        counts.append(len(queries.captured_queries))
    return counts


def test_queries_and_decoded_rows_do_not_grow_with_the_program(client, reports, monkeypatch):
    """Seed vs a 10× program: the same number of queries (page 1, page 2, the CSV); no more than a
    page of stored results decoded for a page."""
    client.force_login(ndc_reviewer())
    monkeypatch.setattr(view, "PAGE_SIZE", 10)
    seed = _counts(client, "111Q2")
    build_portfolio(10, rebuild=False)
    q3 = ReportingPeriod.by_code("111Q3")
    generate_reports([q3], rebuild=False)
    store.rebuild([q3])
    assert read_rows.attention_results(q3, ResultView.WORKING).count() > 10 * 3  # pages to page through
    large = _counts(client, "111Q3")
    assert seed == large, (seed, large)
    decoded = []
    real = read_rows.decode
    monkeypatch.setattr(read_rows, "decode", lambda *a, **k: decoded.append(a[0]) or real(*a, **k))
    client.get(URL, {"period": "111Q3", "page": "2"})
    assert 0 < len(decoded) <= 10


def test_nothing_needs_attention(client, program):
    client.force_login(ndc_reviewer())
    html = client.get(URL, {"period": "111Q2"}).content.decode()
    assert "kind-kpi" not in html and 'id="attention-pager' not in html
