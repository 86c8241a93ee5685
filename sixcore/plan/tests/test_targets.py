"""Tests for sixcore.plan.targets (target text → quantified target)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixcore.plan.targets import KINDS, QuantifiedTarget, Quantity, parse_target

SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "000_cbe2ebe5cd6892fc.txt"

D = Decimal


def _parse(text: str, scope: str = "annual") -> QuantifiedTarget:
    result = parse_target(text, scope)
    assert result is not None, text
    return result


# --- the examples of the brief ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scope", "kind", "value", "low", "high", "unit", "by_year"),
    [
        ("累計推動 2~3 家國際級領導廠商在臺前瞻研究布局", "annual",
         "cumulative", None, 2, 3, "家", None),
        ("每年培育高階資安技術研發人才 200 人次", "full_term",
         "per_period", 200, 200, 200, "人次", None),
        ("培育高階資安技術研發人才 200 人次", "annual", "per_period", 200, 200, 200, "人次", None),
        ("113 年完成驗證實測 9 項", "full_term", "cumulative", 9, 9, 9, "項", 113),
        ("累計完成半導體材料及量測創新技術 5 項", "annual", "cumulative", 5, 5, 5, "項", None),
        ("113 年中小企業 5G 創新應用 35 項", "full_term", "cumulative", 35, 35, 35, "項", 113),
        ("全國三級庫存安全儲備量達成率 100 %", "full_term",
         "level", 100, 100, 100, "%", None),
        ("113 年完成與指標性產業共同合作開發技術至少 2 件", "full_term",
         "cumulative", 2, 2, None, "件", 113),
        ("完成 4 項以上我國 AIoT 創新產品開發", "annual", "per_period", 4, 4, None, "項", None),
        ("累計 3 案(含)以上國內半導體業者投入", "annual", "cumulative", 3, 3, None, "案", None),
        ("建立高教機機體結構 14 (含) 項以上", "full_term", "cumulative", 14, 14, None, "項", None),
        ("協助 10(含)家次以上國內廠商", "annual", "per_period", 10, 10, None, "家次", None),
        ("核心技術 8 項(含) 以上", "annual", "per_period", 8, 8, None, "項", None),
        ("逾 30 家廠商參與", "annual", "per_period", 30, 30, None, "家", None),
        ("開發新興科技資安攻防實證場域 1-2 項", "annual", "per_period", None, 1, 2, "項", None),
        ("成立 3 至 6 個學研中心", "full_term", "cumulative", None, 3, 6, "個", None),
        ("成立 3~6 所學研中心", "annual", "per_period", None, 3, 6, "所", None),
        ("預計發包施工完成 1,200 坪", "annual", "per_period", 1200, 1200, 1200, "坪", None),
        ("協助促成精準健康產業投資達新臺幣 6.5 億元", "annual",
         "per_period", D("6.5"), D("6.5"), D("6.5"), "億元", None),
        ("爭取國際訂單累計共 300 萬美元", "full_term", "cumulative", 300, 300, 300, "萬美元", None),
        ("完成三顆福衛八號衛星發射", "full_term", "cumulative", 3, 3, 3, "顆", None),
        ("導入兩項關鍵技術", "annual", "per_period", 2, 2, 2, "項", None),
        ("完成１２項驗證", "annual", "per_period", 12, 12, 12, "項", None),  # full-width digits
        ("光電轉換效率 $\\geq 24\\%$", "full_term", "level", 24, 24, None, "%", None),
        ("擴展300以上案場，交易30億度綠電", "full_term",
         "cumulative", 300, 300, None, "案場", None),
        ("迄 114 年提供總保證額度達 1,000 億元 <sup>10</sup>", "full_term",
         "cumulative", 1000, 1000, 1000, "億元", 114),
        ("辦理系統功能暨藥政動員教育訓練共計16場次", "full_term",
         "cumulative", 16, 16, 16, "場次", None),
        ("維持原料庫存至少1 個月", "full_term", "level", 1, 1, None, "個月", None),
        ("降低儲存空間 10% 以下", "annual", "per_period", 10, None, 10, "%", None),
    ],
)  # fmt: skip
def test_parse_target_examples(
    text: str,
    scope: str,
    kind: str,
    value: int | Decimal | None,
    low: int | Decimal | None,
    high: int | Decimal | None,
    unit: str,
    by_year: int | None,
) -> None:
    result = _parse(text, scope)
    assert (result.kind, result.value, result.min, result.max, result.unit, result.by_year) == (
        kind,
        value,
        low,
        high,
        unit,
        by_year,
    )


@pytest.mark.parametrize(
    "text",
    [
        "建立 5G 獨立組網 (SA) 及多接取邊緣運算 (MEC) 系統資安管理機制",
        "完成5G資安自動化檢測技術研發",
        "建構 9~14MW 風力機生產基地",
        "完成 9~14 MW 風力機關鍵零組件在地生產",
        "建立 ISO27001 品質系統管理機制",
        "第一顆福衛八發射",
        "114年發射首顆 B5G 衛星",
        "於 110/12/31 前邀集招標機關共同研商",
        "以 5G 法人計畫參與國際 3GPP R16、R17 標準提案",
        "完成能支援多個矽基 Qubit 之 1~20GHz 控制驅動電路架構評估及 4K 量測驗證",
        "建立 28矽 量子位元元件",
        "聚焦可發展 3 奈米以下製程之 12 吋設備",
        "實現能執行 2 量子位元之量子電腦",
        "完成 Wi-Fi 6 驗證",
        "執行 FY111 先進科研計畫",
        "依 6.2.1 規定辦理",
        "2020-2025 帶動臺灣衛星地面設備產值",
        "1. 製作地面設備雛型 2. 設計地面設備並通過關鍵設計審查",
        "偵測 sub-nA 之電流變化",
        "完成極低溫(mK)量測系統建置",
        "第 1 階段 前置期項目外，再納入塔架施工",
        "已於 110 年 2 月 6 日完成交通道路",
        "參與 Satellite 2021 展會",
        "落實醫療院所、地方政府及中央政府三級庫存",
    ],
)
def test_texts_without_a_count_are_milestones(text: str) -> None:
    result = _parse(text, "full_term")
    assert result.kind == "milestone"
    assert (result.value, result.min, result.max, result.unit) == (None, None, None, "")
    assert result.basis == "no quantity"
    assert result.components == ()


@pytest.mark.parametrize("text", ["-", "", "－", "   ", " - ", "\t", "—", "<p>-</p>"])
def test_no_target_texts_return_none(text: str) -> None:
    assert parse_target(text, "annual") is None
    assert parse_target(text, "full_term") is None


def test_scope_must_be_known() -> None:
    with pytest.raises(ValueError, match="scope"):
        parse_target("完成 1 件", "yearly")


# --- kind and basis -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scope", "kind", "basis"),
    [
        ("累計完成 5 項", "annual", "cumulative", "keyword 累計"),
        ("對接國外技術或研究機構累積達2家", "annual", "cumulative", "keyword 累積"),
        ("教育訓練共計16場次", "annual", "cumulative", "keyword 共計"),
        ("合計 4 案", "annual", "cumulative", "keyword 合計"),
        ("每年完成至少 2 件驗測服務", "full_term", "per_period", "keyword 每年"),
        ("每季盤點 1 次", "full_term", "per_period", "keyword 每季"),
        ("每月提報 1 份", "full_term", "per_period", "keyword 每月"),
        ("每半年辦理 1 場", "full_term", "per_period", "keyword 每半年"),
        ("年均成長 5 %", "full_term", "per_period", "keyword 年均"),
        ("113 年前完成 12 處設備升級", "full_term", "cumulative", "keyword 至…年"),
        ("至 113 年完成 3 案", "full_term", "cumulative", "keyword 至…年"),
        ("113 年 12 月前輔導業者認證 4 項(含)以上", "full_term", "cumulative", "keyword 至…年"),
        ("完成 5 項", "full_term", "cumulative", "full-term default"),
        ("完成 5 項", "annual", "per_period", "annual default"),
        # A deadline in an annual cell is that year's due date, not a program total.
        ("預計於 110 年 6 月底前完成加速造地 6.9 公頃", "annual", "per_period", "annual default"),
        # The keyword nearest before the primary quantity decides ...
        ("每年協助上市申請 1 件，累計 4 件", "full_term", "per_period", "keyword 每年"),
        ("累計促成 3 案，其中每年 1 案", "full_term", "cumulative", "keyword 累計"),
        # ... and a keyword after it belongs to a later clause.
        ("補助防疫科學研究中心 3-5 家，維運實驗室累計 5 間", "annual", "per_period",
         "annual default"),
        # 全程 in 全程冷鏈 ("end-to-end") is not a cumulative keyword.
        ("建立農產品全程冷鏈外銷示範模式 2 品項", "annual", "per_period", "annual default"),
        ("建立資安管理機制", "full_term", "milestone", "no quantity"),
        ("每季盤點口罩原料熔噴布", "full_term", "milestone", "no quantity"),
    ],
)  # fmt: skip
def test_kind_and_basis(text: str, scope: str, kind: str, basis: str) -> None:
    result = _parse(text, scope)
    assert (result.kind, result.basis) == (kind, basis)


# --- by_year ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "by_year"),
    [
        ("113 年完成驗證實測 9 項", 113),
        ("掌握安全存量資訊，確保114年天然氣安全存量達到11天", 114),
        ("支援至少3個重點領域，促成臺灣2024年成為SOAR領先典範", 113),
        ("2020-2025 帶動臺灣衛星地面設備相關產值增加至少 800 億元", 114),
        ("110~114 年每年建置 1 座", 114),
        ("於 110/12/31 前邀集招標機關", 110),
        ("113 年 12 月前協助 10(含)家次以上國內廠商", 113),
        ("未來 4 年培育 130 位碩博士國防研發人才", None),
        ("執行 FY113 先進科研計畫 5 案以上", None),
        ("完成 3 項", None),
    ],
)
def test_by_year(text: str, by_year: int | None) -> None:
    assert _parse(text, "full_term").by_year == by_year


# --- components ---------------------------------------------------------------------------------


def test_every_quantity_is_a_component_in_order() -> None:
    result = _parse("完成 1 處 5G 智慧交通應用服務實證場域，補助產業投入研發及服務創新計畫 4 案")
    assert [(c.value, c.unit) for c in result.components] == [(1, "處"), (4, "案")]
    assert [c.text for c in result.components] == ["1 處", "4 案"]
    assert (result.value, result.unit) == (1, "處")


def test_components_skip_dates_and_model_numbers() -> None:
    result = _parse(
        "1. 研析 5G 網路安全國際技術標準之研析報告 1 份 2. 辦理 5G 培訓 2 場，"
        "於 111 年 12 月底前完成 17.7 公頃 3. 完成 3GPP R16 1 案"
    )
    assert [(c.value, c.unit) for c in result.components] == [
        (1, "份"),
        (2, "場"),
        (D("17.7"), "公頃"),
        (1, "案"),
    ]


def test_range_and_qualifier_components() -> None:
    result = _parse("補助 3-5 家，累計國際鏈結 2-4 件，至少 1 案，累計 4,000-4,800例")
    assert [(c.value, c.min, c.max, c.unit) for c in result.components] == [
        (None, 3, 5, "家"),
        (None, 2, 4, "件"),
        (1, 1, None, "案"),
        (None, 4000, 4800, "例"),
    ]


def test_unit_does_not_swallow_the_next_word() -> None:
    # 項次世代 is 項 + 次世代 ("next generation"), 場域 is a venue, 人才 is talent.
    result = _parse("建立 3 項次世代車電驗證技術，完成 2 處場域試煉，培育 5 人才")
    assert [(c.value, c.unit) for c in result.components] == [(3, "項"), (2, "處")]


def test_section_numbers_and_footnotes_are_not_quantities() -> None:
    result = _parse("6.2.2 掌握安全庫存，維持原料庫存至少 1 個月 <sup>10</sup>", "full_term")
    assert [c.text for c in result.components] == ["至少 1 個月"]


def test_pdf_wrapped_cjk_text_is_joined() -> None:
    # Narrow columns in the seed wrap words with spaces: "至 少 3 項".
    result = _parse("調整法規至 少 3 項·並於 藥物法規溝 通平台宣傳")
    assert (result.value, result.min, result.max, result.unit) == (3, 3, None, "項")


def test_quantity_text_is_the_matched_fragment() -> None:
    result = _parse("推動 20 項以上我國 AIoT 創新產品")
    assert result.components == (Quantity(D(20), D(20), None, "項", "20 項以上"),)


# --- to_dict ------------------------------------------------------------------------------------


def test_to_dict_is_json_ready() -> None:
    result = _parse("累計 2~3 家廠商，投資 6.5 億元", "full_term")
    data = result.to_dict()
    assert data == {
        "kind": "cumulative",
        "value": None,
        "min": 2,
        "max": 3,
        "unit": "家",
        "by_year": None,
        "basis": "keyword 累計",
        "components": [
            {"value": None, "min": 2, "max": 3, "unit": "家", "text": "2~3 家"},
            {"value": 6.5, "min": 6.5, "max": 6.5, "unit": "億元", "text": "6.5 億元"},
        ],
    }
    assert type(data["min"]) is int
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_milestone_to_dict() -> None:
    data = _parse("113 年完成建立臺灣罕病與難症獨特篩選平台", "full_term").to_dict()
    assert data["kind"] == "milestone"
    assert data["by_year"] == 113
    assert data["components"] == []
    assert data["value"] is None


# --- properties ---------------------------------------------------------------------------------


@given(st.text(), st.sampled_from(["annual", "full_term"]))
def test_parse_target_never_raises(text: str, scope: str) -> None:
    result = parse_target(text, scope)
    if result is None:
        return
    assert result.kind in KINDS
    for item in (result, *result.components):
        if item.min is not None and item.max is not None:
            assert item.min <= item.max
    if result.kind == "milestone":
        assert result.components == ()
    else:
        assert result.components
        assert result.unit
    json.dumps(result.to_dict())


# No character of a kind keyword (累計, 合計, 每年 …) so the generated prefix cannot change the kind.
_filler = st.text(alphabet="推動完成國際廠商技術驗證研發場域產品應用", max_size=12)


@given(st.integers(0, 10**9), _filler, _filler, st.sampled_from(["annual", "full_term"]))
def test_cumulative_count_is_read(number: int, before: str, after: str, scope: str) -> None:
    result = _parse(f"累計{before} {number} 件{after}", scope)
    assert result.kind == "cumulative"
    assert result.value == number
    assert result.unit == "件"
    assert result.basis == "keyword 累計"


# "2020-2025" is a span of Gregorian years, not a range of counts, so such pairs are left out.
_not_a_year = st.integers(1, 10**6).filter(lambda n: not 1900 <= n <= 2099)


@given(
    _not_a_year,
    _not_a_year,
    st.sampled_from(["~", "-", "至", " ~ "]),
    st.sampled_from(["家", "項", "人次", "億元"]),
)
def test_ranges_have_ordered_bounds(a: int, b: int, separator: str, unit: str) -> None:
    result = _parse(f"推動 {a}{separator}{b} {unit}國際合作")
    assert result.value is None
    assert (result.min, result.max) == (min(a, b), max(a, b))
    assert result.unit == unit


@given(st.integers(1, 10**6), st.sampled_from(["至少 {n} 件", "{n} 件以上", "{n}(含)件以上",
                                                "逾 {n} 件", "{n} 件(含)以上"]))  # fmt: skip
def test_at_least_qualifiers(number: int, template: str) -> None:
    result = _parse("完成 " + template.format(n=number) + "驗證")
    assert (result.value, result.min, result.max) == (number, number, None)


# --- the seed's KPI table -----------------------------------------------------------------------

_KPI_CODE = re.compile(r"^\d+\.\d+\.\d+\s")


def _seed_kpi_rows() -> list[list[str]]:
    """Rows of the 預期效益 table: [全期目標, 110, 111, 112, 113], page-split cells joined."""
    if not SEED.exists():
        pytest.skip(f"seed document not found at {SEED}")
    lines = SEED.read_text(encoding="utf-8").splitlines()[2215:2566]
    rows: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        cells = line.split("\t")
        if line.startswith("發展策略") or cells[:4] == ["", "", "", "110"] or not line.strip():
            continue  # repeated header rows and blank lines between pages
        if len(cells) < 3:
            current = None  # a heading: the next row starts afresh
            continue
        if _KPI_CODE.match(cells[2].strip()):
            current = [cell.strip() for cell in cells[2:7]]
            current += [""] * (5 - len(current))
            rows.append(current)
        elif current is not None:
            # A row continued after a page break: the same columns carry on.
            for index, cell in enumerate(cells[2:7]):
                if cell.strip():
                    current[index] = f"{current[index]} {cell.strip()}".strip()
    return rows


def test_seed_kpi_table_extraction() -> None:
    rows = _seed_kpi_rows()
    assert len(rows) == 140  # 139 distinct codes, 6.2.2 twice (GLOSSARY pitfalls)
    codes = [row[0].split()[0] for row in rows]
    assert codes.count("6.2.2") == 2
    assert "標準專利提案 3 案" in rows[codes.index("1.3.2")][0]


# Full-term targets (全期目標) without a count: deliberately milestones.
_FULL_TERM_MILESTONES = {
    "2.1.7", "2.1.8", "2.1.9", "2.1.10", "2.1.11", "2.1.12", "2.2.1", "2.2.2", "2.2.3", "2.4.1",
    "2.5.2", "3.2.2", "3.2.6", "3.5.1", "3.5.2", "4.1.1", "4.1.2", "4.4.2", "4.6.2", "4.7.1",
    "4.7.3", "4.10.3", "5.1.2", "5.2.2", "5.4.1", "5.5.1", "5.7.1", "6.1.1", "6.2.1", "6.2.3",
    "6.2.4", "6.2.5", "6.2.6", "6.3.3", "6.3.6", "6.3.8", "6.4.1", "6.6.1", "6.7.1", "6.7.2",
    "6.7.3", "6.7.4", "6.8.1", "6.10.1", "6.10.2", "6.10.3", "6.10.4",
}  # fmt: skip


def test_seed_full_term_milestones_are_exactly_the_texts_without_a_count() -> None:
    rows = _seed_kpi_rows()
    milestones = set()
    for row in rows:
        result = _parse(row[0], "full_term")
        if result.kind == "milestone":
            milestones.add(row[0].split()[0])
    assert milestones == _FULL_TERM_MILESTONES


def test_seed_kpi_cells_coverage() -> None:
    """Share of the non-empty, non-"-" KPI cells that come out quantified.

    The brief asked for at least 75 %; the seed does not allow it honestly.  Of 583 cells, 400
    (68.6 %) hold a count; the other 183 are prose milestones ("完成5G資安自動化檢測技術研發",
    "建構 9~14MW 風力機生產基地", "定期維護 …") whose only digits are years, model numbers,
    capacities, ordinals or list markers.  Reading those as counts would be wrong, so the floor
    here is 65 %; ``test_seed_full_term_milestones_are_exactly_the_texts_without_a_count`` pins the
    milestones down instead.
    """
    rows = _seed_kpi_rows()
    results = [
        parse_target(cell, "full_term" if index == 0 else "annual")
        for row in rows
        for index, cell in enumerate(row)
    ]
    targets = [r for r in results if r is not None]
    quantified = [r for r in targets if r.kind != "milestone"]
    assert len(targets) > 550
    coverage = len(quantified) / len(targets)
    assert coverage >= 0.65, f"{coverage:.1%} of {len(targets)} cells quantified"
    # A cell holding an Arabic number right before a common measure word must be quantified.
    count_like = re.compile(r"[0-9]\s*(?:件|項|家|案|套|處|個|份|場|人次|位|名|億)")
    missed = [
        cell
        for row in rows
        for index, cell in enumerate(row)
        if count_like.search(cell)
        and (r := parse_target(cell, "full_term" if index == 0 else "annual")) is not None
        and r.kind == "milestone"
    ]
    assert missed == []
