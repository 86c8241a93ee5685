"""Thresholds and lights: the enums, the number helpers every rule shares, the one ``Thresholds``
object and the three light functions.  The base of the package: it imports no other rules module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

RATIO_PLACES = Decimal("0.0001")  # achievement, 執行率, 達成率, forecasts
PERCENT_PLACES = Decimal("0.01")  # planned / reported / lag in percentage points
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

Period = tuple[int, int]  # (ROC year, quarter)
Number = Decimal | int | float | str


class Light(enum.StrEnum):
    """The 燈號 of an item: green (on track), yellow (watch), red (behind), white (nothing to judge)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    WHITE = "white"


LIGHT_LABELS: dict[Light, str] = {
    Light.GREEN: "綠燈",
    Light.YELLOW: "黃燈",
    Light.RED: "紅燈",
    Light.WHITE: "白燈",
}
# Order of the judged lights (white is not judged, so it has no rank).
LIGHT_RANK: dict[Light, int] = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}


class Interpolation(enum.StrEnum):
    """How a year's target is spread over its quarters."""

    LINEAR = "linear"  # pro rata by quarter: q/4 of the year's increment (or per-period amount)
    STEP = "step"  # all at year end: nothing new is expected before Q4


# --- numbers --------------------------------------------------------------------------------------


def _dec(value: object, name: str = "value") -> Decimal | None:
    """A finite Decimal from a Decimal, int, float or numeric string; None stays None."""
    if value is None:
        return None
    if value.__class__ is Decimal and value.is_finite():  # the common cases, first
        return value
    if value.__class__ is int:  # not a bool (its class is bool)
        return Decimal(value)
    if value.__class__ is float:
        result = Decimal(repr(value))  # the float's shortest repr: 0.1 → Decimal("0.1")
        if not result.is_finite():
            raise ValueError(f"{name} must be finite: {value!r}")
        return result
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, not a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"{name} is not a number: {value!r}") from exc
    elif isinstance(value, float):
        result = Decimal(repr(value))  # the float's shortest repr: 0.1 → Decimal("0.1")
    else:
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{name} must be finite: {value!r}")
    return result


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _tidy(value: Decimal | None) -> Decimal | None:
    """Drop trailing zeros without exponent notation: 15.0 → 15, 12.50 → 12.5."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(ONE)
    return value.normalize()


def _pct(value: Decimal) -> str:
    """A ratio as a percent text for reasons: 0.8999 → '89.99%'."""
    return f"{_round(value * HUNDRED, PERCENT_PLACES)}%"


def _check_period(roc_year: int, quarter: int) -> None:
    if not isinstance(roc_year, int) or roc_year < 1:
        raise ValueError(f"ROC year must be a positive int, not {roc_year!r}")
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter!r}")


def period_index(roc_year: int, quarter: int) -> int:
    """Running quarter number (``roc_year * 4 + quarter - 1``): consecutive quarters differ by 1."""
    _check_period(roc_year, quarter)
    return roc_year * 4 + quarter - 1


# --- settings -------------------------------------------------------------------------------------

_DECIMAL_FIELDS = (
    "kpi_green",
    "kpi_yellow",
    "budget_green",
    "budget_yellow",
    "lag_green",
    "lag_yellow",
    "achievement_cap",
    "warning_budget_rate",
    "implausible_factor",
    "lag_reason_above",
)


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of the rules in one place; override with ``Thresholds(budget_green="0.85")``,
    ``dataclasses.replace(DEFAULT_THRESHOLDS, ...)`` or ``Thresholds.from_mapping(settings_dict)``.

    Ratios are fractions (0.90 = 90 %); lags are percentage points.  A light is green when the value
    reaches the green bound, yellow when it reaches the yellow bound, red below (for lag: at most
    the green / yellow bound).  Numbers may be given as str/int/float; they are stored as Decimal.
    """

    kpi_green: Decimal = Decimal("1.00")  # achievement ≥ 100 % → green
    kpi_yellow: Decimal = Decimal("0.80")  # achievement ≥ 80 % → yellow, below → red
    budget_green: Decimal = Decimal("0.90")  # 執行率 ≥ 90 % → green
    budget_yellow: Decimal = Decimal("0.80")  # 執行率 ≥ 80 % → yellow, below → red
    lag_green: Decimal = Decimal("10")  # lag ≤ 10 points → green
    lag_yellow: Decimal = Decimal("20")  # lag ≤ 20 points → yellow, above → red
    interpolation: Interpolation = Interpolation.LINEAR  # spreading of annual targets over quarters
    achievement_cap: Decimal = Decimal("1.2")  # roll-ups count an achievement as at most 120 %
    red_streak_quarters: int = 2  # this many red quarters in a row is a risk signal
    red_streak_is_high: bool = True  # … and on its own makes the group high risk
    forecast_is_signal: bool = True  # year-end forecast below target is a risk signal
    warning_budget_rate: Decimal = Decimal("0.90")  # 執行率 below this …
    warning_budget_from_quarter: int = 3  # … at the end of Q3 or later is a risk signal
    high_risk_signals: int = 2  # this many distinct signals in a group → high, one → medium
    implausible_factor: Decimal = Decimal("3")  # actual > 3 × final cumulative target is implausible
    lag_reason_above: Decimal = Decimal("0")  # a lag above this many points needs a 落後原因

    def __post_init__(self) -> None:
        for name in _DECIMAL_FIELDS:
            value = _dec(getattr(self, name), name)
            if value is None:
                raise ValueError(f"{name} must not be None")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "interpolation", Interpolation(self.interpolation))
        if not ZERO <= self.kpi_yellow <= self.kpi_green:
            raise ValueError("need 0 <= kpi_yellow <= kpi_green")
        if not ZERO <= self.budget_yellow <= self.budget_green:
            raise ValueError("need 0 <= budget_yellow <= budget_green")
        if not ZERO <= self.lag_green <= self.lag_yellow:
            raise ValueError("need 0 <= lag_green <= lag_yellow")
        if self.achievement_cap <= ZERO:
            raise ValueError("achievement_cap must be positive")
        if self.implausible_factor <= ZERO:
            raise ValueError("implausible_factor must be positive")
        if self.lag_reason_above < ZERO:
            raise ValueError("lag_reason_above must not be negative")
        if self.warning_budget_rate < ZERO:
            raise ValueError("warning_budget_rate must not be negative")
        if self.warning_budget_from_quarter not in (1, 2, 3, 4):
            raise ValueError("warning_budget_from_quarter must be 1-4")
        if self.red_streak_quarters < 1:
            raise ValueError("red_streak_quarters must be at least 1")
        if self.high_risk_signals < 1:
            raise ValueError("high_risk_signals must be at least 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Thresholds:
        """Defaults overridden by ``values`` (e.g. a settings dict); unknown keys raise ValueError."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown threshold(s): {', '.join(unknown)}")
        return cls(**values)


DEFAULT_THRESHOLDS = Thresholds()


# --- lights ---------------------------------------------------------------------------------------


def _light_at_least(value: Decimal | None, green: Decimal, yellow: Decimal) -> Light:
    if value is None:
        return Light.WHITE
    if value >= green:
        return Light.GREEN
    if value >= yellow:
        return Light.YELLOW
    return Light.RED


def kpi_light(achievement: Number | None, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Light:
    """Light of a KPI achievement (a fraction): ≥ ``kpi_green`` (1.00) green, ≥ ``kpi_yellow`` (0.80)
    yellow, below red; None (nothing due, no report) white.  Bounds are inclusive.
    """
    return _light_at_least(_dec(achievement, "achievement"), thresholds.kpi_green, thresholds.kpi_yellow)


def budget_light(rate: Number | None, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Light:
    """Light of a budget 執行率 (a fraction): ≥ ``budget_green`` (0.90) green, ≥ ``budget_yellow``
    (0.80) yellow, below red; None (nothing allocated yet, no report) white.  Bounds are inclusive.
    """
    return _light_at_least(_dec(rate, "rate"), thresholds.budget_green, thresholds.budget_yellow)


def lag_light(lag: Number | None, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Light:
    """Light of a schedule lag in percentage points (planned − reported): ≤ ``lag_green`` (10) green,
    ≤ ``lag_yellow`` (20) yellow, above red; a negative lag (ahead of plan) is green; None white.
    """
    value = _dec(lag, "lag")
    if value is None:
        return Light.WHITE
    if value <= thresholds.lag_green:
        return Light.GREEN
    if value <= thresholds.lag_yellow:
        return Light.YELLOW
    return Light.RED
