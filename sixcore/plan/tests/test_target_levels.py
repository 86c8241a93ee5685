"""Level targets (#19): a rate, an efficiency, days or months of stock — read from the text as
``level`` and evaluated on the latest reported value against the threshold, never summed.
Also the year whose unit differs from the full-term target's: not compared."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from sixcore.evaluation import rules as r
from sixcore.evaluation.rules import Interpolation, Light
from sixcore.plan.targets import LEVEL, parse_target


@pytest.fixture(autouse=True)
def _reasons_in_english():
    with translation.override("en"):
        yield


# --- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "scope", "value", "unit", "basis"),
    [
        ("5.1.1", "光電轉換效率 $\\geq 24\\%$", "full_term", 24, "%", "keyword 效率"),
        ("5.1.1", "技術驗證：電池技術轉移給業者，並成功完成製程整合及於產線驗證效率 $\\geq 24\\%$",
         "annual", 24, "%", "keyword 效率"),
        ("6.3.7", "落實個人防護裝備於醫療院所、地方政府及中央政府三級庫存，全國三級庫存安全儲備量達成率 100 %",
         "full_term", 100, "%", "keyword 達成率"),
        ("6.2.2", "掌握安全存量資訊，定期掌握天然氣新擴建工程，確保114年天然氣安全存量達到11天",
         "full_term", 11, "天", "keyword 存量"),
        ("6.2.2", "掌握安全庫存，維持原料庫存至少1個月", "full_term", 1, "個月", "keyword 庫存"),
        # 每月 qualifies the stock-taking; 維持 … 1個月 is the nearer word and decides.
        ("6.2.1", "定期每月【季】盤點掌握關鍵原料(成品)之熔噴布(非醫療用口罩)【季】、紙漿(衛生紙)、"
         "黃豆(黃豆油)及小麥(麵粉)的產銷存狀況，並維持原料庫存至少1個月", "annual", 1, "個月", "keyword 庫存"),
    ],
)  # fmt: skip
def test_named_kpis_are_levels(code, text, scope, value, unit, basis) -> None:
    result = parse_target(text, scope)
    assert result is not None, code
    assert (result.kind, result.value, result.unit, result.basis) == (LEVEL, value, unit, basis), code


@pytest.mark.parametrize(
    "text",
    [
        "累計企業獲保額度達總額 30%",  # 累計 is nearer than any level word: a cumulative share
        "每年維持辦理 4 場次",  # a count is never a level, whatever the words
        "維持合作廠商 5 家",
        "提升效率，每年完成 3 件",
    ],
)
def test_not_levels(text) -> None:
    result = parse_target(text, "annual")
    assert result is not None and result.kind != LEVEL


_LEVEL_WORD = st.sampled_from(["效率", "達成率", "存量", "庫存", "維持", "覆蓋率", "自給率"])
_LEVEL_UNIT = st.sampled_from(["%", "天", "個月"])
_COUNT_UNIT = st.sampled_from(["件", "家", "項", "場次", "人次"])
_FILLER = st.text(alphabet="推動完成國際廠商技術驗證研發產品應用", max_size=8)


@given(_FILLER, _LEVEL_WORD, st.integers(1, 10**4), _LEVEL_UNIT, st.sampled_from(["annual", "full_term"]))
def test_a_level_word_before_a_level_unit_is_a_level(before, word, number, unit, scope) -> None:
    result = parse_target(f"{before}{word}達到 {number} {unit}", scope)
    assert result is not None
    assert (result.kind, result.value, result.unit) == (LEVEL, number, unit)


@given(_LEVEL_WORD, st.integers(1, 10**4), _COUNT_UNIT, st.sampled_from(["annual", "full_term"]))
def test_a_count_is_never_a_level(word, number, unit, scope) -> None:
    result = parse_target(f"{word}推動 {number} {unit}", scope)
    assert result is not None and result.kind != LEVEL


@given(_LEVEL_WORD, st.integers(1, 10**4), _LEVEL_UNIT)
def test_a_nearer_kind_keyword_wins_over_a_level_word(word, number, unit) -> None:
    result = parse_target(f"{word}，累計達 {number} {unit}", "annual")
    assert result is not None and result.kind == "cumulative"


# --- evaluation ---------------------------------------------------------------------------------


def level(value=None, lo=None, hi=None):
    if value is not None:
        lo = value
    return {"kind": "level", "value": value, "min": lo, "max": hi, "unit": "%", "by_year": None}


@pytest.mark.parametrize("mode", [Interpolation.LINEAR, Interpolation.STEP])
@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_level_expected_is_the_threshold_at_every_quarter(mode, quarter) -> None:
    targets = {112: level(24), 113: level(24)}
    assert r.expected_value(targets, 113, quarter, mode) == D(24)
    # Not summed with the year before, nor pro-rated.
    assert r.year_end_target(targets, 113) == D(24)


@pytest.mark.parametrize(
    ("actual", "light", "met"),
    [
        ("24", Light.GREEN, True),  # exactly the threshold
        ("23.99", Light.YELLOW, False),
        ("19.2", Light.YELLOW, False),  # 80 % of 24
        ("19.19", Light.RED, False),
        ("30", Light.GREEN, True),
    ],
)
def test_level_boundaries(actual, light, met) -> None:
    result = r.evaluate_kpi({113: level(24)}, 113, 1, D(actual))
    assert (result.kind, result.expected, result.light, result.met) == ("level", D(24), light, met)


def test_level_is_the_latest_value_not_a_sum() -> None:
    """Four quarters of 100 % stock are 100 %, not 400 %: each period is judged on its own value."""
    targets = {110: level(100), 111: level(100)}
    results = r.evaluate_kpi_series(
        targets, [(111, q) for q in (1, 2, 3, 4)], {(111, q): 100 for q in (1, 2, 3, 4)}
    )
    assert {res.achievement for res in results.values()} == {D("1.0000")}


def test_level_does_not_move_the_cumulative_baseline() -> None:
    targets = {110: level(50), 111: {"kind": "cumulative", "value": 8, "min": 8, "max": 8, "unit": "家"}}
    assert r.expected_value(targets, 111, 2) == D(4)  # from 0, not from 50


@pytest.mark.parametrize(
    ("actual", "light", "met", "achievement"),
    [
        ("5", Light.GREEN, True, "1.0000"),  # at the ceiling
        ("4", Light.GREEN, True, "1.0000"),
        ("6.25", Light.YELLOW, False, "0.8000"),  # 5 / 6.25
        ("6.26", Light.RED, False, "0.7987"),
        ("0", Light.GREEN, True, "1.0000"),
    ],
)
def test_level_ceiling_boundaries(actual, light, met, achievement) -> None:
    ceiling = {"kind": "level", "value": 5, "min": None, "max": 5, "unit": "%", "by_year": None}
    result = r.evaluate_kpi({112: ceiling}, 112, 4, D(actual))
    assert (result.light, result.met, result.achievement) == (light, met, D(achievement))


def test_level_forecast_uses_the_whole_series() -> None:
    points = {(111, 3): 20, (111, 4): 21, (112, 1): 22}
    assert r.forecast_year_end(points, "level", 112) == D(25)


def test_unit_mismatch_is_not_compared() -> None:
    target = {"kind": "cumulative", "value": 28, "min": 28, "max": 28, "unit": "家",
              "unit_mismatch": {"full_term": "案", "annual": "家"}}  # fmt: skip
    result = r.evaluate_kpi({110: target}, 110, 4, 30)
    assert result.light is Light.WHITE
    assert (result.expected, result.achievement, result.actual) == (None, None, D(30))
    assert "家" in result.reason and "案" in result.reason and "not compared" in result.reason


def test_a_year_in_another_unit_is_no_cumulative_baseline() -> None:
    other = {"kind": "cumulative", "value": 28, "min": 28, "max": 28, "unit": "家",
             "unit_mismatch": {"full_term": "案", "annual": "家"}}  # fmt: skip
    same = {"kind": "cumulative", "value": 4, "min": 4, "max": 4, "unit": "案"}
    targets = {110: other, 111: same}
    assert r.expected_value(targets, 111, 2) == D(2)  # from 0, not from 28 家
    assert r.final_cumulative_target({110: same, 111: other}) == D(4)
