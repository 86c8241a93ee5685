"""Early warning: risk signals of an item and the risk tier of its group (國發會's 預警機制)."""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext

from .thresholds import (
    DEFAULT_THRESHOLDS,
    Light,
    Number,
    Period,
    Thresholds,
    _dec,
    _pct,
    period_index,
)


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
