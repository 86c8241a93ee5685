"""The year-end evaluation's pure rules: figure → score, weighted total, grade, and the checks of
indicators and thresholds — boundaries and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixcore.annual import rules
from sixcore.annual.choices import ScoringRule

D = Decimal
GRADES = rules.DEFAULT_GRADES


@pytest.mark.parametrize(
    ("achievement", "score"),
    [(0, "0.00"), (50, "50.00"), (99.99, "99.99"), (100, "100.00"), (150, "100.00"), (-5, "0.00")],
)
def test_achievement_score(achievement, score):
    assert rules.achievement_score(achievement) == D(score)


@pytest.mark.parametrize(
    ("lag", "score"),
    [(-10, "100.00"), (0, "100.00"), (10, "80.00"), (25, "50.00"), (50, "0.00"), (80, "0.00")],
)
def test_lag_score(lag, score):
    assert rules.lag_score(lag) == D(score)


@pytest.mark.parametrize(
    ("rate", "score"),
    [(0, "0.00"), (45, "50.00"), (89.99, "99.99"), (90, "100.00"), (120, "100.00")],
)
def test_execution_score_against_90_percent(rate, score):
    assert rules.execution_score(rate) == D(score)


def test_indicator_points_and_range_are_used():
    # Range 0–10, full marks from 95 % achievement, nothing below 60 %.
    assert rules.achievement_score(95, 0, 10, full_at=95, zero_at=60) == D("10.00")
    assert rules.achievement_score(60, 0, 10, full_at=95, zero_at=60) == D("0.00")
    assert rules.achievement_score(77.5, 0, 10, full_at=95, zero_at=60) == D("5.00")
    assert rules.rule_score(ScoringRule.MANUAL, 80) is None
    assert rules.rule_score(ScoringRule.KPI_ACHIEVEMENT, None) is None
    with pytest.raises(ValueError):
        rules.linear_score(1, 5, 5)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "優等"),
        (90, "優等"),
        (D("89.99"), "甲等"),
        (80, "甲等"),
        (D("79.99"), "乙等"),
        (70, "乙等"),
        (D("69.99"), "丙等"),
        (0, "丙等"),
    ],
)
def test_grade_boundaries(score, grade):
    assert rules.grade_for(score, GRADES) == grade


def test_grade_without_a_matching_threshold():
    assert rules.grade_for(50, [("優等", D(90))]) == ""


def test_weighted_total():
    items = [
        rules.Weighted(D(15), D(80)),
        rules.Weighted(D(25), D(100)),
        rules.Weighted(D(20), D(50)),
        rules.Weighted(D(40), D(90)),
    ]
    assert rules.weighted_total(items) == D("83.00")  # 12 + 25 + 10 + 36
    # A range of 0–10 counts as its share of the weight.
    assert rules.weighted_total([rules.Weighted(D(100), D(7), D(0), D(10))]) == D("70.00")
    assert rules.weighted_total(items[:3] + [rules.Weighted(D(40), None)]) is None
    assert rules.weighted_total([]) is None


def test_check_indicators_names_each_problem():
    good = [
        rules.IndicatorSpec("a", "規劃", D(60), ScoringRule.MANUAL),
        rules.IndicatorSpec("b", "KPI 達成", D(40), ScoringRule.KPI_ACHIEVEMENT),
    ]
    assert rules.check_indicators(good) == []
    bad = [
        rules.IndicatorSpec("a", "規劃", D(60), ScoringRule.MANUAL, D(10), D(10)),
        rules.IndicatorSpec("a", "KPI 達成", D(30), "guess"),
        rules.IndicatorSpec("c", "執行進度", D(-5), ScoringRule.SCHEDULE_LAG, full_at=D(5), zero_at=D(5)),
    ]
    problems = rules.check_indicators(bad)
    text = " ".join(problems)
    assert "規劃" in text and "KPI 達成" in text and "執行進度" in text
    assert any("85" in p for p in problems)  # the weights' sum is named
    assert len(problems) == 6
    assert rules.check_indicators([])


def test_check_thresholds():
    assert rules.check_thresholds(list(GRADES)) == []
    problems = rules.check_thresholds([("優等", D(90)), ("優等", D(90)), ("", D(120))])
    assert len(problems) == 5  # duplicate label, duplicate start, no name, out of range, no 0


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (None, True),
        (0, True),
        (100, True),
        (D("99.99"), True),
        (-1, False),
        (D("100.01"), False),
        (D("1.234"), False),
    ],
)
def test_check_score(value, ok):
    assert (rules.check_score(value, 0, 100) == "") is ok


# --- properties ------------------------------------------------------------------------------------

figures = st.decimals(min_value=-200, max_value=400, places=2, allow_nan=False, allow_infinity=False)
ranges = st.tuples(st.integers(0, 50), st.integers(1, 100)).map(lambda t: (D(t[0]), D(t[0] + t[1])))
points = st.tuples(
    st.decimals(min_value=-100, max_value=200, places=2), st.decimals(min_value=-100, max_value=200, places=2)
).filter(lambda p: p[0] != p[1])


@given(a=figures, b=figures, span=ranges)
def test_a_higher_achievement_never_lowers_the_score(a, b, span):
    low, high = min(a, b), max(a, b)
    assert rules.achievement_score(low, *span) <= rules.achievement_score(high, *span)
    assert rules.execution_score(low, *span) <= rules.execution_score(high, *span)
    # Lag: more behind never raises the score.
    assert rules.lag_score(low, *span) >= rules.lag_score(high, *span)


@given(a=figures, b=figures, p=points)
def test_any_indicator_points_keep_the_rule_monotone(a, b, p):
    full, zero = p
    low, high = min(a, b), max(a, b)
    s_low = rules.rule_score(ScoringRule.KPI_ACHIEVEMENT, low, 0, 100, full, zero)
    s_high = rules.rule_score(ScoringRule.KPI_ACHIEVEMENT, high, 0, 100, full, zero)
    assert (s_low <= s_high) if full > zero else (s_low >= s_high)


@given(figure=figures, span=ranges, rule=st.sampled_from(list(rules.DEFAULT_POINTS)))
def test_a_rule_score_stays_in_the_indicator_range(figure, span, rule):
    score = rules.rule_score(rule, figure, *span)
    assert span[0] <= score <= span[1]


weights_100 = (
    st.lists(st.integers(0, 100), min_size=1, max_size=8)
    .map(lambda ws: ws[:-1] + [100 - sum(ws[:-1])] if sum(ws[:-1]) <= 100 else None)
    .filter(lambda ws: ws is not None)
)


@given(weights=weights_100, data=st.data())
def test_total_is_within_0_and_100_when_weights_sum_to_100(weights, data):
    items = []
    for w in weights:
        low, high = data.draw(ranges)
        score = data.draw(st.decimals(min_value=low, max_value=high, places=2))
        items.append(rules.Weighted(D(w), score, low, high))
    total = rules.weighted_total(items)
    assert D(0) <= total <= D(100)
    if all(i.score == i.high for i in items):
        assert total == D(100)


@given(weights=st.lists(st.integers(0, 60), min_size=1, max_size=6))
def test_weights_must_sum_to_100(weights):
    specs = [
        rules.IndicatorSpec(f"i{n}", f"指標{n}", D(w), ScoringRule.MANUAL) for n, w in enumerate(weights)
    ]
    problems = rules.check_indicators(specs)
    assert (problems == []) is (sum(weights) == 100)


@given(a=st.decimals(0, 100, places=2), b=st.decimals(0, 100, places=2))
def test_a_higher_total_never_gets_a_lower_grade(a, b):
    order = {label: n for n, (label, _m) in enumerate(reversed(GRADES))}
    low, high = min(a, b), max(a, b)
    assert order[rules.grade_for(low, GRADES)] <= order[rules.grade_for(high, GRADES)]


@given(values=st.lists(st.decimals(0, 300, places=2), min_size=1, max_size=20))
def test_capped_mean_of_achievements_is_at_most_100(values):
    mean = rules.mean(rules.capped_achievement(v) for v in values)
    assert D(0) <= mean <= D(100)
