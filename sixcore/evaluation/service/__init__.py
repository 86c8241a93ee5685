"""Evaluation of reporting periods: read through the ORM, convert to plain values, apply ``rules``.

``loading`` reads the plan revision in force, the agencies and the visible report lines; ``period``
evaluates one period (``evaluate_period`` and its result dataclasses); ``history`` follows a KPI over
many periods (forecast points, red streaks, ``kpi_history``).  This module re-exports their public
names, so ``service.evaluate_period(...)`` works as it did when the service was one module.

Scope: ``user`` given → the submissions ``submission_policy.visible`` lets that user read (anonymous:
approved only); ``published_only`` → approved only; neither → every submission (scripts, NDC).
"""

from sixcore.core.roc import format_quarter

from .batch import PeriodBatch
from .history import kpi_history
from .loading import (
    NO_TARGETS,
    REPORTING_KINDS,
    Completeness,
    Period,
    display_code,
    load_budget_reports,
    load_completeness,
    load_kpi_history,
    load_work_item_reports,
    resolve_period,
    scoped_submissions,
)
from .period import (
    RISK_ORDER,
    ROLLUP_KINDS,
    BudgetResult,
    Evaluation,
    FlagResult,
    KpiResult,
    RiskResult,
    RollUpResult,
    WorkItemResult,
    evaluate_period,
    industry_budget,
    rollup_rows,
    rollups_for,
    to_plain,
)

__all__ = [
    "NO_TARGETS",
    "REPORTING_KINDS",
    "RISK_ORDER",
    "ROLLUP_KINDS",
    "BudgetResult",
    "Completeness",
    "Evaluation",
    "FlagResult",
    "KpiResult",
    "Period",
    "PeriodBatch",
    "RiskResult",
    "RollUpResult",
    "WorkItemResult",
    "display_code",
    "evaluate_period",
    "format_quarter",
    "industry_budget",
    "kpi_history",
    "load_budget_reports",
    "load_completeness",
    "load_kpi_history",
    "load_work_item_reports",
    "resolve_period",
    "rollup_rows",
    "rollups_for",
    "scoped_submissions",
    "to_plain",
]
