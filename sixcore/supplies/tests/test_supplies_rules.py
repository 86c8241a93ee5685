"""Pure rules of the supplies watch: cover for each basis, stepping minimums, status boundaries,
forecast, price warning; and the registry's seed lines against the program document."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sixcore.supplies import rules
from sixcore.supplies.choices import Basis, Frequency, MinimumKind, Status
from sixcore.supplies.registry import ITEMS

GAS = [(date(2021, 1, 1), D(7)), (date(2022, 1, 1), D(8)), (date(2025, 1, 1), D(11))]


# --- minimums ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2020, 12, 31), None),
        (date(2021, 1, 1), D(7)),
        (date(2021, 12, 31), D(7)),  # 110
        (date(2022, 1, 1), D(8)),  # 111
        (date(2023, 6, 30), D(8)),  # 112: "8 for natural gas in 112"
        (date(2024, 12, 31), D(8)),  # 113
        (date(2025, 1, 1), D(11)),  # 114
        (date(2030, 1, 1), D(11)),
    ],
)
def test_natural_gas_minimum_steps_across_110_111_114(on, expected):
    assert rules.minimum_on(GAS, on) == expected
    assert rules.minimum_on(list(reversed(GAS)), on) == expected  # order of the schedule does not matter


def test_registry_natural_gas_minimums_match_the_document():
    gas = next(i for i in ITEMS if i.code == "natural-gas")
    schedule = [(m.effective_from, m.value) for m in gas.minimums]
    assert schedule == GAS


def test_minimum_steps_for_the_chart():
    steps = rules.minimum_steps(GAS, date(2021, 7, 1), date(2025, 6, 30))
    assert steps == [(date(2021, 7, 1), D(7)), (date(2022, 1, 1), D(8)), (date(2025, 1, 1), D(11))]


# --- cover ---------------------------------------------------------------------------------------


def test_trailing_window_average_daily_consumption():
    # Monthly reports of 3,100 consumed over 31 days (100/day) and 2,800 over 28 days.
    points = [(date(2023, 1, 31), D(3100)), (date(2023, 2, 28), D(2800)), (date(2023, 3, 31), D(3100))]
    # 90 days before 2023-03-31 is 2022-12-31: all three in the window; the first anchors.
    assert rules.average_daily_consumption(points, date(2023, 3, 31), 90) == D(100)
    # A 45-day window: anchor 2023-01-31 (before the window), counted Feb + Mar = 5,900 over 59 days.
    assert rules.average_daily_consumption(points, date(2023, 3, 31), 45) == D(100)
    # Observations after the as-of date are ignored.
    assert rules.average_daily_consumption(points, date(2023, 2, 28), 90) == D(100)
    # One report alone covers no known period.
    assert rules.average_daily_consumption(points[:1], date(2023, 1, 31), 90) is None
    assert rules.average_daily_consumption([], date(2023, 1, 31), 90) is None


def test_days_of_cover_trailing_basis():
    daily = rules.average_daily_consumption(
        [(date(2023, 5, 31), D(0)), (date(2023, 6, 30), D(3000))], date(2023, 6, 30), 90
    )
    assert daily == D(100)
    assert rules.days_of_cover(D(9000), daily) == D(90)
    assert rules.cover(MinimumKind.DAYS, D(9000), daily) == D(90)


def test_days_of_cover_previous_calendar_year_basis_for_coal():
    # 2022 consumed 730,000 t: 2,000 t a day; 60,000 t of stock is 30 days (the legal minimum).
    monthly = [D(60000)] * 11 + [D(70000)]  # 730,000 in all
    history = rules.History(
        [(date(2022, m, 28), monthly[m - 1], D(1)) for m in range(1, 13)]
        + [(date(2023, 3, 31), D(99999), D(60000))]
    )
    daily = history.daily_for(Basis.PREVIOUS_YEAR, date(2023, 4, 15), 90)
    assert daily == D(2000)
    assert rules.days_of_cover(history.stock_on(date(2023, 4, 15)), daily) == D(30)
    # A leap year divides by 366.
    assert rules.previous_year_daily_consumption(D(366), 2024) == D(1)
    assert rules.previous_year_daily_consumption(None, 2024) is None


def test_months_of_stock_and_percent_of_safety_level():
    assert rules.months_of_stock(D("3043.75"), D(100)) == D(1)
    assert rules.cover(MinimumKind.MONTHS, D("6087.5"), D(100)) == D(2)
    assert rules.percent_of_safety_level(D(95), D(100)) == D(95)
    assert rules.cover(MinimumKind.PERCENT, D(110), None, D(100)) == D(110)
    assert rules.percent_of_safety_level(None, D(100)) is None


def test_zero_consumption_is_infinite_cover_and_unknown_is_none():
    assert rules.days_of_cover(D(10), D(0)) == rules.INFINITE
    assert rules.days_of_cover(D(0), D(0)) == D(0)
    assert rules.days_of_cover(D(10), None) is None
    assert rules.status(rules.INFINITE, D(90)) == Status.GREEN
    assert rules.finite_or_none(rules.INFINITE) is None


def test_combine_sums_stock_and_consumption_of_reporters():
    figures = [
        rules.ReporterFigures(D(900), D(10)),
        rules.ReporterFigures(D(100), D(10)),
        rules.ReporterFigures(None, None),
    ]
    value, days = rules.combine(MinimumKind.DAYS, figures)
    assert value == days == D(50)
    ppe = [rules.ReporterFigures(D(50), None, D(100)), rules.ReporterFigures(D(160), None, D(100))]
    assert rules.combine(MinimumKind.PERCENT, ppe) == (D(105), None)


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(dates, st.one_of(st.none(), st.integers(0, 10**6).map(D))),
        max_size=25,
        unique_by=lambda p: p[0],
    ),
    dates,
    st.integers(1, 800),
)
def test_fast_history_equals_the_reference_rule(points, as_of, window):
    points = sorted(points)
    history = rules.History([(d, c, D(1)) for d, c in points])
    assert history.daily(as_of, window) == rules.average_daily_consumption(points, as_of, window)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**9).map(D), st.integers(1, 10**6).map(D))
def test_cover_scales_with_stock(stock, daily):
    one = rules.days_of_cover(stock, daily)
    two = rules.days_of_cover(stock * 2, daily)
    assert two == pytest.approx(one * 2)
    assert rules.months_of_stock(stock, daily) * rules.DAYS_PER_MONTH == pytest.approx(one)


# --- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "minimum", "overdue", "expected"),
    [
        (D("7.99"), D(8), False, Status.RED),
        (D(8), D(8), False, Status.YELLOW),  # at the minimum: not below it
        (D("8.8"), D(8), False, Status.YELLOW),  # exactly 10% above: still "within 10%"
        (D("8.81"), D(8), False, Status.GREEN),
        (D(99), D(90), False, Status.YELLOW),
        (D("99.01"), D(90), False, Status.GREEN),
        (D("89.99"), D(90), False, Status.RED),
        (D(0), D(1), False, Status.RED),
        (D(100), D(100), False, Status.YELLOW),  # PPE at 100% of the safety level
        (D(200), D(8), True, Status.GREY),  # overdue wins over the figures
        (D(1), D(8), True, Status.GREY),
        (None, D(8), False, Status.GREY),  # nothing to judge
        (D(5), None, False, Status.GREEN),  # no minimum in the document
    ],
)
def test_status_boundaries(value, minimum, overdue, expected):
    assert rules.status(value, minimum, overdue) == expected


@pytest.mark.parametrize(
    ("last", "frequency", "grace", "expected"),
    [
        (date(2023, 6, 30), 31, 10, False),
        (date(2023, 5, 20), 31, 10, False),  # 41 days: frequency + grace exactly
        (date(2023, 5, 19), 31, 10, True),  # 42 days
        (date(2023, 6, 26), 4, 3, False),
        (date(2023, 6, 22), 4, 3, True),
        (None, 31, 10, True),
    ],
)
def test_overdue_after_frequency_plus_grace(last, frequency, grace, expected):
    assert rules.is_overdue(last, date(2023, 6, 30), frequency, grace) is expected


# --- forecast ------------------------------------------------------------------------------------


def test_forecast_of_a_falling_trend():
    # 20, 18, 16, 14 days at 30-day steps: -1/15 per day; 14 → 8 takes 90 days.
    start = date(2023, 1, 1)
    points = [(start + timedelta(days=30 * i), D(20 - 2 * i)) for i in range(4)]
    assert rules.forecast_breach(points, [(date(2022, 1, 1), D(8))]) == start + timedelta(days=180)


def test_forecast_uses_only_the_last_n_points():
    start = date(2023, 1, 1)
    rising_then_falling = [(start + timedelta(days=i), D(v)) for i, v in enumerate([1, 5, 9, 20, 18, 16, 14])]
    assert rules.forecast_breach(rising_then_falling, [(start, D(8))], last_n=4) == start + timedelta(days=9)


def test_forecast_meets_a_minimum_that_steps_up():
    # Flat at 9.5 days: above 8 (111–113) but below 11 from 114 → breach on 2025-01-01.
    points = [(date(2024, m, 1), D("9.5")) for m in range(1, 7)]
    assert rules.forecast_breach(points, GAS) == date(2025, 1, 1)


@pytest.mark.parametrize(
    "points",
    [
        [(date(2023, 1, 1), D(10)), (date(2023, 2, 1), D(12))],  # rising
        [(date(2023, 1, 1), D(10))],  # one point
        [(date(2023, 1, 1), D(9)), (date(2023, 2, 1), D(7))],  # already below 8
        [(date(2023, 1, 1), D(10)), (date(2023, 2, 1), D(10))],  # flat above
    ],
)
def test_no_forecast(points):
    assert rules.forecast_breach(points, [(date(2022, 1, 1), D(8))]) is None


def test_no_forecast_without_minimum():
    assert rules.forecast_breach([(date(2023, 1, 1), D(10)), (date(2023, 2, 1), D(5))], []) is None


@settings(max_examples=100, deadline=None)
@given(st.integers(9, 200), st.integers(1, 50), st.integers(1, 60))
def test_forecast_lies_where_the_line_meets_the_minimum(level, drop, spacing):
    start = date(2023, 1, 1)
    points = [(start + timedelta(days=spacing * i), D(level) - D(drop) * i / 10) for i in range(6)]
    minimum = D(8)
    breach = rules.forecast_breach(points, [(date(2020, 1, 1), minimum)])
    if points[-1][1] < minimum:
        assert breach is None
        return
    slope = -float(drop) / 10 / spacing
    if breach is None:  # beyond the ten-year horizon
        crossing = (level - float(minimum)) / -slope
        assert crossing - (points[-1][0] - start).days > rules.FORECAST_HORIZON_DAYS - 1
        return
    assert breach >= points[-1][0]
    at_breach = level + slope * (breach - start).days
    assert at_breach <= float(minimum) + 1e-9
    assert level + slope * ((breach - start).days - 1) >= float(minimum) - 1e-9 or breach == points[-1][0]


# --- price warning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latest", "warning"),
    [(D(110), False), (D("110.01"), True), (D(100), False), (D(130), True)],
)
def test_price_warning_above_moving_average(latest, warning):
    prices = [D(95), D(105), D(100), D(100), latest]  # moving average of the 4 before: 100
    check = rules.price_warning(prices, window=4, threshold_pct=D(10))
    assert check is not None
    assert check.moving_average == D(100)
    assert check.warning is warning


def test_price_warning_needs_enough_history():
    assert rules.price_warning([D(1), D(2)], window=2, threshold_pct=D(10)) is None
    assert rules.price_warning([D(1), None, D(2), D(3)], window=2, threshold_pct=D(10)).latest == D(3)


# --- the registry against the document -------------------------------------------------------------


def test_registry_seed_lines_quote_the_document(seed_lines):
    """Each item's source words and each minimum's number are on the seed lines they cite."""

    def near(line: int) -> str:
        # A table row may wrap onto the next line or two (PDF conversion).
        return "".join(seed_lines[line - 1 : line + 4])

    for item in ITEMS:
        lines = [item.line, *item.extra_lines]
        text = "".join(near(n) for n in lines)
        assert item.name.removesuffix("業原料存量") in text or item.name in text, (item.code, lines)
        for minimum in item.minimums:
            figure = f"{minimum.value.normalize():f}"
            assert figure in near(minimum.line), (item.code, minimum.line, figure)


def test_registry_has_the_finished_goods_and_the_drug_reserve_as_the_document_states_them():
    """6.2.3: masks quarterly, toilet paper, soybean oil and flour monthly, none with a minimum (the
    document gives minimums for their raw materials only); the war-reserve drugs of line 1838."""
    items = {i.code: i for i in ITEMS}
    expected = {
        "mask-nonmedical": Frequency.QUARTERLY,
        "toilet-paper": Frequency.MONTHLY,
        "soybean-oil": Frequency.MONTHLY,
        "flour": Frequency.MONTHLY,
        "war-reserve-drugs": Frequency.QUARTERLY,
    }
    assert {code: items[code].frequency for code in expected} == expected
    assert all(not items[code].minimums for code in expected)
    assert (
        "1 萬 7,100 人份" in items["war-reserve-drugs"].source
        and "200 家醫院" in items["war-reserve-drugs"].source
    )


def test_registry_has_the_items_of_the_issue():
    codes = {i.code for i in ITEMS}
    assert {
        "oil",
        "natural-gas",
        "coal",
        "meltblown",
        "pulp",
        "soybean",
        "wheat",
        "cement",
        "sand-gravel",
        "ppe",
    } <= codes
    assert sum(1 for c in codes if c.startswith("industry-")) == 15
