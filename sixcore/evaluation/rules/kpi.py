"""KPI achievement: a KPI at the end of a quarter against its annual targets (the audited rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from sixcore.plan.targets import LEVEL, MILESTONE

from .targets import TargetSeries, _milestone_due_year
from .thresholds import (
    DEFAULT_THRESHOLDS,
    ONE,
    RATIO_PLACES,
    ZERO,
    Interpolation,
    Light,
    Number,
    Period,
    Thresholds,
    _check_period,
    _dec,
    _light_at_least,
    _pct,
    _ratio,
    _round,
)


def achievement(actual: Number | None, expected: Number | None) -> Decimal | None:
    """actual / expected rounded to 4 places (ROUND_HALF_UP); None when either is None or the
    expected value is 0 or negative (nothing due, or not a ratio that can be read as progress).
    """
    a, e = _dec(actual, "actual"), _dec(expected, "expected")
    if a is None or e is None or e <= ZERO:
        return None
    return _ratio(a, e)


@dataclass(frozen=True)
class KpiEvaluation:
    """A KPI at the end of a quarter.

    ``expected``/``expected_upper`` use the target's lower/upper bound; ``achievement`` is
    actual / expected (4 places); ``met`` = actual ≥ expected, ``exceeded`` = actual > expected_upper
    (None when there is nothing to compare); ``reason`` says in words why the light is what it is.
    """

    expected: Decimal | None
    actual: Decimal | None
    achievement: Decimal | None
    light: Light
    reason: str
    kind: str | None = None
    expected_upper: Decimal | None = None
    met: bool | None = None
    exceeded: bool | None = None


def _numeric_actual(actual: object) -> Decimal | None:
    if isinstance(actual, bool):
        return ONE if actual else ZERO
    return _dec(actual, "actual")


def _done(actual: object) -> bool | None:
    if actual is None or isinstance(actual, bool):
        return actual  # type: ignore[return-value]
    value = _dec(actual, "actual")
    return value is not None and value > ZERO


def evaluate_kpi(
    targets: Mapping[Any, object] | TargetSeries,
    roc_year: int,
    quarter: int,
    actual: Number | bool | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    interpolation: Interpolation | str | None = None,
) -> KpiEvaluation:
    """Evaluate a KPI at the end of ``roc_year`` Q``quarter`` against the annual ``targets`` (a
    mapping as in ``expected_value``, or its ``TargetSeries``).

    ``actual`` is the cumulative value to date for a cumulative KPI, the value reported for the year
    so far for a per-period KPI, and done (True/False, or a number > 0 for done) for a milestone.
    ``interpolation`` defaults to ``thresholds.interpolation``.

    * No target for the year → white ("no target").  A target without quantity → white.
    * Numeric: expected per ``expected_value``; no actual → white ("no report"); expected ≤ 0
      (under STEP before Q4 of the first target year, or a zero target) → white ("nothing due");
      else achievement = actual / expected (4 places) and the light from ``kpi_light`` applied to
      the rounded achievement, so the light always matches the percent shown.
    * Milestone: done → achievement 1, green (whenever reported, even early); not done and due
      (Q4 of its year) → 0, red; not done and not due → None, white; no report → white.
    * Level: ``actual`` is the latest reported value (a rate, days of stock), compared with the
      year's threshold at every quarter; a ceiling (「不超過 5 %」) is met at or below it, and its
      achievement is threshold / actual.
    * A year whose target is in another unit than the full-term target (``unit_mismatch``) is not
      compared: white, with the reason.
    """
    _check_period(roc_year, quarter)
    mode = Interpolation(interpolation if interpolation is not None else thresholds.interpolation)
    return _evaluate_kpi(TargetSeries.of(targets), roc_year, quarter, actual, thresholds, mode)


def evaluate_kpi_series(
    series: TargetSeries | Mapping[Any, object],
    periods: Iterable[Period],
    actuals_by_period: Mapping[Period, Number | bool | None],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    interpolation: Interpolation | str | None = None,
) -> dict[Period, KpiEvaluation]:
    """``evaluate_kpi`` of one KPI for many periods at once: ``{(roc_year, quarter): KpiEvaluation}``
    in the order of ``periods``, the actual of each period taken from ``actuals_by_period`` (a
    missing period is "no report").  The targets are read once; each result is exactly
    ``evaluate_kpi(targets, roc_year, quarter, actual, thresholds, interpolation=...)``.
    """
    parsed = TargetSeries.of(series)
    mode = Interpolation(interpolation if interpolation is not None else thresholds.interpolation)
    results: dict[Period, KpiEvaluation] = {}
    for roc_year, quarter in periods:
        _check_period(roc_year, quarter)
        results[(roc_year, quarter)] = _evaluate_kpi(
            parsed, roc_year, quarter, actuals_by_period.get((roc_year, quarter)), thresholds, mode
        )
    return results


def _evaluate_kpi(
    series: TargetSeries,
    roc_year: int,
    quarter: int,
    actual: Number | bool | None,
    thresholds: Thresholds,
    mode: Interpolation,
) -> KpiEvaluation:
    """The one implementation behind ``evaluate_kpi`` and ``evaluate_kpi_series`` (checked arguments)."""
    target = series.years.get(roc_year)
    if target is None:
        return KpiEvaluation(
            None,
            _numeric_actual(actual),
            None,
            Light.WHITE,
            gettext("no target for %(year)s") % {"year": roc_year},
        )

    if target.kind == MILESTONE:
        due_year = _milestone_due_year(target, roc_year)
        due = roc_year >= due_year and quarter == 4
        done = _done(actual)
        actual_value = None if done is None else (ONE if done else ZERO)
        expected = ONE if due else None
        if done is None:
            reason = (
                gettext("no report yet")
                if due
                else gettext("milestone due at end of %(year)s; no report yet") % {"year": due_year}
            )
            return KpiEvaluation(expected, None, None, Light.WHITE, reason, MILESTONE, expected)
        if done:
            return KpiEvaluation(
                expected,
                ONE,
                _round(ONE, RATIO_PLACES),
                Light.GREEN,
                gettext("milestone reached"),
                MILESTONE,
                expected,
                True,
            )
        if due:
            return KpiEvaluation(
                expected,
                actual_value,
                _round(ZERO, RATIO_PLACES),
                Light.RED,
                gettext("milestone due at end of %(year)s and not done") % {"year": due_year},
                MILESTONE,
                expected,
                False,
            )
        reason = gettext("milestone not due before end of %(year)s") % {"year": due_year}
        return KpiEvaluation(None, actual_value, None, Light.WHITE, reason, MILESTONE)

    expected, expected_upper = series.expected_bounds(roc_year, quarter, mode)
    value = _dec(actual, "actual")
    if target.not_comparable:
        return KpiEvaluation(None, value, None, Light.WHITE, target.not_comparable, target.kind)
    if expected is None:
        return KpiEvaluation(None, value, None, Light.WHITE, gettext("target has no quantity"), target.kind)
    if expected <= ZERO:
        return KpiEvaluation(
            expected, value, None, Light.WHITE, gettext("nothing due yet"), target.kind, expected_upper
        )
    if value is None:
        return KpiEvaluation(
            expected, None, None, Light.WHITE, gettext("no report yet"), target.kind, expected_upper
        )
    if target.kind == LEVEL and target.ceiling:
        return _evaluate_ceiling(expected, value, thresholds)
    ratio = _ratio(value, expected)
    light = _light_at_least(ratio, thresholds.kpi_green, thresholds.kpi_yellow)
    reason = gettext("achievement %(achievement)s of expected %(expected)s") % {
        "achievement": _pct(ratio),
        "expected": expected,
    }
    exceeded = value > expected_upper if expected_upper is not None else None
    return KpiEvaluation(
        expected, value, ratio, light, reason, target.kind, expected_upper, value >= expected, exceeded
    )


def _evaluate_ceiling(ceiling: Decimal, value: Decimal, thresholds: Thresholds) -> KpiEvaluation:
    """A level that must stay at or below ``ceiling``: achievement ceiling / actual (1 at or below
    the ceiling, less the further above it), so the same green/yellow thresholds apply."""
    met = value <= ceiling
    ratio = ONE if met or value <= ZERO else _ratio(ceiling, value)
    light = _light_at_least(ratio, thresholds.kpi_green, thresholds.kpi_yellow)
    reason = gettext("%(actual)s against a ceiling of %(ceiling)s") % {"actual": value, "ceiling": ceiling}
    return KpiEvaluation(
        ceiling, value, _round(ratio, RATIO_PLACES), light, reason, LEVEL, ceiling, met, False
    )
