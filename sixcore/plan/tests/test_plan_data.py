"""The program as data: counts, every budget cell, and spot checks in every industry, against the seed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from sixcore.accounts.models import Agency
from sixcore.plan import models as plan

BUDGET = {  # 表 3, seed lines 2206–2212, 億元
    "1": ["93.45", "136.93", "147.57", "133.97", "511.92"],
    "2": ["13.45", "13.61", "14.2", "13.44", "54.7"],
    "3": ["11.33", "33.91", "33.43", "32.99", "111.66"],
    "4": ["28.69", "38.59", "43.2", "43.06", "153.54"],
    "5": ["14.85", "13.37", "13.78", "11.39", "53.39"],
    "6": ["32.05", "80.45", "69.39", "64.76", "246.65"],
}
YEAR_TOTALS = {110: "193.82", 111: "316.86", 112: "321.57", 113: "299.61"}


def test_counts(program):
    assert program.industries.count() == 6
    assert plan.Measure.objects.filter(industry__program=program).count() == 45
    assert plan.ScheduleTable.objects.filter(industry__program=program).count() == 42
    kpis = plan.KPI.objects.filter(measure__industry__program=program)
    assert kpis.count() == 140
    assert len({k.code.split("#")[0] for k in kpis}) == 139
    assert plan.AnnualTarget.objects.filter(kpi__measure__industry__program=program).count() == 140 * 4


def test_schedule_table_codes(program):
    codes = Counter(
        s.code.split("-")[0] for s in plan.ScheduleTable.objects.filter(industry__program=program)
    )
    assert codes == {"1": 8, "2": 4, "3": 5, "4": 10, "5": 7, "6": 8}


def test_measures_per_industry(program):
    counts = Counter(
        m.industry.code
        for m in plan.Measure.objects.filter(industry__program=program).select_related("industry")
    )
    assert counts == {"1": 8, "2": 5, "3": 5, "4": 10, "5": 7, "6": 10}


@pytest.mark.parametrize("industry", sorted(BUDGET))
def test_budget_cells_and_row_subtotal(program, industry):
    cells = {b.year: b.amount for b in program.budget_lines.filter(industry__code=industry)}
    assert [cells[y] for y in (110, 111, 112, 113)] == [Decimal(v) for v in BUDGET[industry][:4]]
    stated = program.budget_totals.get(kind="industry", industry__code=industry)
    assert stated.amount == Decimal(BUDGET[industry][4])
    assert sum(cells.values()) == stated.amount


@pytest.mark.parametrize(("year", "total"), sorted(YEAR_TOTALS.items()))
def test_budget_year_totals(program, year, total):
    assert program.budget_totals.get(kind="year", year=year).amount == Decimal(total)
    assert sum(b.amount for b in program.budget_lines.filter(year=year)) == Decimal(total)


def test_budget_grand_total(program):
    assert program.budget_totals.get(kind="grand").amount == Decimal("1131.86")
    assert sum(b.amount for b in program.budget_lines.all()) == Decimal("1131.86")


def test_visions_and_lead_units(program):
    industries = {i.code: i for i in program.industries.all()}
    assert industries["1"].vision == "推動臺灣成為貢獻全球繁榮與安全的數位基地。"
    assert industries["6"].vision == "確保關鍵物資供應。"
    leads = [link.agency.code for link in industries["2"].industryleadagency_set.order_by("order")]
    assert leads == ["dcs", "bost", "ndc"]
    assert [s.code for s in industries["4"].sub_areas.all()] == ["aviation_shipbuilding", "space"]
    assert industries["4"].sub_areas.get(code="space").vision == "行銷太空國家品牌"


def test_defense_strategies_split_by_sub_area(program):
    strategies = plan.Strategy.objects.filter(industry__program=program, industry__code="4").select_related(
        "sub_area"
    )
    by_area = Counter(s.sub_area.code for s in strategies)
    assert by_area == {"aviation_shipbuilding": 4, "space": 4}


@pytest.mark.parametrize(
    ("measure", "code", "full_term", "annual"),
    [
        (
            "1.2",
            "1.2.2",
            "113 年完成驗證實測 9 項",
            {"110": "協助廠商提出申請 4 項半導體前/後段設備申請驗證測試"},
        ),
        ("1.7", "1.7.3", "113 年中小企業 5G 創新應用 35 項", {"113": "累計推動中小企業 5G 創新應用 38 項"}),
        (
            "2.1",
            "2.1.14",
            "每年培育高階資安技術研發人才 200 人次",
            {"112": "培育高階資安技術研發人才 200 人次"},
        ),
        ("3.4", "3.4.1", None, {"110": "結合數位行銷推動我國製藥產業國際化，爭取國際訂單 40 萬美元"}),
        (
            "4.9",
            "4.9.3",
            "2020-2025 帶動臺灣衛星地面設備相關產值增加至少 800 億元",
            {"110": "帶動臺灣衛星地面設備相關產值增加至少 140 億"},
        ),
        ("5.3", "5.3.2", None, {"112": "累計企業獲保額度達總額 80%"}),
        (
            "6.1",
            "6.2.2",
            None,
            {"110": "執行查核作業，確保石油、煤炭、天然氣安全存量符合(90天、30天、7天)法定規範"},
        ),
        ("6.3", "6.3.5", "每年持續協助我國緊急缺藥之即時及預先評估短缺通報案50件，保障民眾用藥權益", {}),
    ],
)
def test_kpi_spot_checks(program, measure, code, full_term, annual):
    kpi = plan.KPI.objects.get(measure__industry__program=program, measure__code=measure, code=code)
    if full_term:
        assert kpi.full_term_text == full_term
    texts = {str(a.year): a.cell.text for a in kpi.annual_targets.select_related("cell")}
    for year, text in annual.items():
        assert texts[year] == text


def test_dash_means_no_target(program):
    kpi = plan.KPI.objects.get(measure__industry__program=program, code="1.1.1")
    annual = {a.year: a for a in kpi.annual_targets.select_related("cell")}
    assert annual[110].cell.text == "-" and annual[110].target is None and annual[110].source == "none"
    assert annual[113].target["kind"] == "cumulative" and annual[113].target["value"] == 2


def test_merged_cells_are_stored_once_and_linked(program):
    kpis = {
        k.code: k
        for k in plan.KPI.objects.filter(
            measure__industry__program=program, measure__code="6.2", code__in=["6.2.1", "6.2.2", "6.2.3"]
        )
    }
    cells = {code: {a.year: a.cell_id for a in k.annual_targets.all()} for code, k in kpis.items()}
    for year in (110, 111, 112, 113):
        assert cells["6.2.1"][year] == cells["6.2.2"][year] == cells["6.2.3"][year]
    assert all(a.merged for k in kpis.values() for a in k.annual_targets.all())


def test_kpi_code_printed_twice_is_kept_under_both_measures(program):
    rows = plan.KPI.objects.filter(measure__industry__program=program, code="6.2.2").select_related("measure")
    assert sorted(r.measure.code for r in rows) == ["6.1", "6.2"]


def test_industry_six_links_schedules_by_title(program):
    links = {
        m.code: m.schedule.code if m.schedule else None
        for m in plan.Measure.objects.filter(industry__program=program, industry__code="6").select_related(
            "schedule"
        )
    }
    assert links == {
        "6.1": "6-1",
        "6.2": "6-5",
        "6.3": "6-2",
        "6.4": "6-3",
        "6.5": "6-4",
        "6.6": "6-6",
        "6.7": "6-7",
        "6.8": None,
        "6.9": None,
        "6.10": "6-8",
    }
    schedule_2_4 = plan.ScheduleTable.objects.get(industry__program=program, code="2-4")
    assert sorted(schedule_2_4.measures.values_list("code", flat=True)) == ["2.4", "2.5"]


@pytest.mark.parametrize(
    ("schedule", "code", "title_start", "start", "end", "lead"),
    [
        (
            "1-1",
            "1.1.1",
            "徵求、審核關鍵元件與電路技術相關計畫",
            date(2020, 12, 1),
            date(2021, 4, 1),
            ["科技部(工程司)"],
        ),
        (
            "1-2",
            "1.1.1",
            "公告「產業升級創新平台輔導計畫」",
            date(2020, 9, 1),
            date(2022, 12, 1),
            ["經濟部(工業局)"],
        ),
        ("2-2", "1.1.1", None, None, None, ["通傳會"]),
        ("3-1", "1.1.1", None, None, None, None),
        ("4-1", "2.1.2", "針對國內廠家能量不足", date(2020, 8, 1), date(2022, 10, 1), None),
        ("5-1", "1.1.1", None, None, None, None),
        ("6-1", "1.1.1", "分析國際石油市場供需與價格情勢", date(2021, 1, 1), date(2024, 12, 1), None),
    ],
)
def test_work_item_spot_checks(program, schedule, code, title_start, start, end, lead):
    item = plan.WorkItem.objects.get(schedule__industry__program=program, schedule__code=schedule, code=code)
    if title_start:
        assert item.title.startswith(title_start)
    if start:
        assert (item.start, item.end) == (start, end)
    assert item.start is not None and item.end is not None and item.start <= item.end
    leads = [
        link.agency.name for link in item.workitemagency_set.filter(role="lead").select_related("agency")
    ]
    assert leads, "every work item has a lead agency"
    if lead:
        assert leads == lead


def test_every_industry_has_work_items(program):
    counts = Counter(
        w.schedule.industry.code
        for w in plan.WorkItem.objects.filter(schedule__industry__program=program).select_related(
            "schedule__industry"
        )
    )
    assert set(counts) == {"1", "2", "3", "4", "5", "6"}
    assert sum(counts.values()) > 500


def test_agency_register(program):
    core = Agency.objects.filter(kind="core")
    assert sorted(core.values_list("code", flat=True)) == sorted(
        [
            "moea",
            "most",
            "motc",
            "mohw",
            "moc",
            "moe",
            "mol",
            "mofa",
            "mof",
            "moi",
            "ndc",
            "ncc",
            "fsc",
            "ndf",
            "pcc",
            "coa",
            "dcs",
            "bost",
        ]
    )
    assert Agency.objects.get(code="mnd").name == "國防部"
    idb = Agency.objects.get(name="經濟部(工業局)")
    assert idb.code == "moea-idb" and idb.parent.code == "moea"
    for agency in Agency.objects.all():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", agency.code), agency.code


def test_every_record_points_at_its_seed_line(program, seed_lines):
    """Traceability: each KPI and work item code is printed on the line it claims (or a continuation line)."""

    def printed_near(code: str, lines: list[int]) -> bool:
        window = "".join(seed_lines[n - 1] for n in lines if 0 < n <= len(seed_lines))
        return code in window.replace(" ", "")

    for kpi in plan.KPI.objects.filter(measure__industry__program=program):
        assert printed_near(kpi.code.split("#")[0], [kpi.line, kpi.line + 1, *kpi.extra_lines]), kpi.code
    missing = [
        f"{w.schedule.code}/{w.code}"
        for w in plan.WorkItem.objects.filter(
            schedule__industry__program=program, code_in_source=True
        ).select_related("schedule")
        if not printed_near(w.code.split("#")[0], [w.line - 1, w.line, w.line + 1])
    ]
    assert missing == []


def test_kpi_texts_are_verbatim(program, seed_lines):
    """The start of every full-term text is in the seed at the KPI's line (whitespace aside)."""
    for kpi in plan.KPI.objects.filter(measure__industry__program=program):
        window = "".join(seed_lines[n - 1] for n in [kpi.line, *kpi.extra_lines])
        window = re.sub(r"\s+|<[^>]+>", "", window)
        head = re.sub(r"\s+", "", kpi.full_term_text)[:4]  # a cell may continue on a later line
        assert head in window, (kpi.code, head)
