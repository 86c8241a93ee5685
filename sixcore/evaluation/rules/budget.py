"""Budget execution: 執行率 and 達成率 of the amounts reported, and the light of the 執行率."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from .kpi import achievement
from .thresholds import (
    DEFAULT_THRESHOLDS,
    Light,
    Number,
    Thresholds,
    _pct,
    budget_light,
)


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
