"""Evaluation rules of the 管考 cycle: KPI achievement, schedule lag, budget execution, lights,
roll-ups, early warning and data-quality flags.

Plain functions over plain values (no ORM, no HTTP): the web pages, the API, the CLI and the
benchmarks all call these.  Numbers are ``Decimal``; ratios (achievement, 執行率, 達成率) are
fractions (``Decimal("0.9")`` = 90 %) rounded to 4 places, percents of progress (planned,
reported, lag) are percentage points rounded to 2 places.  Every threshold lives in one frozen
``Thresholds`` object; ``docs/EVALUATION.md`` explains each default and its basis.

Targets are the quantified-target dicts of ``sixcore.plan.targets`` (``QuantifiedTarget.to_dict()``
as stored in ``AnnualTarget.target``; a ``QuantifiedTarget`` itself works too), keyed by ROC year.
The caller picks the plan revision in force for the period and passes its annual targets.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from django.utils.translation import gettext

from sixcore.core.roc import quarter_bounds
from sixcore.plan.targets import CUMULATIVE, KINDS, MILESTONE, PER_PERIOD

__all__ = [
    "BUDGET_BELOW_RATE",
    "CUMULATIVE_DECREASE",
    "DEFAULT_THRESHOLDS",
    "DONE_WITHOUT_DATE",
    "FLAG_LABELS",
    "FORECAST_BELOW_TARGET",
    "IMPLAUSIBLE_ACTUAL",
    "LAG_WITHOUT_REASON",
    "LIGHT_LABELS",
    "LIGHT_RANK",
    "REASON_WITHOUT_LAG",
    "RED_STREAK",
    "RISK_LABELS",
    "RISK_RULE_LABELS",
    "BudgetEvaluation",
    "Interpolation",
    "KpiEvaluation",
    "Light",
    "QualityFlag",
    "RiskAssessment",
    "RiskInput",
    "RiskSignal",
    "RiskTier",
    "RollUp",
    "ScheduleEvaluation",
    "TargetSeries",
    "Thresholds",
    "achievement",
    "achievement_rate",
    "budget_light",
    "budget_shortfall",
    "early_warning",
    "evaluate_budget",
    "evaluate_kpi",
    "evaluate_kpi_series",
    "evaluate_schedule",
    "execution_rate",
    "expected_value",
    "final_cumulative_target",
    "forecast_shortfall",
    "forecast_year_end",
    "kpi_flags",
    "kpi_light",
    "lag_light",
    "linear_forecast",
    "period_index",
    "planned_percent",
    "red_streak",
    "risk_signals",
    "risk_tier",
    "roll_up",
    "schedule_lag",
    "target_bounds",
    "work_item_flags",
    "year_end_target",
]

RATIO_PLACES = Decimal("0.0001")  # achievement, 執行率, 達成率, forecasts
PERCENT_PLACES = Decimal("0.01")  # planned / reported / lag in percentage points
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

Period = tuple[int, int]  # (ROC year, quarter)
Number = Decimal | int | float | str


# --- enums and labels ----------------------------------------------------------------------------


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


class RiskTier(enum.StrEnum):
    """風險等級 of the early warning, as in 國發會's 公共建設計畫審議、預警及退場機制."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


RISK_LABELS: dict[RiskTier, str] = {
    RiskTier.HIGH: "高風險",
    RiskTier.MEDIUM: "中風險",
    RiskTier.LOW: "低風險",
}

RED_STREAK = "red_streak"
FORECAST_BELOW_TARGET = "forecast_below_target"
BUDGET_BELOW_RATE = "budget_below_rate"
RISK_RULE_LABELS: dict[str, str] = {
    RED_STREAK: "連續兩季紅燈",
    FORECAST_BELOW_TARGET: "年底預測值低於目標",
    BUDGET_BELOW_RATE: "第 3 季後預算執行率未達 90%",
}

LAG_WITHOUT_REASON = "lag_without_reason"
REASON_WITHOUT_LAG = "reason_without_lag"
DONE_WITHOUT_DATE = "done_without_date"
IMPLAUSIBLE_ACTUAL = "implausible_actual"
CUMULATIVE_DECREASE = "cumulative_decrease"
FLAG_LABELS: dict[str, str] = {
    LAG_WITHOUT_REASON: "進度落後未填落後原因",
    REASON_WITHOUT_LAG: "進度未落後卻填有落後原因",
    DONE_WITHOUT_DATE: "已完成 100% 未填完成日期",
    IMPLAUSIBLE_ACTUAL: "實際值超過累計目標終值不合理倍數",
    CUMULATIVE_DECREASE: "累計實際值較前期減少",
}


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


# --- targets and expected values ------------------------------------------------------------------


class _Target(NamedTuple):  # not a frozen dataclass: cheaper to build, and a portfolio has ~50,000
    kind: str
    lower: Decimal | None
    upper: Decimal | None
    by_year: int | None


def _read_target(raw: object) -> _Target | None:
    if raw is None:
        return None
    if raw.__class__ is dict or isinstance(raw, Mapping):
        get: Callable[[str], Any] = raw.get
    else:

        def get(key: str) -> Any:
            return getattr(raw, key, None)

    return _target_of(get("kind"), get("value"), get("min"), get("max"), get("by_year"))


def _target_of(kind: object, value: object, low: object, high: object, by_year: object) -> _Target:
    """A target from the values of its keys (as a target dict holds them)."""
    if kind not in KINDS:
        raise ValueError(f"target kind must be one of {KINDS}, not {kind!r}")
    value, low, high = _dec(value), _dec(low), _dec(high)
    lower = low if low is not None else value
    upper = high if high is not None else value
    if lower is None:  # only a maximum given
        lower = upper
    if upper is None:
        upper = lower
    # ``tuple.__new__``: a NamedTuple without its Python-level ``__new__`` (one per annual target).
    return tuple.__new__(_Target, (kind, lower, upper, int(by_year) if by_year is not None else None))


def target_bounds(target: object) -> tuple[Decimal | None, Decimal | None]:
    """(lower, upper) of one quantified target: a range ``2~3`` gives (2, 3), ``至少 3`` (3, 3),
    ``不超過 5`` (5, 5), a single value (v, v), a milestone or a target without quantity (None, None).
    The lower bound decides "met", the upper "exceeded".
    """
    parsed = _read_target(target)
    if parsed is None or parsed.kind == MILESTONE:
        return None, None
    return parsed.lower, parsed.upper


def _milestone_due_year(target: _Target, roc_year: int) -> int:
    return max(roc_year, target.by_year) if target.by_year is not None else roc_year


def _share(quarter: int, interpolation: Interpolation) -> Decimal:
    if interpolation == Interpolation.LINEAR:
        return Decimal(quarter) / 4
    return ONE if quarter == 4 else ZERO


# ``_share`` of every quarter and mode, computed once (an expected value needs one per KPI and period).
_SHARES = {(quarter, mode): _share(quarter, mode) for quarter in (1, 2, 3, 4) for mode in Interpolation}
_QUARTER_SHARES = {mode: tuple(_SHARES[quarter, mode] for quarter in (1, 2, 3, 4)) for mode in Interpolation}
_NOTHING_EXPECTED = (None, None, None, None)


class TargetSeries:
    """A KPI's annual targets read once: each year's kind, lower and upper bound (``Decimal``) and
    milestone year, and each year's cumulative baseline C₀ (the latest earlier cumulative target, per
    bound; 0 before the first).

    Every rule that takes ``targets`` also takes a ``TargetSeries`` (``evaluate_kpi``,
    ``evaluate_kpi_series``, ``expected_value``, ``year_end_target``, ``final_cumulative_target``), so
    a caller evaluating a KPI for many periods parses its targets once instead of once per call.
    Expected values are computed a year at a time on first use and kept (per year, mode and bound).
    A malformed target (unknown kind, a quantity that is not a number) raises here, as it would in
    ``evaluate_kpi``.
    """

    __slots__ = ("_base", "_cache", "years")

    def __init__(self, targets: Mapping[Any, object]) -> None:
        years = {int(year): _read_target(raw) for year, raw in targets.items()}
        self.years: dict[int, _Target | None] = years
        base: dict[int, tuple[Decimal, Decimal]] = {}
        lower = upper = ZERO
        for year in sorted(years):
            base[year] = (lower, upper)
            target = years[year]
            if target is not None and target.kind == CUMULATIVE:
                if target.lower is not None:
                    lower = target.lower
                if target.upper is not None:
                    upper = target.upper
        self._base = base
        self._cache: dict[tuple[int, Interpolation, str], tuple[Decimal | None, ...]] = {}

    @classmethod
    def of(cls, targets: Mapping[Any, object] | TargetSeries) -> TargetSeries:
        """``targets`` itself when it is already a ``TargetSeries``, else its normalised form."""
        return targets if isinstance(targets, TargetSeries) else cls(targets)

    def __repr__(self) -> str:
        return f"TargetSeries({self.years!r})"

    def kind(self, roc_year: int) -> str | None:
        """The kind of this year's target (``cumulative``/``per_period``/``milestone``), or None."""
        target = self.years.get(roc_year)
        return target.kind if target is not None else None

    def expected(
        self, roc_year: int, quarter: int, interpolation: Interpolation, bound: str
    ) -> Decimal | None:
        """``expected_value`` without argument checks (trailing zeros dropped), kept once computed."""
        if quarter not in (1, 2, 3, 4):  # not an index from the end
            raise ValueError(f"quarter must be 1-4, not {quarter!r}")
        return self.expected_year(roc_year, interpolation, bound)[quarter - 1]

    def expected_year(
        self, roc_year: int, interpolation: Interpolation, bound: str
    ) -> tuple[Decimal | None, ...]:
        """The ``expected`` values of the year's four quarters (Q1 first), computed once and kept."""
        key = (roc_year, interpolation, bound)
        values = self._cache.get(key)  # not try/except: most calls of a batch are misses
        if values is None:
            values = self._cache[key] = self._expected_year(roc_year, interpolation, bound)
        return values

    def expected_bounds(
        self, roc_year: int, quarter: int, interpolation: Interpolation
    ) -> tuple[Decimal | None, Decimal | None]:
        """The (lower, upper) ``expected`` values."""
        return (
            self.expected(roc_year, quarter, interpolation, "lower"),
            self.expected(roc_year, quarter, interpolation, "upper"),
        )

    def _expected_year(
        self, roc_year: int, interpolation: Interpolation, bound: str
    ) -> tuple[Decimal | None, ...]:
        # One formula per kind, applied to the four quarters (``expected_value`` documents it).
        target = self.years.get(roc_year)
        if target is None:
            return _NOTHING_EXPECTED
        if target.kind == MILESTONE:
            due = roc_year >= _milestone_due_year(target, roc_year)
            return (None, None, None, ONE if due else None)
        year_value = target.lower if bound == "lower" else target.upper
        if year_value is None:
            return _NOTHING_EXPECTED
        shares = _QUARTER_SHARES[interpolation]
        if target.kind == PER_PERIOD:
            return tuple([_tidy(year_value * share) for share in shares])
        lower, upper = self._base[roc_year]
        previous = lower if bound == "lower" else upper
        step = year_value - previous  # C₁ − C₀, the same Decimal for every quarter
        return tuple([_tidy(previous + step * share) for share in shares])

    def final_cumulative(self) -> Decimal | None:
        """Upper bound of the latest year with a cumulative target, or None."""
        for year in sorted(self.years, reverse=True):
            target = self.years[year]
            if target is not None and target.kind == CUMULATIVE and target.upper is not None:
                return target.upper
        return None


def expected_value(
    targets: Mapping[Any, object] | TargetSeries,
    roc_year: int,
    quarter: int,
    interpolation: Interpolation | str = Interpolation.LINEAR,
    *,
    bound: Literal["lower", "upper"] = "lower",
) -> Decimal | None:
    """Value expected at the end of quarter ``quarter`` of ``roc_year`` from the annual targets.

    ``targets`` maps ROC year → quantified target (dict or ``QuantifiedTarget``) or None, as in the
    plan revision the caller chose (or is that mapping's ``TargetSeries``).  Rules:

    * cumulative: from the previous cumulative target C₀ (the latest earlier year with a cumulative
      target; 0 before the first) to this year's C₁ — LINEAR gives C₀ + (C₁ − C₀)·q/4, STEP gives C₀
      for Q1–Q3 and C₁ at Q4.  The result always lies between C₀ and C₁.
    * per_period: this year's own amount P — LINEAR gives P·q/4, STEP gives 0 before Q4 and P at Q4;
      it is compared with the amount reported for the year so far.
    * milestone: 1 ("done") once due — at Q4 of its year, or of ``by_year`` when the text names a
      later year — else None.
    * no target for the year, or a target without a quantity: None.

    ``bound="lower"`` (default) uses a range's lower bound ("met"), ``"upper"`` its upper bound
    ("exceeded").  Values are exact (quarters divide by 4), not rounded; trailing zeros are dropped.
    """
    _check_period(roc_year, quarter)
    if bound not in ("lower", "upper"):
        raise ValueError("bound must be 'lower' or 'upper'")
    return TargetSeries.of(targets).expected(roc_year, quarter, Interpolation(interpolation), bound)


def year_end_target(targets: Mapping[Any, object] | TargetSeries, roc_year: int) -> Decimal | None:
    """This year's year-end target (lower bound): the value expected at Q4, in either mode.

    For a cumulative KPI it is the cumulative target, for a per-period KPI the year's amount, for a
    milestone 1 (done); None when the year has no quantified target.
    """
    return expected_value(targets, roc_year, 4)


def final_cumulative_target(targets: Mapping[Any, object] | TargetSeries) -> Decimal | None:
    """The last cumulative target of the plan (upper bound of the latest year with one), or None."""
    return TargetSeries.of(targets).final_cumulative()


# --- KPI achievement ------------------------------------------------------------------------------


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


# --- schedule -------------------------------------------------------------------------------------


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


# --- budget ---------------------------------------------------------------------------------------


def execution_rate(executed: Number | None, allocated_to_date: Number | None) -> Decimal | None:
    """執行率 = executed / allocated to date (累計分配數), 4 places; None when either is missing or
    nothing is allocated yet (≤ 0).
    """
    return achievement(executed, allocated_to_date)


def achievement_rate(executed: Number | None, annual_budget: Number | None) -> Decimal | None:
    """達成率 = executed / annual budget (年度預算數), 4 places; None when either is missing or the
    budget is ≤ 0.
    """
    return achievement(executed, annual_budget)


@dataclass(frozen=True)
class BudgetEvaluation:
    """Budget execution to date: 執行率, 達成率 and the light (from 執行率)."""

    execution_rate: Decimal | None
    achievement_rate: Decimal | None
    light: Light
    reason: str


def evaluate_budget(
    executed: Number | None,
    allocated_to_date: Number | None,
    annual_budget: Number | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> BudgetEvaluation:
    """Budget execution: 執行率 (executed / allocated to date), 達成率 (executed / annual budget) and
    the light of the 執行率 via ``budget_light``.  White when nothing is reported or nothing is
    allocated yet.  ``executed`` is what the reporting agency counts as executed (實支 + 應付未付 +
    節餘 in 主計總處 usage); the rule does not split it.
    """
    rate = execution_rate(executed, allocated_to_date)
    reached = achievement_rate(executed, annual_budget)
    if executed is None:
        return BudgetEvaluation(None, None, Light.WHITE, gettext("no report yet"))
    if rate is None:
        return BudgetEvaluation(None, reached, Light.WHITE, gettext("nothing allocated yet"))
    reason = gettext("execution rate %(rate)s") % {"rate": _pct(rate)}
    return BudgetEvaluation(rate, reached, budget_light(rate, thresholds), reason)


# --- roll-ups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollUp:
    """A group's lights and weighted achievement.

    ``counts`` has every light (zeros included); ``items`` is the number of rows; ``weight`` the
    total weight of the rows that have an achievement; ``weighted_achievement`` is
    Σ wᵢ·min(aᵢ, cap) / Σ wᵢ over those rows (4 places), None when there are none.
    """

    key: Hashable
    counts: dict[Light, int]
    items: int
    weight: Decimal
    weighted_achievement: Decimal | None


def roll_up(
    rows: Iterable[tuple[Hashable, Light | str, Number | None, Number | None]],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    cap: Number | None = None,
) -> dict[Hashable, RollUp]:
    """Roll rows of ``(group_key, light, achievement, weight)`` up per group key (in first-seen order).

    Counts lights; averages achievements weighted by ``weight`` (None → 1, 0 → counted in the lights
    but not in the average, negative → ValueError), each achievement capped at ``cap`` (default
    ``thresholds.achievement_cap`` = 1.2) so one over-achiever cannot hide a failure.  Rows without
    an achievement (white lights) count in ``counts`` only.
    """
    limit = _dec(cap, "cap") if cap is not None else thresholds.achievement_cap
    if limit is None or limit <= ZERO:
        raise ValueError("cap must be positive")
    counts: dict[Hashable, dict[Light, int]] = {}
    sums: dict[Hashable, list[Decimal]] = {}
    items: dict[Hashable, int] = {}
    for key, light, ach, weight in rows:
        light = Light(light)
        if key not in counts:
            counts[key] = {lt: 0 for lt in Light}
            sums[key] = [ZERO, ZERO]
            items[key] = 0
        counts[key][light] += 1
        items[key] += 1
        w = _dec(weight, "weight")
        w = ONE if w is None else w
        if w < ZERO:
            raise ValueError(f"weight must not be negative: {w}")
        a = _dec(ach, "achievement")
        if a is not None and w > ZERO:
            sums[key][0] += w * min(a, limit)
            sums[key][1] += w
    result: dict[Hashable, RollUp] = {}
    for key, (total, weight_sum) in sums.items():
        average = _ratio(total, weight_sum) if weight_sum > ZERO else None
        result[key] = RollUp(key, counts[key], items[key], weight_sum, average)
    return result


# --- forecast -------------------------------------------------------------------------------------


def _series(
    points: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
) -> list[tuple[int, Period, Decimal]]:
    pairs = points.items() if isinstance(points, Mapping) else points
    seen: dict[int, Period] = {}
    result: list[tuple[int, Period, Decimal]] = []
    for period, raw in pairs:
        roc_year, quarter = period
        index = period_index(roc_year, quarter)
        if index in seen:
            raise ValueError(f"period {roc_year}Q{quarter} given twice")
        seen[index] = (roc_year, quarter)
        value = _dec(raw, "value")
        if value is not None:
            result.append((index, (roc_year, quarter), value))
    result.sort(key=lambda item: item[0])
    return result


def linear_forecast(
    points: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
    at: Period,
) -> Decimal | None:
    """Least-squares line through ``((roc_year, quarter), value)`` points (x = ``period_index``),
    evaluated at period ``at``; 4 places.  Points with value None are skipped; fewer than 2 points
    → None; a period given twice → ValueError.
    """
    series = _series(points)
    if len(series) < 2:
        return None
    x0 = series[0][0]
    xs = [Decimal(index - x0) for index, _, _ in series]
    ys = [value for _, _, value in series]
    n = Decimal(len(series))
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    x_at = Decimal(period_index(*at) - x0)
    return _round(mean_y + slope * (x_at - mean_x), RATIO_PLACES)


def forecast_year_end(
    points: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
    kind: str = CUMULATIVE,
    roc_year: int | None = None,
) -> Decimal | None:
    """Linear year-end (Q4) forecast of a KPI from its reported series.

    ``roc_year`` defaults to the year of the latest point.  cumulative: least squares over every
    point up to that year's Q4.  per_period: least squares over that year's points only (the
    year-to-date value restarts every year).  milestone: None.  Fewer than 2 usable points → None.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if kind == MILESTONE:
        return None
    series = _series(points)
    if not series:
        return None
    year = roc_year if roc_year is not None else series[-1][1][0]
    end = period_index(year, 4)
    if kind == CUMULATIVE:
        usable = [(period, value) for index, period, value in series if index <= end]
    else:
        usable = [(period, value) for _, period, value in series if period[0] == year]
    return linear_forecast(usable, (year, 4))


# --- early warning --------------------------------------------------------------------------------


def red_streak(
    lights: Iterable[tuple[Period, Light | str]] | Mapping[Period, Light | str],
    length: int = 2,
) -> bool:
    """True when the latest ``length`` reported quarters are all red and consecutive (no gap)."""
    pairs = lights.items() if isinstance(lights, Mapping) else lights
    ordered = sorted((period_index(*period), Light(light)) for period, light in pairs)
    if length < 1 or len(ordered) < length:
        return False
    last = ordered[-length:]
    consecutive = last[-1][0] - last[0][0] == length - 1
    return consecutive and all(light == Light.RED for _, light in last)


def forecast_shortfall(forecast: Number | None, target: Number | None) -> bool:
    """True when a year-end forecast is below the year-end target (lower bound); False if either is None."""
    f, t = _dec(forecast, "forecast"), _dec(target, "target")
    return f is not None and t is not None and f < t


def budget_shortfall(
    rate: Number | None, quarter: int | None, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> bool:
    """True when 執行率 < ``warning_budget_rate`` (0.90) at the end of quarter
    ``warning_budget_from_quarter`` (Q3) or later; False when rate or quarter is None.
    """
    r = _dec(rate, "rate")
    if r is None or quarter is None:
        return False
    return quarter >= thresholds.warning_budget_from_quarter and r < thresholds.warning_budget_rate


@dataclass(frozen=True)
class RiskInput:
    """One item's early-warning inputs.  ``group`` is the key to tier (measure, industry …);
    ``lights`` the item's quarterly lights as ``((roc_year, quarter), light)`` pairs; ``forecast``
    and ``target`` its year-end forecast and target; ``budget_rate`` the 執行率 at ``quarter``.
    """

    group: Hashable
    ref: str
    lights: tuple[tuple[Period, Light | str], ...] = ()
    forecast: Number | None = None
    target: Number | None = None
    budget_rate: Number | None = None
    quarter: int | None = None


@dataclass(frozen=True)
class RiskSignal:
    """One triggered rule: which item, which rule (``RED_STREAK`` …), in words."""

    ref: str
    rule: str
    message: str


@dataclass(frozen=True)
class RiskAssessment:
    """A group's risk tier and the signals behind it (in input order)."""

    group: Hashable
    tier: RiskTier
    signals: tuple[RiskSignal, ...]


def risk_signals(item: RiskInput, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> tuple[RiskSignal, ...]:
    """The early-warning rules an item triggers: red for ``red_streak_quarters`` (2) quarters in a
    row; year-end forecast below target (when ``forecast_is_signal``); 執行率 below
    ``warning_budget_rate`` (90 %) at Q3 or later.
    """
    signals: list[RiskSignal] = []
    if red_streak(item.lights, thresholds.red_streak_quarters):
        signals.append(
            RiskSignal(
                item.ref,
                RED_STREAK,
                gettext("red for the last %(quarters)s quarters")
                % {"quarters": thresholds.red_streak_quarters},
            )
        )
    if thresholds.forecast_is_signal and forecast_shortfall(item.forecast, item.target):
        signals.append(
            RiskSignal(
                item.ref,
                FORECAST_BELOW_TARGET,
                gettext("year-end forecast %(forecast)s below target %(target)s")
                % {"forecast": _dec(item.forecast), "target": _dec(item.target)},
            )
        )
    rate = _dec(item.budget_rate, "budget_rate")
    if rate is not None and budget_shortfall(rate, item.quarter, thresholds):
        signals.append(
            RiskSignal(
                item.ref,
                BUDGET_BELOW_RATE,
                gettext("execution rate %(rate)s below %(limit)s at Q%(quarter)s")
                % {
                    "rate": _pct(rate),
                    "limit": _pct(thresholds.warning_budget_rate),
                    "quarter": item.quarter,
                },
            )
        )
    return tuple(signals)


def risk_tier(rules: Iterable[str], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> RiskTier:
    """Tier from the distinct rules triggered in a group: high when red-streak (if
    ``red_streak_is_high``) or at least ``high_risk_signals`` (2) distinct rules; medium with one;
    low with none.
    """
    distinct = set(rules)
    if (thresholds.red_streak_is_high and RED_STREAK in distinct) or len(
        distinct
    ) >= thresholds.high_risk_signals:
        return RiskTier.HIGH
    if distinct:
        return RiskTier.MEDIUM
    return RiskTier.LOW


def early_warning(
    items: Iterable[RiskInput], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[Hashable, RiskAssessment]:
    """Risk tier per group (first-seen order) from its items' signals (see ``risk_signals`` and
    ``risk_tier``).  A group whose items trigger nothing is low.
    """
    signals: dict[Hashable, list[RiskSignal]] = {}
    for item in items:
        signals.setdefault(item.group, []).extend(risk_signals(item, thresholds))
    return {
        group: RiskAssessment(group, risk_tier((s.rule for s in found), thresholds), tuple(found))
        for group, found in signals.items()
    }


# --- data quality ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityFlag:
    """A data-quality finding on a report: ``code`` (``LAG_WITHOUT_REASON`` …), item ref, message."""

    code: str
    ref: str
    message: str


def work_item_flags(
    ref: str,
    lag: Number | None,
    reported_percent: Number | None,
    lag_reason: str | None,
    completion_date: date | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[QualityFlag, ...]:
    """管考-style checks of a work-item report.

    * lagging (lag > ``lag_reason_above``, default 0 points) with a blank 落後原因 → ``LAG_WITHOUT_REASON``;
    * on schedule or ahead (lag ≤ 0) with a 落後原因 → ``REASON_WITHOUT_LAG``;
    * reported ≥ 100 % without a completion date → ``DONE_WITHOUT_DATE``.
    A missing lag (no report) triggers neither lag check; a reason of only spaces counts as blank.
    """
    flags: list[QualityFlag] = []
    lag_value = _dec(lag, "lag")
    has_reason = bool(lag_reason and lag_reason.strip())
    if lag_value is not None:
        if lag_value > thresholds.lag_reason_above and not has_reason:
            flags.append(
                QualityFlag(
                    LAG_WITHOUT_REASON,
                    ref,
                    gettext("behind by %(lag)s points without a reason for the lag (落後原因)")
                    % {"lag": lag_value},
                )
            )
        if lag_value <= ZERO and has_reason:
            flags.append(
                QualityFlag(
                    REASON_WITHOUT_LAG,
                    ref,
                    gettext("lag %(lag)s points but a reason for the lag (落後原因) is given")
                    % {"lag": lag_value},
                )
            )
    reported = _dec(reported_percent, "reported_percent")
    if reported is not None and reported >= HUNDRED and completion_date is None:
        flags.append(
            # xgettext:no-python-format
            QualityFlag(DONE_WITHOUT_DATE, ref, gettext("reported 100% done without a completion date"))
        )
    return tuple(flags)


def kpi_flags(
    ref: str,
    series: Iterable[tuple[Period, Number | None]] | Mapping[Period, Number | None],
    final_target: Number | None,
    kind: str = CUMULATIVE,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[QualityFlag, ...]:
    """管考-style checks of a KPI's reported series (cumulative KPIs only; other kinds → no flags).

    * a value above ``implausible_factor`` (3) × the final cumulative target (see
      ``final_cumulative_target``) → one ``IMPLAUSIBLE_ACTUAL`` with the largest such value
      (skipped when the final target is None or ≤ 0);
    * a value below the previous reported value → ``CUMULATIVE_DECREASE`` for each drop.
    """
    if kind != CUMULATIVE:
        return ()
    points = _series(series)
    flags: list[QualityFlag] = []
    final = _dec(final_target, "final_target")
    if final is not None and final > ZERO:
        limit = final * thresholds.implausible_factor
        over = [(value, period) for _, period, value in points if value > limit]
        if over:
            value, period = max(over, key=lambda item: item[0])
            flags.append(
                QualityFlag(
                    IMPLAUSIBLE_ACTUAL,
                    ref,
                    gettext("%(period)s actual %(value)s exceeds %(factor)s× the final target %(final)s")
                    % {
                        "period": f"{period[0]}Q{period[1]}",
                        "value": value,
                        "factor": thresholds.implausible_factor,
                        "final": final,
                    },
                )
            )
    for (_, before, previous), (_, after, value) in zip(points, points[1:], strict=False):
        if value < previous:
            flags.append(
                QualityFlag(
                    CUMULATIVE_DECREASE,
                    ref,
                    gettext("cumulative actual fell from %(previous)s (%(before)s) to %(value)s (%(after)s)")
                    % {
                        "previous": previous,
                        "before": f"{before[0]}Q{before[1]}",
                        "value": value,
                        "after": f"{after[0]}Q{after[1]}",
                    },
                )
            )
    return tuple(flags)
