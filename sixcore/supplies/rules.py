"""Pure rules of the strategic supplies watch: cover, minimums, status, forecast, price warning.

No ORM and no HTTP in here: plain dates and Decimals in, plain values out, so the web pages, the API,
the ``sixcore supplies`` command and the benchmark all judge an item the same way, and the rules can
be property-tested on their own (sixcore/supplies/tests/test_supplies_rules.py).

Conventions
- An observation's flows (production, imports, consumption) are the amounts *since the reporter's
  previous report*; its stock is the stock *on* the observation date.
- Average daily consumption over a trailing window is the consumption reported inside the window
  divided by the days those reports actually cover (from the last report at or before the window's
  start, or the first report inside it, to the last report), so it is right for any frequency.
- "Previous calendar year" (coal, 能源管理法: 上一年度燃煤用量 30 天) is the year's total consumption
  divided by the days of that year.
"""

from __future__ import annotations

import calendar
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from .choices import Basis, MinimumKind, Status

# A month of stock is an average month (365.25 / 12 days), so that 1 month of wheat is the same
# quantity in February and in March.
DAYS_PER_MONTH = Decimal("30.4375")
YELLOW_MARGIN = Decimal("0.10")  # "within 10% above the minimum" is yellow
INFINITE = Decimal("Infinity")
# A trend that reaches the minimum only in more than ten years is no forecast worth showing.
FORECAST_HORIZON_DAYS = 3650

MinimumSchedule = Sequence[tuple[date, Decimal]]


# --- minimums ------------------------------------------------------------------------------------


def minimum_on(schedule: MinimumSchedule, on: date) -> Decimal | None:
    """The minimum in force on ``on``: the value of the latest step that took effect on or before it.

    ``schedule`` is ``(effective_from, value)`` pairs in any order. Natural gas: 7 days from 110,
    8 from 111, 11 from 114 (seed lines 1890, 2494, 2048). ``None`` before the first step or when the
    item has no minimum.
    """
    steps = sorted(schedule)
    index = bisect_right([start for start, _ in steps], on)
    return steps[index - 1][1] if index else None


def minimum_steps(schedule: MinimumSchedule, start: date, end: date) -> list[tuple[date, Decimal | None]]:
    """The minimum as a step line between ``start`` and ``end`` (for the chart): the value in force on
    ``start`` followed by each change inside the range."""
    steps = [(start, minimum_on(schedule, start))]
    steps.extend((when, value) for when, value in sorted(schedule) if start < when <= end)
    return steps


# --- consumption and cover -----------------------------------------------------------------------


def average_daily_consumption(
    points: Sequence[tuple[date, Decimal | None]], as_of: date, window_days: int
) -> Decimal | None:
    """Average daily consumption over the ``window_days`` before ``as_of`` (see the module docstring).

    ``points`` are ``(date, consumption since the previous report)``, sorted by date; points after
    ``as_of`` and points without a consumption figure are ignored. ``None`` when the reports cover
    no day (fewer than two reports reaching into the window).
    """
    if window_days <= 0:
        raise ValueError("the window must be at least one day")
    usable = [(d, c) for d, c in points if c is not None and d <= as_of]
    if not usable:
        return None
    start = as_of - timedelta(days=window_days)
    inside = [(d, c) for d, c in usable if d > start]
    if not inside:
        return None
    before = [d for d, _ in usable if d <= start]
    if before:
        anchor = before[-1]
        counted = inside
    else:
        # The first report's consumption covers a period before it of unknown length: it anchors.
        anchor = inside[0][0]
        counted = inside[1:]
    days = (inside[-1][0] - anchor).days
    if days <= 0 or not counted:
        return None
    return sum((c for _, c in counted), Decimal(0)) / Decimal(days)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def previous_year_daily_consumption(total: Decimal | None, year: int) -> Decimal | None:
    """Daily consumption from the total consumption of calendar ``year`` (the year before the as-of date)."""
    if total is None:
        return None
    return Decimal(total) / Decimal(days_in_year(year))


def days_of_cover(stock: Decimal | None, daily: Decimal | None) -> Decimal | None:
    """Stock divided by average daily consumption; infinite when nothing is consumed; ``None`` if unknown."""
    if stock is None or daily is None:
        return None
    if daily <= 0:
        return INFINITE if stock > 0 else Decimal(0)
    return Decimal(stock) / Decimal(daily)


def months_of_stock(stock: Decimal | None, daily: Decimal | None) -> Decimal | None:
    """Stock in average months of consumption (days of cover / 30.4375)."""
    days = days_of_cover(stock, daily)
    return None if days is None else days / DAYS_PER_MONTH


def percent_of_safety_level(stock: Decimal | None, safety_level: Decimal | None) -> Decimal | None:
    """Stock as a percentage of the safety level (PPE: 全國三級庫存安全儲備量達成率, seed line 2523)."""
    if stock is None or safety_level is None:
        return None
    if safety_level <= 0:
        return INFINITE if stock > 0 else None
    return Decimal(stock) * 100 / Decimal(safety_level)


def cover(kind: str, stock: Decimal | None, daily: Decimal | None, safety_level: Decimal | None = None):
    """The cover in the unit the item's minimum is stated in (days, months or percent)."""
    if kind == MinimumKind.DAYS:
        return days_of_cover(stock, daily)
    if kind == MinimumKind.MONTHS:
        return months_of_stock(stock, daily)
    if kind == MinimumKind.PERCENT:
        return percent_of_safety_level(stock, safety_level)
    raise ValueError(f"unknown minimum kind {kind!r}")


def needs_consumption(basis: str) -> bool:
    return basis in (Basis.TRAILING, Basis.PREVIOUS_YEAR)


# --- status --------------------------------------------------------------------------------------


def is_overdue(last_report: date | None, as_of: date, frequency_days: int, grace_days: int) -> bool:
    """A report is missing when the last one is older than the frequency plus the grace days."""
    if last_report is None:
        return True
    return (as_of - last_report).days > frequency_days + grace_days


def status(value: Decimal | None, minimum: Decimal | None, overdue: bool = False) -> str:
    """Red below the minimum, yellow from the minimum up to 10% above it (both ends included), green
    above; grey when the report is overdue or the cover cannot be computed. No minimum: green."""
    if overdue or value is None:
        return Status.GREY
    if minimum is None:
        return Status.GREEN
    if value < minimum:
        return Status.RED
    if value <= minimum * (1 + YELLOW_MARGIN):
        return Status.YELLOW
    return Status.GREEN


# --- forecast ------------------------------------------------------------------------------------


def trend(points: Sequence[tuple[date, Decimal]]) -> tuple[float, float, date] | None:
    """Least-squares line through ``points``: ``(intercept, slope per day, origin date)``; ``None``
    with fewer than two distinct dates."""
    finite = [(d, float(v)) for d, v in points if v is not None and math.isfinite(float(v))]
    if len({d for d, _ in finite}) < 2:
        return None
    origin = finite[0][0]
    xs = [(d - origin).days for d, _ in finite]
    ys = [v for _, v in finite]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return mean_y - slope * mean_x, slope, origin


def forecast_breach(
    points: Sequence[tuple[date, Decimal]], schedule: MinimumSchedule, last_n: int = 6
) -> date | None:
    """The first date on which the trend of the last ``last_n`` points falls below the minimum in force.

    The minimum may step up later (natural gas 8 → 11 days in 114): a trend above 8 but below 11 on
    2025-01-01 breaches on that day. ``None`` when the item has no minimum, is already below it, has
    too few points, or the trend does not reach the minimum within ten years.
    """
    recent = sorted(p for p in points if p[1] is not None)[-last_n:] if last_n > 0 else []
    line = trend(recent)
    if line is None:
        return None
    intercept, slope, origin = line
    last_date, last_value = recent[-1]
    current_minimum = minimum_on(schedule, last_date)
    if current_minimum is None and not any(start > last_date for start, _ in schedule):
        return None
    if current_minimum is not None and last_value < current_minimum:
        return None
    horizon = last_date + timedelta(days=FORECAST_HORIZON_DAYS)
    # Segments of constant minimum from the last observation to the horizon.
    starts = [last_date] + sorted(start for start, _ in schedule if last_date < start <= horizon)
    for index, seg_start in enumerate(starts):
        seg_end = starts[index + 1] if index + 1 < len(starts) else horizon
        minimum = minimum_on(schedule, seg_start)
        if minimum is None:
            continue
        at_start = intercept + slope * (seg_start - origin).days
        if at_start < float(minimum):
            return seg_start
        if slope < 0:
            x = (float(minimum) - intercept) / slope
            # The tolerance keeps float noise (180.00000000000003) from pushing the date a day later.
            crossing = origin + timedelta(days=math.ceil(x - 1e-9))
            crossing = max(crossing, seg_start)
            if crossing < seg_end:
                return crossing
    return None


# --- price early warning -------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceCheck:
    """The latest price against the moving average of the prices before it."""

    latest: Decimal
    moving_average: Decimal
    excess_pct: Decimal
    warning: bool


def price_warning(prices: Sequence[Decimal], window: int, threshold_pct: Decimal) -> PriceCheck | None:
    """Warn when the latest price exceeds the average of the ``window`` prices before it by more than
    ``threshold_pct`` percent (砂石價格預警, seed lines 1991, 2162). ``None`` with too few prices."""
    if window <= 0:
        raise ValueError("the moving-average window must be at least one observation")
    known = [Decimal(p) for p in prices if p is not None]
    if len(known) < window + 1:
        return None
    latest = known[-1]
    previous = known[-window - 1 : -1]
    average = sum(previous, Decimal(0)) / Decimal(window)
    if average <= 0:
        return None
    excess = (latest - average) * 100 / average
    return PriceCheck(
        latest=latest, moving_average=average, excess_pct=excess, warning=excess > threshold_pct
    )


# --- fast history (same results as the functions above, in logarithmic time) -------------------


class History:
    """One reporter's observations of one item, indexed for repeated "as of" questions.

    :meth:`daily` equals :func:`average_daily_consumption` (a property test checks it) but answers in
    O(log n) with prefix sums, so a status recomputation and a chart of hundreds of dates stay cheap.
    ``points`` are ``(date, consumption or None, stock)`` sorted by date, one per date.
    """

    def __init__(self, points: Sequence[tuple[date, Decimal | None, Decimal | None]]) -> None:
        self.dates = [p[0] for p in points]
        self.stocks = [p[2] for p in points]
        self.c_dates: list[date] = []
        self.c_prefix: list[Decimal] = [Decimal(0)]
        for d, consumption, _ in points:
            if consumption is not None:
                self.c_dates.append(d)
                self.c_prefix.append(self.c_prefix[-1] + consumption)

    def last_report(self, on: date) -> date | None:
        index = bisect_right(self.dates, on)
        return self.dates[index - 1] if index else None

    def stock_on(self, on: date) -> Decimal | None:
        """The stock of the latest report on or before ``on``."""
        index = bisect_right(self.dates, on)
        return self.stocks[index - 1] if index else None

    def daily(self, as_of: date, window_days: int) -> Decimal | None:
        """Average daily consumption over the trailing window (see :func:`average_daily_consumption`)."""
        hi = bisect_right(self.c_dates, as_of)
        if hi == 0:
            return None
        lo = bisect_right(self.c_dates, as_of - timedelta(days=window_days))
        if lo >= hi:
            return None
        if lo > 0:
            anchor, first_counted = self.c_dates[lo - 1], lo
        else:
            anchor, first_counted = self.c_dates[0], 1
        days = (self.c_dates[hi - 1] - anchor).days
        if days <= 0 or first_counted >= hi:
            return None
        return (self.c_prefix[hi] - self.c_prefix[first_counted]) / Decimal(days)

    def year_total(self, year: int) -> Decimal | None:
        """Consumption reported on dates inside calendar ``year``; ``None`` if nothing was reported."""
        lo = bisect_right(self.c_dates, date(year - 1, 12, 31))
        hi = bisect_right(self.c_dates, date(year, 12, 31))
        if lo >= hi:
            return None
        return self.c_prefix[hi] - self.c_prefix[lo]

    def daily_for(self, basis: str, on: date, window_days: int) -> Decimal | None:
        """Daily consumption on the item's basis: trailing window, or the previous calendar year."""
        if basis == Basis.PREVIOUS_YEAR:
            return previous_year_daily_consumption(self.year_total(on.year - 1), on.year - 1)
        if basis == Basis.TRAILING:
            return self.daily(on, window_days)
        return None


# --- item level ----------------------------------------------------------------------------------


class ReporterFigures(NamedTuple):
    """One reporter's figures for an item as of a date (input of :func:`combine`). A named tuple:
    a status recomputation makes one per reporter and report date (tens of thousands)."""

    stock: Decimal | None
    daily: Decimal | None
    safety_level: Decimal | None = None


def combine(kind: str, figures: Sequence[ReporterFigures]) -> tuple[Decimal | None, Decimal | None]:
    """The item's cover from its reporters' figures: summed stock over summed consumption (or summed
    safety levels). Returns ``(cover in the item's measure, days of cover)``.

    Reporters whose consumption is unknown still add their stock only if the others' consumption is
    known; a reporter with neither is left out (its status is judged on its own).
    """
    with_stock = [f for f in figures if f.stock is not None]
    if not with_stock:
        return None, None
    stock = sum((f.stock for f in with_stock), Decimal(0))
    if kind == MinimumKind.PERCENT:
        levels = [f.safety_level for f in with_stock if f.safety_level is not None]
        value = percent_of_safety_level(stock, sum(levels, Decimal(0))) if levels else None
        return value, None
    dailies = [f.daily for f in with_stock if f.daily is not None]
    daily = sum(dailies, Decimal(0)) if dailies else None
    days = days_of_cover(stock, daily)
    return cover(kind, stock, daily), days


def finite_or_none(value: Decimal | None, places: int = 2) -> float | None:
    """A JSON-friendly rounded number (infinite or unknown cover → ``None``)."""
    if value is None or not value.is_finite():
        return None
    return float(round(value, places))
