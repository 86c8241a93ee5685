"""Pre-fill a year-end evaluation from the year's quarterly evaluation (issue #20).

The figures come from the evaluation service (``evaluate_period`` of the year's Q4, or of its latest
period while Q4 does not exist yet), scoped to the unit's industry and agency:

- KPI achievement: the mean achievement of every KPI of the unit with something due that year, each
  counted at most 100 %; a KPI due but not reported counts 0 % (the source says how many).
- Schedule lag: the mean lag, in points, of the unit's work items with a reported percent (ahead of
  schedule counts as 0: being ahead on one item does not cancel another's lag).
- Budget execution: executed / allocated to date of the unit's own budget lines (``rules.evaluate_budget``),
  against the 90 % standard.

The figure, the rule's score and a sentence naming the period and what was averaged are written on the
自評 rows; the agency sees where each number came from. Re-running replaces the figures while the
evaluation is in 自評 and leaves the agency's comments and argued scores alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sixcore.core.changelog import record_action
from sixcore.evaluation import rules as evaluation_rules
from sixcore.evaluation.service import evaluate_period, load_budget_reports
from sixcore.evaluation.service.loading import budget_totals
from sixcore.plan.models import KPI, WorkItem
from sixcore.progress.clock import now
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.services import program_in_force, reporting_units

from . import rules
from .choices import ScoreStage, ScoringRule, Stage
from .models import AnnualEvaluation, IndicatorScore
from .setup import year_period

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Figure:
    """A figure for one scoring rule and the sentence saying where it came from."""

    value: Decimal | None
    source: str


def kpi_figure(kpis: Iterable, period_label: str) -> Figure:
    """Mean achievement (percent, each KPI capped at 100 %) of the KPIs with something due."""
    due = [k for k in kpis if k.expected is not None and k.expected > 0]
    if not due:
        return Figure(None, _("%(period)s: no KPI with a target due this year.") % {"period": period_label})
    missing = [k for k in due if k.achievement is None]
    values = [
        rules.capped_achievement(k.achievement * HUNDRED) if k.achievement is not None else Decimal(0)
        for k in due
    ]
    source = _("%(period)s evaluation: mean achievement of %(n)s KPIs with a target this year") % {
        "period": period_label,
        "n": len(due),
    }
    if missing:
        source += _(" (%(m)s not reported, counted as 0 %%: %(codes)s)") % {
            "m": len(missing),
            "codes": "、".join(k.kpi for k in missing[:10]),
        }
    return Figure(rules.mean(values), source)


def lag_figure(work_items: Iterable, period_label: str) -> Figure:
    """Mean lag in points of the work items with a reported percent (ahead counts as 0)."""
    items = list(work_items)
    lags = [max(w.lag, Decimal(0)) for w in items if w.lag is not None]
    if not lags:
        return Figure(None, _("%(period)s: no work item with reported progress.") % {"period": period_label})
    source = _("%(period)s evaluation: mean lag of %(n)s work items (of %(total)s running)") % {
        "period": period_label,
        "n": len(lags),
        "total": len(items),
    }
    return Figure(rules.mean(lags), source)


def budget_figure(period: ReportingPeriod, industry_id: int, agency_id: int) -> Figure:
    """The unit's execution rate (percent) from its own budget lines of the period."""
    submissions = Submission.objects.filter(period=period, industry_id=industry_id, agency_id=agency_id)
    by_measure, _demo = load_budget_reports(submissions)
    rows = [r for lines in by_measure.values() for r in lines if r["executed"] is not None]
    allocated, executed, annual = budget_totals(rows)
    result = evaluation_rules.evaluate_budget(executed, allocated, annual)
    if result.execution_rate is None:
        return Figure(None, _("%(period)s: no budget execution reported.") % {"period": period.label})
    source = _(
        "%(period)s report: executed %(executed)s of %(allocated)s (100 million NTD) allocated to date, "
        "against the 90 %% standard"
    ) % {
        "period": period.label,
        "executed": rules.plain(round(executed, 4)),
        "allocated": rules.plain(round(allocated, 4)),
    }
    return Figure((result.execution_rate * HUNDRED).quantize(rules.TWO_PLACES), source)


def unit_codes(period: ReportingPeriod, year: int) -> dict[tuple[int, int], tuple[set, set]]:
    """(industry id, agency id) → the natural keys of the KPIs and work items of that unit's quarterly
    report (``reporting_units``), to match the evaluation's results, which are keyed by code."""
    units = reporting_units(program_in_force(period), year)
    kpi_ids = {k for scope in units.values() for k in scope.kpis}
    item_ids = {w for scope in units.values() for w in scope.work_items}
    kpis = {
        pk: (m, c)
        for pk, m, c in KPI.objects.filter(pk__in=kpi_ids).values_list("pk", "measure__code", "code")
    }
    items = {
        pk: (s, c)
        for pk, s, c in WorkItem.objects.filter(pk__in=item_ids).values_list("pk", "schedule__code", "code")
    }
    return {
        key: ({kpis[k] for k in scope.kpis}, {items[w] for w in scope.work_items})
        for key, scope in units.items()
    }


@transaction.atomic
def prefill_year(year: int, evaluations: Iterable[AnnualEvaluation] | None = None) -> int:
    """Pre-fill the 自評 rows of the year's evaluations still in 自評 (all, or those given) from the
    year's latest period; returns how many evaluations were pre-filled. One ``evaluate_period``."""
    period = year_period(year)
    if period is None:
        return 0
    queryset = AnnualEvaluation.objects.filter(year=year, stage=Stage.SELF).select_related(
        "industry", "agency"
    )
    if evaluations is not None:
        queryset = queryset.filter(pk__in=[e.pk for e in evaluations])
    targets = list(queryset.select_for_update(of=("self",)))
    if not targets:
        return 0
    evaluation = evaluate_period(period)
    scopes = unit_codes(period, year)
    stamp = now()
    for unit in targets:
        kpi_keys, item_keys = scopes.get((unit.industry_id, unit.agency_id), (set(), set()))
        scoped = evaluation.scoped(industry=unit.industry.code, agency=unit.agency.code)
        # Exactly the unit's lines of the quarterly report: the KPIs it is on, the work items it leads.
        scoped["kpis"] = [k for k in scoped["kpis"] if (k.measure, k.key) in kpi_keys]
        scoped["work_items"] = [w for w in scoped["work_items"] if (w.schedule, w.code) in item_keys]
        # The source is stored text people read: in the site's language, whoever runs the pre-fill
        # (a management command runs with translations off).
        with translation.override(settings.LANGUAGE_CODE):
            figures = {
                ScoringRule.KPI_ACHIEVEMENT: kpi_figure(scoped["kpis"], period.label),
                ScoringRule.SCHEDULE_LAG: lag_figure(scoped["work_items"], period.label),
                ScoringRule.BUDGET_EXECUTION: budget_figure(period, unit.industry_id, unit.agency_id),
            }
        for row in IndicatorScore.objects.filter(evaluation=unit, stage=ScoreStage.SELF).select_related(
            "indicator"
        ):
            figure = figures.get(row.indicator.rule)
            if figure is None:
                continue
            ind = row.indicator
            score = rules.rule_score(
                ind.rule, figure.value, ind.min_score, ind.max_score, ind.full_at, ind.zero_at
            )
            row.prefilled_value, row.prefilled_score, row.prefill_source = (
                figure.value,
                score,
                figure.source[:300],
            )
            row.score = score
            row.save(update_fields=["prefilled_value", "prefilled_score", "prefill_source", "score"])
        unit.prefilled_from, unit.prefilled_at = period.code, stamp
        unit.version += 1
        unit.save(update_fields=["prefilled_from", "prefilled_at", "version", "modified_at"])
    record_action(
        targets[0],
        "annual.prefill",
        _("Year %(year)s: figures of %(count)s evaluations filled in from %(period)s.")
        % {"year": year, "count": len(targets), "period": period.label},
    )
    return len(targets)
