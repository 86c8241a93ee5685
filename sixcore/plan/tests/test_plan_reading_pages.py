"""#19 on the plan pages: typeset targets, footnotes, levels, parts of shared cells, flags and
inferred marks — shown to people, with the English reasons for signed-in officers only."""

from __future__ import annotations

from django.urls import reverse


def _html(client, *args, name="plan:kpi"):
    return client.get(reverse(name, args=args)).content.decode()


def test_latex_is_typeset_on_the_kpi_page(client, program):
    html = _html(client, "5.1", "5.1.1")
    assert "光電轉換效率 ≥ 24%" in html and "材料能隙 ≥ 1.6 eV" in html
    assert "\\geq" not in html and "\\text" not in html
    assert "水準" in html  # the level kind, in the reader's words


def test_latex_is_typeset_on_the_measure_page(client, program):
    html = _html(client, "1.1", name="plan:measure")
    assert "$\\alpha$" not in html and "\\beta" not in html
    html = _html(client, "1.2", name="plan:measure")
    assert "α-site" in html or "β-site" in html


def test_footnote_is_shown_with_its_cell(client, program):
    html = _html(client, "5.3", "5.3.2")
    assert "迄 114 年提供總保證額度達 1,000 億元<sup" in html  # the marker "10" is a footnote, not text
    assert 'id="fn-10"' in html and "將依國發基金與參與銀行實際出資額 10 倍計算融資保證額度" in html
    html = _html(client, "5.3", name="plan:measure")
    assert 'href="#fn-8"' in html and 'id="fn-8"' in html and 'id="fn-10"' in html


def test_kpi_without_footnote_has_no_footnote_section(client, program):
    assert 'class="footnotes"' not in _html(client, "1.2", "1.2.4")
    assert 'class="footnotes"' not in _html(client, "1.1", name="plan:measure")


def test_shared_cell_part_and_none(client, program):
    html = _html(client, "6.5", "6.5.4")
    assert "共用儲存格中無本指標之內容" in html
    assert "本指標適用之部分" in html and "建置冷鏈物流中心 2 處" in html


def test_unit_change_and_uncertain_flags(client, admin_client, program):
    html = _html(client, "2.3", "2.3.1")
    assert "不比較（不評燈）" in html
    html = _html(client, "4.10", "4.10.1")
    assert "判讀存疑" in html
    assert "it may be each year's own count" not in html  # English reason: officers only
    officer = admin_client.get(reverse("plan:kpi", args=["4.10", "4.10.1"])).content.decode()
    assert "it may be each year&#x27;s own count" in officer


def test_inferred_marks_on_work_items(client, admin_client, program):
    html = _html(client, "4.9", name="plan:measure")
    assert "機關推定" in html
    assert "doubtful" not in html  # the reason is an English note: officers only
    assert "doubtful" in admin_client.get(reverse("plan:measure", args=["4.9"])).content.decode()


def test_repeated_codes_are_shown_as_printed(client, program):
    html = _html(client, "4.10", name="plan:measure")
    assert "#2" not in html
    html = _html(client, "6.2", name="plan:measure")
    assert "6.2.2#2" not in html


def test_footnotes_of_a_page_are_in_number_order(client, program):
    html = _html(client, "5.3", name="plan:measure")
    assert html.index('id="fn-8"') < html.index('id="fn-10"')


def test_overview_and_industry_counts_are_exact_and_not_a_cross_join(client, program):
    """The counts equal the rows; each is its own subquery (joining measures, KPIs, schedules and
    work items and counting DISTINCT multiplied the rows: 7 s at 10× the seed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from sixcore.plan import models as plan

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    industries = {i.code: i for i in response.context["industries"]}
    for industry in industries.values():
        assert industry.n_measures == plan.Measure.objects.filter(industry=industry).count()
        assert industry.n_kpis == plan.KPI.objects.filter(measure__industry=industry).count()
        assert industry.n_schedules == plan.ScheduleTable.objects.filter(industry=industry).count()
        assert industry.n_work_items == plan.WorkItem.objects.filter(schedule__industry=industry).count()
    assert (
        response.context["totals"]["kpis"]
        == plan.KPI.objects.filter(measure__industry__program=program).count()
    )
    assert not any("COUNT(DISTINCT" in q["sql"] for q in queries.captured_queries)
    first = next(iter(industries))
    page = client.get(reverse("plan:industry", args=[first]))
    assert page.status_code == 200
    for _strategy, measures in page.context["strategies"]:
        for m in measures:
            assert m.n_kpis == m.kpis.count()
            assert m.n_items == (m.schedule.work_items.count() if m.schedule else 0)
