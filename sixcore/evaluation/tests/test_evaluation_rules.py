"""The evaluation rules (sixcore.evaluation.rules): pure functions, no database."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sixcore.evaluation import rules as r
from sixcore.evaluation.rules import (
    DEFAULT_THRESHOLDS,
    LIGHT_RANK,
    Interpolation,
    Light,
    RiskInput,
    RiskTier,
    Thresholds,
)
from sixcore.evaluation.rules.targets import _read_target
from sixcore.evaluation.rules.thresholds import _dec, _pct, _ratio, _tidy
from sixcore.plan.targets import parse_target


def cumulative(value=None, lo=None, hi=None, by_year=None):
    """A target dict shaped like QuantifiedTarget.to_dict()."""
    if value is not None:
        lo = hi = value
    return {"kind": "cumulative", "value": value, "min": lo, "max": hi, "unit": "家", "by_year": by_year}


def per_period(value):
    return {"kind": "per_period", "value": value, "min": value, "max": value, "unit": "人次", "by_year": None}


def milestone(by_year=None):
    return {"kind": "milestone", "value": None, "min": None, "max": None, "unit": "", "by_year": by_year}


@pytest.fixture(autouse=True)
def _reasons_in_english():
    """The reasons are asserted as written in the code (their msgids); the site's default language
    (zh-hant) translates them: ``test_reasons_follow_the_active_language``."""
    with translation.override("en"):
        yield


def test_reasons_follow_the_active_language():
    """Lights, risks and flags explain themselves in the reader's language: Traditional Chinese on
    the site (dashboards, the needs-attention page, the quarterly report), the msgid in English."""
    thresholds = Thresholds()
    with translation.override("zh-hant"):
        assert r.evaluate_kpi(CUM, 112, 4, 35).reason == "112 年無目標值"
        assert r.evaluate_kpi(CUM, 111, 2, None).reason == "尚未填報"
        assert r.evaluate_kpi({111: milestone()}, 111, 4, True).reason == "里程碑已完成"
        met = r.evaluate_kpi({111: per_period(200)}, 111, 4, 190)
        assert met.reason == f"達成率 95.00%（預期值 {met.expected}）"
        schedule = r.evaluate_schedule(date(2022, 1, 1), date(2022, 12, 31), 111, 2, 20, thresholds)
        assert schedule.reason == "進度落差 30.00 個百分點（預定進度 50.00%）"
        flags = r.work_item_flags("W1", D(30), None, "", None)
        assert [f.message for f in flags] == ["落後 30 個百分點，未填落後原因"]
    with translation.override("en"):
        assert r.evaluate_kpi(CUM, 112, 4, 35).reason == "no target for 112"


CUM = {110: cumulative(10), 111: cumulative(30), 112: None, 113: cumulative(50)}


# --- lights and their boundaries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("executed", "light"),
    [
        ("90", Light.GREEN),  # exactly 90 %
        ("100", Light.GREEN),
        ("89.99", Light.YELLOW),  # 89.99 %
        ("80", Light.YELLOW),  # exactly 80 %
        ("79.99", Light.RED),
        ("0", Light.RED),
    ],
)
def test_budget_light_boundaries(executed, light):
    result = r.evaluate_budget(D(executed), D(100), D(400))
    assert result.light is light
    assert result.execution_rate == D(executed) / 100


@pytest.mark.parametrize(
    ("achievement", "light"),
    [
        ("1.00", Light.GREEN),  # exactly 100 %
        ("1.5", Light.GREEN),
        ("0.9999", Light.YELLOW),
        ("0.80", Light.YELLOW),  # exactly 80 %
        ("0.7999", Light.RED),
        ("0", Light.RED),
        (None, Light.WHITE),
    ],
)
def test_kpi_light_boundaries(achievement, light):
    assert r.kpi_light(achievement) is light


@pytest.mark.parametrize(
    ("lag", "light"),
    [
        ("-5", Light.GREEN),  # ahead of plan
        ("0", Light.GREEN),
        ("10", Light.GREEN),  # exactly 10 points
        ("10.01", Light.YELLOW),
        ("20", Light.YELLOW),  # exactly 20 points
        ("20.01", Light.RED),
        (None, Light.WHITE),
    ],
)
def test_lag_light_boundaries(lag, light):
    assert r.lag_light(lag) is light


def test_budget_light_none_is_white():
    assert r.budget_light(None) is Light.WHITE


def test_kpi_light_is_decided_on_the_rounded_achievement():
    # 7.9998 / 10 = 0.79998 → shown as 80.00 %, so it is yellow like the figure people see.
    result = r.evaluate_kpi({110: per_period(10)}, 110, 4, D("7.9998"))
    assert result.achievement == D("0.8000")
    assert result.light is Light.YELLOW


def test_light_labels_are_chinese():
    assert r.LIGHT_LABELS == {
        Light.GREEN: "綠燈",
        Light.YELLOW: "黃燈",
        Light.RED: "紅燈",
        Light.WHITE: "白燈",
    }
    assert Light.GREEN == "green"


# --- thresholds ----------------------------------------------------------------------------------


def test_default_thresholds():
    t = DEFAULT_THRESHOLDS
    assert (t.budget_green, t.budget_yellow) == (D("0.90"), D("0.80"))
    assert (t.kpi_green, t.kpi_yellow) == (D("1.00"), D("0.80"))
    assert (t.lag_green, t.lag_yellow) == (D(10), D(20))
    assert t.achievement_cap == D("1.2")
    assert t.implausible_factor == D(3)
    assert t.interpolation is Interpolation.LINEAR


def test_thresholds_override_and_coercion():
    t = Thresholds(budget_green="0.85", lag_green=5, interpolation="step")
    assert t.budget_green == D("0.85") and isinstance(t.lag_green, D)
    assert t.interpolation is Interpolation.STEP
    assert r.budget_light("0.86", t) is Light.GREEN
    assert r.budget_light("0.86") is Light.YELLOW
    assert r.lag_light(6, t) is Light.YELLOW
    replaced = dataclasses.replace(DEFAULT_THRESHOLDS, kpi_yellow="0.5")
    assert replaced.kpi_yellow == D("0.5")


def test_thresholds_from_mapping():
    t = Thresholds.from_mapping({"kpi_yellow": "0.7", "achievement_cap": "1.5"})
    assert t.kpi_yellow == D("0.7") and t.achievement_cap == D("1.5")
    assert Thresholds.from_mapping(None) == DEFAULT_THRESHOLDS
    with pytest.raises(ValueError, match="unknown threshold"):
        Thresholds.from_mapping({"budget_greeen": "0.9"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"budget_yellow": "0.95"},  # yellow above green
        {"kpi_yellow": "1.1"},
        {"lag_green": 30},
        {"lag_green": -1},
        {"achievement_cap": 0},
        {"implausible_factor": 0},
        {"warning_budget_from_quarter": 5},
        {"red_streak_quarters": 0},
        {"budget_green": "NaN"},
        {"interpolation": "cubic"},
    ],
)
def test_thresholds_reject_inconsistent_values(kwargs):
    with pytest.raises(ValueError):
        Thresholds(**kwargs)


# --- expected values: every kind, both modes, Q1..Q4 ---------------------------------------------


@pytest.mark.parametrize(
    ("year", "quarter", "linear", "step"),
    [
        (110, 1, "2.5", "0"),  # first target: from 0
        (110, 2, "5", "0"),
        (110, 3, "7.5", "0"),
        (110, 4, "10", "10"),
        (111, 1, "15", "10"),  # from the previous cumulative 10 to 30
        (111, 2, "20", "10"),
        (111, 3, "25", "10"),
        (111, 4, "30", "30"),
        (113, 2, "40", "30"),  # 112 has no target: from 111's 30 to 50
    ],
)
def test_cumulative_expected_in_both_modes(year, quarter, linear, step):
    assert r.expected_value(CUM, year, quarter, Interpolation.LINEAR) == D(linear)
    assert r.expected_value(CUM, year, quarter, Interpolation.STEP) == D(step)


@pytest.mark.parametrize(
    ("quarter", "linear", "step"), [(1, "50", "0"), (2, "100", "0"), (3, "150", "0"), (4, "200", "200")]
)
def test_per_period_expected_in_both_modes(quarter, linear, step):
    targets = {110: per_period(200), 111: per_period(200)}
    # A per-period target does not carry over from the previous year.
    assert r.expected_value(targets, 111, quarter, "linear") == D(linear)
    assert r.expected_value(targets, 111, quarter, "step") == D(step)


def test_per_period_year_does_not_serve_as_cumulative_baseline():
    targets = {110: per_period(100), 111: cumulative(40)}
    assert r.expected_value(targets, 111, 2) == D(20)  # from 0, not from 100


def test_range_uses_lower_bound_for_met_and_upper_for_exceeded():
    targets = {110: cumulative(lo=2, hi=3)}
    assert r.expected_value(targets, 110, 4) == D(2)
    assert r.expected_value(targets, 110, 4, bound="upper") == D(3)
    assert r.expected_value(targets, 110, 2, bound="upper") == D("1.5")
    met = r.evaluate_kpi(targets, 110, 4, 2)
    assert (met.achievement, met.light, met.met, met.exceeded) == (D("1.0000"), Light.GREEN, True, False)
    top = r.evaluate_kpi(targets, 110, 4, 3)
    assert (top.achievement, top.met, top.exceeded) == (D("1.5000"), True, False)
    over = r.evaluate_kpi(targets, 110, 4, 4)
    assert over.exceeded is True
    under = r.evaluate_kpi(targets, 110, 4, D("1.5"))
    assert (under.achievement, under.light, under.met) == (D("0.7500"), Light.RED, False)


def test_target_bounds():
    assert r.target_bounds(cumulative(lo=2, hi=3)) == (D(2), D(3))
    at_least = {"kind": "per_period", "value": 3, "min": 3, "max": None}
    assert r.target_bounds(at_least) == (D(3), D(3))
    at_most = {"kind": "per_period", "value": 5, "min": None, "max": 5}
    assert r.target_bounds(at_most) == (D(5), D(5))
    assert r.target_bounds(milestone()) == (None, None)
    assert r.target_bounds(None) == (None, None)


def test_milestone_expected_only_when_due():
    targets = {112: milestone()}
    assert [r.expected_value(targets, 112, q) for q in (1, 2, 3, 4)] == [None, None, None, D(1)]


def test_no_target_that_year_gives_no_expected_value():
    assert r.expected_value(CUM, 112, 4) is None
    assert r.expected_value(CUM, 109, 4) is None


def test_year_end_and_final_targets():
    assert r.year_end_target(CUM, 111) == D(30)
    assert r.year_end_target(CUM, 112) is None
    assert r.final_cumulative_target(CUM) == D(50)
    assert r.final_cumulative_target({110: cumulative(lo=2, hi=3), 111: per_period(5)}) == D(3)
    assert r.final_cumulative_target({110: per_period(5)}) is None


def test_expected_value_rejects_bad_input():
    with pytest.raises(ValueError):
        r.expected_value(CUM, 110, 5)
    with pytest.raises(ValueError):
        r.expected_value({110: {"kind": "cumulativ", "value": 1}}, 110, 4)
    with pytest.raises(ValueError):
        r.expected_value(CUM, 110, 4, bound="middle")


# --- KPI evaluation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "expected", "achievement", "light"),
    [
        (1, "15", "1.2000", Light.GREEN),
        (2, "20", "0.9000", Light.YELLOW),
        (3, "25", "0.7200", Light.RED),
        (4, "30", "0.6000", Light.RED),
    ],
)
def test_cumulative_kpi_linear(quarter, expected, achievement, light):
    result = r.evaluate_kpi(CUM, 111, quarter, 18)
    assert (result.expected, result.actual, result.achievement, result.light) == (
        D(expected),
        D(18),
        D(achievement),
        light,
    )
    assert result.kind == "cumulative"


@pytest.mark.parametrize(
    ("quarter", "expected", "achievement", "light"),
    [
        (1, "10", "1.8000", Light.GREEN),
        (2, "10", "1.8000", Light.GREEN),
        (3, "10", "1.8000", Light.GREEN),
        (4, "30", "0.6000", Light.RED),
    ],
)
def test_cumulative_kpi_step(quarter, expected, achievement, light):
    step = Thresholds(interpolation=Interpolation.STEP)
    result = r.evaluate_kpi(CUM, 111, quarter, 18, step)
    assert (result.expected, result.achievement, result.light) == (D(expected), D(achievement), light)
    # the keyword overrides the setting
    assert r.evaluate_kpi(CUM, 111, quarter, 18, interpolation="step") == result


@pytest.mark.parametrize("quarter", [1, 2, 3])
def test_step_mode_first_year_nothing_due_before_q4(quarter):
    result = r.evaluate_kpi(CUM, 110, quarter, 3, interpolation=Interpolation.STEP)
    assert (result.expected, result.achievement, result.light) == (D(0), None, Light.WHITE)
    assert "nothing due" in result.reason


@pytest.mark.parametrize(
    ("quarter", "actual", "achievement", "light"),
    [
        (1, 50, "1.0000", Light.GREEN),
        (2, 80, "0.8000", Light.YELLOW),
        (3, 100, "0.6667", Light.RED),
        (4, 250, "1.2500", Light.GREEN),
    ],
)
def test_per_period_kpi(quarter, actual, achievement, light):
    result = r.evaluate_kpi({111: per_period(200)}, 111, quarter, actual)
    assert (result.achievement, result.light) == (D(achievement), light)


def test_per_period_kpi_step_mode():
    targets = {111: per_period(200)}
    assert r.evaluate_kpi(targets, 111, 3, 100, interpolation="step").light is Light.WHITE
    result = r.evaluate_kpi(targets, 111, 4, 190, interpolation="step")
    assert (result.expected, result.achievement, result.light) == (D(200), D("0.9500"), Light.YELLOW)


def test_no_target_that_year_is_white():
    result = r.evaluate_kpi(CUM, 112, 4, 35)
    assert (result.expected, result.achievement, result.light) == (None, None, Light.WHITE)
    assert result.actual == D(35)
    assert "no target for 112" in result.reason


def test_no_report_is_white_and_zero_is_red():
    assert r.evaluate_kpi(CUM, 111, 2, None).light is Light.WHITE
    assert r.evaluate_kpi(CUM, 111, 2, None).reason == "no report yet"
    zero = r.evaluate_kpi(CUM, 111, 2, 0)
    assert (zero.achievement, zero.light) == (D("0.0000"), Light.RED)


def test_target_without_quantity_is_white():
    result = r.evaluate_kpi({110: cumulative()}, 110, 4, 5)
    assert result.light is Light.WHITE and result.expected is None


def test_numeric_kpi_refuses_a_bool_actual():
    with pytest.raises(TypeError):
        r.evaluate_kpi(CUM, 111, 2, True)


def test_quantified_target_objects_and_string_years_are_accepted():
    targets = {"110": parse_target("累計 10 家"), "111": parse_target("累計推動 2~3 家")}
    assert targets["111"].kind == "cumulative"
    # 111 range 2~3 below 110's 10: the rule still interpolates between the two.
    assert r.expected_value(targets, 110, 2) == D(5)
    result = r.evaluate_kpi(targets, 110, 4, 10)
    assert (result.achievement, result.light) == (D("1.0000"), Light.GREEN)
    assert r.evaluate_kpi({110: parse_target("每年培育 200 人次")}, 110, 2, 100).achievement == D("1.0000")


class TestMilestone:
    targets = {112: milestone()}

    def test_done_early_is_achieved(self):
        result = r.evaluate_kpi(self.targets, 112, 2, True)
        assert (result.achievement, result.light, result.met) == (D(1), Light.GREEN, True)

    def test_not_done_not_due_is_white(self):
        result = r.evaluate_kpi(self.targets, 112, 3, False)
        assert (result.achievement, result.light) == (None, Light.WHITE)

    def test_not_done_and_due_is_red(self):
        result = r.evaluate_kpi(self.targets, 112, 4, False)
        assert (result.expected, result.achievement, result.light, result.met) == (
            D(1),
            D(0),
            Light.RED,
            False,
        )

    def test_done_at_due_date(self):
        assert r.evaluate_kpi(self.targets, 112, 4, True).light is Light.GREEN

    def test_no_report_is_white_even_when_due(self):
        result = r.evaluate_kpi(self.targets, 112, 4, None)
        assert (result.achievement, result.light) == (None, Light.WHITE)

    def test_numeric_actual_counts_as_done_when_positive(self):
        assert r.evaluate_kpi(self.targets, 112, 4, 1).light is Light.GREEN
        assert r.evaluate_kpi(self.targets, 112, 4, 0).light is Light.RED

    def test_by_year_later_than_the_cell_moves_the_due_date(self):
        result = r.evaluate_kpi({112: milestone(by_year=113)}, 112, 4, False)
        assert result.light is Light.WHITE
        assert "113" in result.reason


def test_achievement_edge_cases():
    assert r.achievement(5, 0) is None
    assert r.achievement(5, -1) is None
    assert r.achievement(None, 5) is None
    assert r.achievement(5, None) is None
    assert r.achievement(2, 3) == D("0.6667")
    assert r.achievement(0.1, 0.3) == D("0.3333")  # floats via their repr


# --- schedule -------------------------------------------------------------------------------------

YEAR_110 = (date(2021, 1, 1), date(2021, 12, 1))  # 110/1~110/12 as parse_roc_period gives it


@pytest.mark.parametrize(
    ("as_of", "planned"),
    [
        (date(2020, 12, 31), "0.00"),  # before the start
        (date(2021, 1, 30), "0.00"),  # first month not over yet
        (date(2021, 1, 31), "8.33"),
        (date(2021, 3, 30), "16.67"),
        (date(2021, 3, 31), "25.00"),  # end of 110Q1
        (date(2021, 6, 30), "50.00"),
        (date(2021, 12, 31), "100.00"),
        (date(2023, 1, 1), "100.00"),  # after the end
    ],
)
def test_planned_percent(as_of, planned):
    assert r.planned_percent(*YEAR_110, as_of) == D(planned)


def test_planned_percent_one_month_item_and_reversed_period():
    assert r.planned_percent(date(2022, 12, 1), date(2022, 12, 1), date(2022, 12, 31)) == D(100)
    with pytest.raises(ValueError):
        r.planned_percent(date(2022, 12, 1), date(2022, 11, 1), date(2022, 12, 31))


@pytest.mark.parametrize(
    ("reported", "lag", "light"),
    [
        ("40", "10.00", Light.GREEN),  # lag exactly 10
        ("39.99", "10.01", Light.YELLOW),
        ("30", "20.00", Light.YELLOW),  # lag exactly 20
        ("29.99", "20.01", Light.RED),
        ("60", "-10.00", Light.GREEN),
    ],
)
def test_schedule_lag_at_110q2(reported, lag, light):
    result = r.evaluate_schedule(*YEAR_110, 110, 2, D(reported))
    assert (result.planned, result.lag, result.light) == (D("50.00"), D(lag), light)


def test_schedule_white_cases_and_validation():
    assert r.evaluate_schedule(*YEAR_110, 110, 2, None).light is Light.WHITE
    not_started = r.evaluate_schedule(date(2022, 1, 1), date(2022, 12, 1), 110, 4, 0)
    assert (not_started.planned, not_started.light) == (D(0), Light.WHITE)
    with pytest.raises(ValueError):
        r.evaluate_schedule(*YEAR_110, 110, 2, 101)
    with pytest.raises(ValueError):
        r.evaluate_schedule(*YEAR_110, 110, 2, -1)
    assert r.schedule_lag(None, 5) is None
    assert r.schedule_lag("33.333", 30) == D("3.33")


# --- budget ---------------------------------------------------------------------------------------


def test_budget_rates():
    result = r.evaluate_budget(45, 50, 100)
    assert (result.execution_rate, result.achievement_rate, result.light) == (
        D("0.9000"),
        D("0.4500"),
        Light.GREEN,
    )
    assert r.execution_rate(1, 3) == D("0.3333")
    assert r.achievement_rate(1, 0) is None


def test_budget_white_cases():
    assert r.evaluate_budget(None, 50, 100).light is Light.WHITE
    nothing_allocated = r.evaluate_budget(0, 0, 100)
    assert (nothing_allocated.execution_rate, nothing_allocated.light) == (None, Light.WHITE)
    assert nothing_allocated.achievement_rate == D("0.0000")


# --- roll-ups -------------------------------------------------------------------------------------


def test_roll_up_counts_and_capped_weighted_achievement():
    rows = [
        ("A", Light.GREEN, D("1.5"), 1),  # counts as 1.2
        ("A", "red", D("0.5"), None),  # weight None → 1
        ("B", Light.WHITE, None, 3),
        ("A", Light.YELLOW, D("0.9"), 0),  # weight 0: counted, not averaged
    ]
    result = r.roll_up(rows)
    assert list(result) == ["A", "B"]
    a = result["A"]
    assert a.counts == {Light.GREEN: 1, Light.YELLOW: 1, Light.RED: 1, Light.WHITE: 0}
    assert (a.items, a.weight, a.weighted_achievement) == (3, D(2), D("0.8500"))
    b = result["B"]
    assert (b.counts[Light.WHITE], b.weight, b.weighted_achievement) == (1, D(0), None)


def test_roll_up_weights_and_cap_override():
    rows = [("x", "green", "1.5", 3), ("x", "red", "0.5", 1)]
    assert r.roll_up(rows)["x"].weighted_achievement == D("1.0250")  # (3·1.2 + 0.5) / 4
    assert r.roll_up(rows, cap=2)["x"].weighted_achievement == D("1.2500")
    assert r.roll_up(rows, Thresholds(achievement_cap="1.0"))["x"].weighted_achievement == D("0.8750")


def test_roll_up_rejects_negative_weight_and_unknown_light():
    with pytest.raises(ValueError):
        r.roll_up([("x", "green", 1, -1)])
    with pytest.raises(ValueError):
        r.roll_up([("x", "blue", 1, 1)])
    assert r.roll_up([]) == {}


# --- forecast -------------------------------------------------------------------------------------


def test_forecast_of_a_straight_line():
    series = [((110, 1), 10), ((110, 2), 20), ((110, 3), 30)]
    assert r.forecast_year_end(series) == D(40)


def test_forecast_least_squares():
    # x = 0, 1, 2; y = 2, 3, 5 → slope 1.5, mean (1, 10/3) → at x = 3: 10/3 + 3 = 6.3333
    series = {(110, 1): 2, (110, 2): 3, (110, 3): 5}
    assert r.forecast_year_end(series) == D("6.3333")


def test_forecast_across_years_and_explicit_year():
    series = [((110, 3), 30), ((110, 4), 40), ((111, 1), 50)]
    assert r.forecast_year_end(series) == D(80)
    # For 110 only the points up to 110Q4 are used.
    assert r.forecast_year_end(series, roc_year=110) == D(40)


def test_forecast_per_period_uses_this_year_only():
    series = [((110, 4), 100), ((111, 1), 10), ((111, 2), 20)]
    assert r.forecast_year_end(series, kind="per_period") == D(40)
    assert r.forecast_year_end(series, kind="cumulative") != D(40)


def test_forecast_needs_two_points():
    assert r.forecast_year_end([]) is None
    assert r.forecast_year_end([((110, 1), 5)]) is None
    assert r.forecast_year_end([((110, 1), 5), ((110, 2), None)]) is None
    assert r.forecast_year_end([((110, 1), 5), ((110, 2), 6)], kind="milestone") is None
    with pytest.raises(ValueError):
        r.forecast_year_end([((110, 1), 5), ((110, 1), 6)])
    with pytest.raises(ValueError):
        r.forecast_year_end([((110, 1), 5)], kind="monthly")


# --- early warning --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lights", "streak"),
    [
        ([((110, 3), "red"), ((110, 4), "red")], True),
        ([((110, 4), "red"), ((111, 1), "red")], True),  # across the year boundary
        ([((111, 1), "red"), ((110, 4), "red")], True),  # order of input does not matter
        ([((110, 2), "red"), ((110, 4), "red")], False),  # a gap is not "in a row"
        ([((110, 3), "red"), ((110, 4), "yellow")], False),
        ([((110, 2), "red"), ((110, 3), "red"), ((110, 4), "green")], False),  # only the latest count
        ([((110, 4), "red")], False),
        ([], False),
    ],
)
def test_red_streak(lights, streak):
    assert r.red_streak(lights) is streak


def _warn(*items, thresholds=DEFAULT_THRESHOLDS):
    return r.early_warning(items, thresholds)


def test_two_reds_in_a_row_is_high_risk():
    item = RiskInput("1.1", "1.1.1", lights=(((110, 3), Light.RED), ((110, 4), Light.RED)))
    assessment = _warn(item)["1.1"]
    assert assessment.tier is RiskTier.HIGH
    assert [s.rule for s in assessment.signals] == [r.RED_STREAK]
    relaxed = Thresholds(red_streak_is_high=False)
    assert _warn(item, thresholds=relaxed)["1.1"].tier is RiskTier.MEDIUM


def test_forecast_below_target_is_medium_risk():
    assert _warn(RiskInput("m", "k", forecast="9.99", target=10))["m"].tier is RiskTier.MEDIUM
    assert _warn(RiskInput("m", "k", forecast=10, target=10))["m"].tier is RiskTier.LOW
    assert _warn(RiskInput("m", "k", forecast=None, target=10))["m"].tier is RiskTier.LOW
    off = Thresholds(forecast_is_signal=False)
    assert _warn(RiskInput("m", "k", forecast=1, target=10), thresholds=off)["m"].tier is RiskTier.LOW


@pytest.mark.parametrize(
    ("rate", "quarter", "tier"),
    [
        ("0.89", 3, RiskTier.MEDIUM),
        ("0.85", 4, RiskTier.MEDIUM),
        ("0.90", 3, RiskTier.LOW),  # exactly 90 % is not below
        ("0.50", 2, RiskTier.LOW),  # before the end of Q3 it is not a signal
        (None, 4, RiskTier.LOW),
    ],
)
def test_budget_below_90_after_q3(rate, quarter, tier):
    assert _warn(RiskInput("ind", "budget", budget_rate=rate, quarter=quarter))["ind"].tier is tier


def test_two_distinct_signals_in_a_group_are_high_and_the_same_one_twice_is_medium():
    forecast = RiskInput("2.1", "2.1.1", forecast=5, target=10)
    budget = RiskInput("2.1", "2.1 budget", budget_rate="0.7", quarter=3)
    other = RiskInput("2.1", "2.1.2", forecast=1, target=10)
    calm = RiskInput("2.2", "2.2.1", forecast=12, target=10, budget_rate="0.95", quarter=4)
    result = _warn(forecast, budget, calm)
    assert result["2.1"].tier is RiskTier.HIGH
    assert {s.ref for s in result["2.1"].signals} == {"2.1.1", "2.1 budget"}
    assert result["2.2"].tier is RiskTier.LOW and result["2.2"].signals == ()
    assert _warn(forecast, other)["2.1"].tier is RiskTier.MEDIUM


def test_risk_tier_directly():
    assert r.risk_tier([]) is RiskTier.LOW
    assert r.risk_tier([r.BUDGET_BELOW_RATE, r.BUDGET_BELOW_RATE]) is RiskTier.MEDIUM
    assert r.risk_tier([r.BUDGET_BELOW_RATE, r.FORECAST_BELOW_TARGET]) is RiskTier.HIGH
    assert r.risk_tier([r.BUDGET_BELOW_RATE], Thresholds(high_risk_signals=1)) is RiskTier.HIGH
    assert r.RISK_LABELS[RiskTier.HIGH] == "高風險"


# --- data quality ---------------------------------------------------------------------------------


def _codes(flags):
    return [f.code for f in flags]


@pytest.mark.parametrize(
    ("lag", "reason", "codes"),
    [
        ("5", None, [r.LAG_WITHOUT_REASON]),
        ("5", "   ", [r.LAG_WITHOUT_REASON]),  # blank is missing
        ("5", "廠商交貨延遲", []),
        ("0", "廠商交貨延遲", [r.REASON_WITHOUT_LAG]),
        ("-3", "廠商交貨延遲", [r.REASON_WITHOUT_LAG]),
        ("0", None, []),
        (None, "廠商交貨延遲", []),  # no report, nothing to compare
    ],
)
def test_lag_reason_flags(lag, reason, codes):
    assert _codes(r.work_item_flags("2-1 1.1", lag, 50, reason, None)) == codes


def test_lag_reason_threshold_is_configurable():
    t = Thresholds(lag_reason_above=10)
    assert r.work_item_flags("w", 5, 50, None, None, t) == ()
    assert _codes(r.work_item_flags("w", "10.5", 50, None, None, t)) == [r.LAG_WITHOUT_REASON]


def test_done_without_completion_date():
    assert _codes(r.work_item_flags("w", 0, 100, None, None)) == [r.DONE_WITHOUT_DATE]
    assert r.work_item_flags("w", 0, 100, None, date(2022, 6, 30)) == ()
    assert r.work_item_flags("w", 0, "99.9", None, None) == ()
    flag = r.work_item_flags("2-1 1.1", 0, 100, None, None)[0]
    assert flag.ref == "2-1 1.1" and r.FLAG_LABELS[flag.code] == "已完成 100% 未填完成日期"


def test_implausible_actual():
    series = [((110, 1), 10), ((110, 2), 31), ((110, 3), 40)]
    flags = r.kpi_flags("1.1.1", series, final_target=10)
    assert _codes(flags) == [r.IMPLAUSIBLE_ACTUAL]
    assert "40" in flags[0].message  # the largest offending value
    assert r.kpi_flags("1.1.1", [((110, 1), 30)], final_target=10) == ()  # exactly 3× is plausible
    assert r.kpi_flags("1.1.1", [((110, 1), 31)], final_target=None) == ()
    assert r.kpi_flags("1.1.1", [((110, 1), 31)], final_target=10, kind="per_period") == ()
    assert r.kpi_flags("1.1.1", [((110, 1), 31)], 10, thresholds=Thresholds(implausible_factor=4)) == ()


def test_cumulative_decrease():
    flags = r.kpi_flags("1.1.1", {(110, 1): 5, (110, 2): 7, (110, 3): 6, (110, 4): 8}, final_target=None)
    assert _codes(flags) == [r.CUMULATIVE_DECREASE]
    assert "110Q2" in flags[0].message and "110Q3" in flags[0].message
    assert r.kpi_flags("1.1.1", [((110, 1), 5), ((110, 2), 5), ((110, 3), 7)], None) == ()
    assert r.kpi_flags("1.1.1", [((110, 1), 7), ((110, 2), 5)], None, kind="per_period") == ()


# --- properties -----------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
ratios = st.decimals(min_value=0, max_value=5, places=4, allow_nan=False, allow_infinity=False)
quarters = st.integers(min_value=1, max_value=4)
modes = st.sampled_from(list(Interpolation))


@given(
    a1=amounts,
    a2=amounts,
    expected=st.decimals(min_value="0.01", max_value=10**6, places=2),
)
def test_achievement_is_monotone_in_the_actual(a1, a2, expected):
    low, high = sorted((a1, a2))
    assert r.achievement(low, expected) <= r.achievement(high, expected)


@given(
    a1=amounts,
    a2=amounts,
    prev=amounts,
    this=amounts,
    quarter=quarters,
    mode=modes,
    kind=st.sampled_from(["cumulative", "per_period"]),
)
def test_kpi_achievement_and_light_are_monotone_in_the_actual(a1, a2, prev, this, quarter, mode, kind):
    targets = {110: cumulative(prev), 111: cumulative(this) if kind == "cumulative" else per_period(this)}
    low, high = sorted((a1, a2))
    first = r.evaluate_kpi(targets, 111, quarter, low, interpolation=mode)
    second = r.evaluate_kpi(targets, 111, quarter, high, interpolation=mode)
    if first.achievement is None:
        assert second.achievement is None and first.light is second.light is Light.WHITE
    else:
        assert first.achievement <= second.achievement
        assert LIGHT_RANK[first.light] <= LIGHT_RANK[second.light]


@given(
    x=ratios,
    y=ratios,
    green=st.decimals(min_value="0.5", max_value="1.5", places=2),
    gap=st.decimals(min_value=0, max_value="0.5", places=2),
)
def test_lights_are_ordered_like_the_value(x, y, green, gap):
    t = Thresholds(kpi_green=green, kpi_yellow=green - gap, budget_green=green, budget_yellow=green - gap)
    low, high = sorted((x, y))
    assert LIGHT_RANK[r.kpi_light(low, t)] <= LIGHT_RANK[r.kpi_light(high, t)]
    assert LIGHT_RANK[r.budget_light(low, t)] <= LIGHT_RANK[r.budget_light(high, t)]
    # and for lag, a bigger lag is never a better light
    assert LIGHT_RANK[r.lag_light(low * 10)] >= LIGHT_RANK[r.lag_light(high * 10)]


@given(prev=amounts, this=amounts, quarter=quarters, mode=modes, gap=st.booleans())
def test_cumulative_expected_lies_between_previous_and_this_year(prev, this, quarter, mode, gap):
    targets = (
        {110: cumulative(prev), 111: None, 112: cumulative(this)}
        if gap
        else {111: cumulative(prev), 112: cumulative(this)}
    )
    expected = r.expected_value(targets, 112, quarter, mode)
    assert min(prev, this) <= expected <= max(prev, this)
    if quarter == 4:
        assert expected == this


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31)),
    months=st.integers(min_value=0, max_value=60),
    d1=st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)),
    d2=st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)),
)
def test_planned_percent_is_bounded_and_monotone(start, months, d1, d2):
    start = start.replace(day=1)
    end_index = start.year * 12 + start.month - 1 + months
    end = date(end_index // 12, end_index % 12 + 1, 1)
    early, late = sorted((d1, d2))
    p_early, p_late = r.planned_percent(start, end, early), r.planned_percent(start, end, late)
    assert D(0) <= p_early <= p_late <= D(100)
    if late >= end.replace(day=28) + timedelta(days=4):  # past the end month
        assert p_late == D(100)


@settings(max_examples=50)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(list(Light)),
            st.one_of(st.none(), ratios),
            st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
        ),
        max_size=20,
    )
)
def test_roll_up_average_is_bounded_by_cap_and_counts_add_up(rows):
    result = r.roll_up(rows)
    for key, rolled in result.items():
        group = [row for row in rows if row[0] == key]
        assert sum(rolled.counts.values()) == rolled.items == len(group)
        if rolled.weighted_achievement is not None:
            capped = [min(row[2], D("1.2")) for row in group if row[2] is not None and row[3] != 0]
            assert min(capped) - D("0.0001") <= rolled.weighted_achievement <= max(capped) + D("0.0001")


@given(
    intercept=st.integers(min_value=-1000, max_value=1000),
    slope=st.integers(min_value=-100, max_value=100),
    count=st.integers(min_value=2, max_value=4),
)
def test_forecast_is_exact_on_a_straight_line(intercept, slope, count):
    series = [((111, q), intercept + slope * q) for q in range(1, count + 1)]
    assert r.forecast_year_end(series) == D(intercept + slope * 4)


# --- the batch path (TargetSeries, evaluate_kpi_series) ----------------------------------------------


def _reference_evaluate_kpi(targets, roc_year, quarter, actual, thresholds=DEFAULT_THRESHOLDS, mode=None):
    """``evaluate_kpi`` as it was before ``TargetSeries``: every call re-reads the target dicts and
    looks the cumulative baseline up again.  Kept here as the oracle of the normalised form."""
    mode = Interpolation(mode if mode is not None else thresholds.interpolation)
    parsed = {int(year): _read_target(raw) for year, raw in targets.items()}

    def previous(bound):
        for year in sorted((y for y in parsed if y < roc_year), reverse=True):
            t = parsed[year]
            value = None if t is None else (t.lower if bound == "lower" else t.upper)
            if t is not None and t.kind == "cumulative" and value is not None:
                return value
        return D(0)

    def expected(bound):
        t = parsed[roc_year]
        value = t.lower if bound == "lower" else t.upper
        if value is None:
            return None
        share = D(quarter) / 4 if mode == Interpolation.LINEAR else (D(1) if quarter == 4 else D(0))
        if t.kind == "per_period":
            return _tidy(value * share)
        c0 = previous(bound)
        return _tidy(c0 + (value - c0) * share)

    target = parsed.get(roc_year)
    if target is None:
        numeric = (D(1) if actual else D(0)) if isinstance(actual, bool) else _dec(actual)
        return r.KpiEvaluation(None, numeric, None, Light.WHITE, f"no target for {roc_year}")
    if target.kind == "milestone":
        due_year = max(roc_year, target.by_year) if target.by_year is not None else roc_year
        due = roc_year >= due_year and quarter == 4
        done = actual if actual is None or isinstance(actual, bool) else _dec(actual) > 0
        value = None if done is None else D(int(done))
        if done is None:
            reason = "no report yet" if due else f"milestone due at end of {due_year}; no report yet"
            return r.KpiEvaluation(
                D(1) if due else None, None, None, Light.WHITE, reason, "milestone", D(1) if due else None
            )
        if done:
            return r.KpiEvaluation(
                D(1) if due else None,
                D(1),
                D("1.0000"),
                Light.GREEN,
                "milestone reached",
                "milestone",
                D(1) if due else None,
                True,
            )
        if due:
            reason = f"milestone due at end of {due_year} and not done"
            return r.KpiEvaluation(D(1), value, D("0.0000"), Light.RED, reason, "milestone", D(1), False)
        return r.KpiEvaluation(
            None, value, None, Light.WHITE, f"milestone not due before end of {due_year}", "milestone"
        )
    low, high = expected("lower"), expected("upper")
    value = _dec(actual)
    if low is None:
        return r.KpiEvaluation(None, value, None, Light.WHITE, "target has no quantity", target.kind)
    if low <= 0:
        return r.KpiEvaluation(low, value, None, Light.WHITE, "nothing due yet", target.kind, high)
    if value is None:
        return r.KpiEvaluation(low, None, None, Light.WHITE, "no report yet", target.kind, high)
    ratio = _ratio(value, low)
    reason = f"achievement {_pct(ratio)} of expected {low}"
    exceeded = value > high if high is not None else None
    return r.KpiEvaluation(
        low, value, ratio, r.kpi_light(ratio, thresholds), reason, target.kind, high, value >= low, exceeded
    )


def _outcome(call):
    try:
        return call()
    except (TypeError, ValueError) as exc:
        return type(exc)


quantities = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**4, places=2), st.integers(0, 500))


@st.composite
def annual_targets(draw):
    targets = {}
    for year in draw(st.lists(st.integers(109, 114), unique=True, max_size=6)):
        kind = draw(st.sampled_from(["cumulative", "per_period", "milestone", None]))
        if kind is None:
            targets[year] = None
        elif kind == "milestone":
            targets[year] = milestone(by_year=draw(st.one_of(st.none(), st.integers(109, 115))))
        else:
            value, low, high = draw(quantities), draw(quantities), draw(quantities)
            targets[year] = {
                "kind": kind,
                "value": value,
                "min": low,
                "max": high,
                "unit": "家",
                "by_year": None,
            }
    return targets


PERIODS = [(y, q) for y in range(109, 115) for q in (1, 2, 3, 4)]
actual_values = st.one_of(
    st.none(), st.booleans(), st.decimals(min_value=0, max_value=10**4, places=4), st.integers(0, 10**4)
)


@settings(max_examples=300)
@given(
    targets=annual_targets(),
    actuals=st.dictionaries(st.sampled_from(PERIODS), actual_values),
    mode=modes,
    green=st.decimals(min_value="0.5", max_value="1.5", places=2),
    gap=st.decimals(min_value=0, max_value="0.5", places=2),
)
def test_batch_path_is_identical_to_evaluate_kpi_and_to_the_per_call_reference(
    targets, actuals, mode, green, gap
):
    thresholds = Thresholds(kpi_green=green, kpi_yellow=green - gap, interpolation=mode)
    series = r.TargetSeries(targets)
    numeric_bool = any(
        isinstance(actuals.get(p), bool) and series.kind(p[0]) in ("cumulative", "per_period")
        for p in PERIODS
    )
    batch = _outcome(lambda: r.evaluate_kpi_series(series, PERIODS, actuals, thresholds))
    if numeric_bool:  # a bool actual for a numeric KPI is refused, on every path
        assert batch is TypeError
    else:
        assert batch is not TypeError
    for period in PERIODS:
        one = _outcome(lambda p=period: r.evaluate_kpi(targets, *p, actuals.get(p), thresholds))
        reference = _outcome(
            lambda p=period: _reference_evaluate_kpi(targets, *p, actuals.get(p), thresholds)
        )
        assert one == reference, period
        assert _outcome(lambda p=period: r.evaluate_kpi(series, *p, actuals.get(p), thresholds)) == one
        if batch is not TypeError:
            assert batch[period] == one, period
        for bound in ("lower", "upper"):
            assert r.expected_value(series, *period, mode, bound=bound) == r.expected_value(
                targets, *period, mode, bound=bound
            )
    assert r.final_cumulative_target(series) == r.final_cumulative_target(targets)


def test_target_series_reads_the_targets_once_and_is_accepted_everywhere():
    series = r.TargetSeries(CUM)
    assert r.TargetSeries.of(series) is series
    assert series.kind(111) == "cumulative" and series.kind(112) is None and series.kind(109) is None
    assert r.expected_value(series, 113, 2) == D(40)  # 112 has no target: from 111's 30 to 50
    assert r.year_end_target(series, 111) == D(30) and r.final_cumulative_target(series) == D(50)
    results = r.evaluate_kpi_series(series, [(111, 1), (111, 2), (112, 4)], {(111, 1): 18, (111, 2): 18})
    assert list(results) == [(111, 1), (111, 2), (112, 4)]
    assert [x.light for x in results.values()] == [Light.GREEN, Light.YELLOW, Light.WHITE]
    assert results[(111, 2)] == r.evaluate_kpi(CUM, 111, 2, 18)
    assert results[(112, 4)].reason == "no target for 112"
    step = r.evaluate_kpi_series(CUM, [(111, 2)], {(111, 2): 18}, interpolation="step")
    assert step[(111, 2)] == r.evaluate_kpi(CUM, 111, 2, 18, interpolation="step")
    with pytest.raises(ValueError):
        r.evaluate_kpi_series(series, [(111, 5)], {})
    with pytest.raises(ValueError):
        r.TargetSeries({110: {"kind": "cumulativ", "value": 1}})


# --- the package's shape ---------------------------------------------------------------------------

RULE_MODULES = (
    "thresholds",
    "targets",
    "kpi",
    "schedule",
    "budget",
    "rollups",
    "forecast",
    "warning",
    "quality",
)


def test_the_rules_are_a_package_of_small_pure_modules():
    """Split along the file's own sections (issue 18): each module short, none reading the database,
    and every public name reachable as ``rules.X`` from the module that defines it."""
    import importlib
    from pathlib import Path

    assert sorted(p.stem for p in Path(r.__path__[0]).glob("*.py")) == sorted([*RULE_MODULES, "__init__"])
    for name in RULE_MODULES:
        module = importlib.import_module(f"sixcore.evaluation.rules.{name}")
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert len(source.splitlines()) < 600, name
        assert "django.db" not in source and "service" not in source, name
    for name in r.__all__:
        value = getattr(r, name)
        home = getattr(value, "__module__", None)
        if home is not None and home.startswith("sixcore.evaluation.rules."):
            assert getattr(importlib.import_module(home), name) is value
