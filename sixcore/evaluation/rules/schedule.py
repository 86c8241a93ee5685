"""Schedule: planned progress of a work item by elapsed months, lag and its light."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext

from sixcore.core.roc import quarter_bounds

from .thresholds import (
    DEFAULT_THRESHOLDS,
    HUNDRED,
    PERCENT_PLACES,
    ZERO,
    Light,
    Number,
    Thresholds,
    _check_period,
    _dec,
    _round,
    lag_light,
)


def _month_number(d: date) -> int:
    return d.year * 12 + d.month - 1


def planned_percent(start: date, end: date, as_of: date) -> Decimal:
    """Planned progress of a work item: the share of its months (start month … end month, both
    inclusive) fully elapsed by ``as_of``, in percent, 2 places, clipped to 0–100.

    A month counts once ``as_of`` is on or after its last day, so a quarter's last day counts the
    quarter's months.  Before the start month ends → 0; from the end month's last day → 100.
    Raises ValueError when ``end`` is before ``start`` (month granularity).
    """
    first, last = _month_number(start), _month_number(end)
    if last < first:
        raise ValueError(f"schedule ends ({end}) before it starts ({start})")
    total = last - first + 1
    through = _month_number(as_of)
    next_day = date.fromordinal(as_of.toordinal() + 1)
    if next_day.month == as_of.month:  # as_of is not the month's last day: that month is not over
        through -= 1
    elapsed = min(max(through - first + 1, 0), total)
    return _round(HUNDRED * elapsed / total, PERCENT_PLACES)


def schedule_lag(planned: Number | None, reported: Number | None) -> Decimal | None:
    """Lag in percentage points: planned − reported (positive = behind, negative = ahead), 2 places;
    None when either is missing.
    """
    p, r = _dec(planned, "planned"), _dec(reported, "reported")
    if p is None or r is None:
        return None
    return _round(p - r, PERCENT_PLACES)


def behind_plan(planned: Number, reported: Number, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Behind plan by more than the green lag: what the report form marks as lagging and what needs
    落後原因/因應對策 before 送出審查 (progress asks through ``progress.extensions.schedule_rule``)."""
    return lag_light(schedule_lag(planned, reported), thresholds) != Light.GREEN


@dataclass(frozen=True)
class ScheduleEvaluation:
    """A work item at the end of a quarter: planned and reported percent, lag (points), light."""

    planned: Decimal
    reported: Decimal | None
    lag: Decimal | None
    light: Light
    reason: str


def evaluate_schedule(
    start: date,
    end: date,
    roc_year: int,
    quarter: int,
    reported_percent: Number | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> ScheduleEvaluation:
    """Evaluate a work item's schedule at the end of ``roc_year`` Q``quarter``.

    planned = ``planned_percent(start, end, quarter end)``; lag = planned − reported; light from
    ``lag_light``.  White when there is no report or when the item is not yet scheduled to have
    progressed (planned 0).  ``reported_percent`` must be within 0–100 (ValueError otherwise).
    """
    _check_period(roc_year, quarter)
    planned = planned_percent(start, end, quarter_bounds(roc_year, quarter)[1])
    reported = _dec(reported_percent, "reported_percent")
    if reported is not None and not ZERO <= reported <= HUNDRED:
        raise ValueError(f"reported percent must be within 0-100, not {reported}")
    lag = schedule_lag(planned, reported)
    if reported is None:
        return ScheduleEvaluation(planned, None, None, Light.WHITE, gettext("no report yet"))
    if planned == ZERO:
        return ScheduleEvaluation(planned, reported, lag, Light.WHITE, gettext("not scheduled to start yet"))
    light = lag_light(lag, thresholds)
    reason = gettext("lag %(lag)s points (planned %(planned)s%%)") % {"lag": lag, "planned": planned}
    return ScheduleEvaluation(planned, reported, lag, light, reason)
