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

A package along the rules' own concerns: ``thresholds`` (enums, numbers, ``Thresholds``, lights),
``targets``, ``kpi``, ``schedule``, ``budget``, ``rollups``, ``forecast``, ``warning`` and
``quality``.  This module re-exports their public names: ``rules.evaluate_kpi`` and
``from sixcore.evaluation.rules import Light`` work as they did when the rules were one module.
"""

from .budget import BudgetEvaluation, achievement_rate, evaluate_budget, execution_rate
from .forecast import forecast_year_end, linear_forecast
from .kpi import KpiEvaluation, achievement, evaluate_kpi, evaluate_kpi_series
from .quality import (
    CUMULATIVE_DECREASE,
    DONE_WITHOUT_DATE,
    FLAG_LABELS,
    IMPLAUSIBLE_ACTUAL,
    LAG_WITHOUT_REASON,
    REASON_WITHOUT_LAG,
    QualityFlag,
    kpi_flags,
    work_item_flags,
)
from .rollups import RollUp, RollUpSums, add_sums, finish_roll_up, roll_up, roll_up_sums
from .schedule import ScheduleEvaluation, behind_plan, evaluate_schedule, planned_percent, schedule_lag
from .targets import TargetSeries, expected_value, final_cumulative_target, target_bounds, year_end_target
from .thresholds import (
    DEFAULT_THRESHOLDS,
    LIGHT_LABELS,
    LIGHT_RANK,
    Interpolation,
    Light,
    Thresholds,
    budget_light,
    kpi_light,
    lag_light,
    period_index,
)
from .warning import (
    BUDGET_BELOW_RATE,
    FORECAST_BELOW_TARGET,
    RED_STREAK,
    RISK_LABELS,
    RISK_RULE_LABELS,
    RiskAssessment,
    RiskInput,
    RiskSignal,
    RiskTier,
    budget_shortfall,
    early_warning,
    forecast_shortfall,
    red_streak,
    risk_signals,
    risk_tier,
)

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
    "RollUpSums",
    "ScheduleEvaluation",
    "TargetSeries",
    "Thresholds",
    "achievement",
    "achievement_rate",
    "behind_plan",
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
    "roll_up_sums",
    "add_sums",
    "finish_roll_up",
    "schedule_lag",
    "target_bounds",
    "work_item_flags",
    "year_end_target",
]
