"""Evaluating many periods at once, for ``store.rebuild`` and ``store.refresh``: every input of every
period read in a fixed number of queries, then each period judged by ``period.evaluate_loaded`` — the
same function, hence the same rule calls, that ``evaluate_period`` ends with.

Per view, three queries read the KPI lines of every period (each period's judgements stop at the
period, as ``evaluate_period``'s do), and the work-item and budget lines grouped by period; the plan
revisions in force and the agencies are read once and each revision's plan once, whatever the
number of periods.  The completeness counts are left empty (they are not stored: ``read`` counts
them for the caller).  ``evaluate_subset`` does the same for the measures and schedules one write
touched (a refresh), so a save costs the same whatever the number of later periods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from sixcore.core.roc import parse_quarter
from sixcore.plan.models import Program, programs_in_force
from sixcore.progress.models import ReportingPeriod

from ..rules import Thresholds
from .loading import (
    Completeness,
    _Agencies,
    _load_plan,
    budget_lines,
    load_kpi_history,
    load_work_item_reports,
    scoped_submissions,
    work_item_lines,
)
from .period import Evaluation, Inputs, evaluate_loaded


class PeriodBatch:
    """The inputs shared by every period and view of a rebuild: revisions in force, agencies, plans."""

    def __init__(self) -> None:
        self.programs = list(programs_in_force().order_by("revision"))
        self.agencies = _Agencies()
        self._plans: dict[tuple, object] = {}

    def program(self, period: ReportingPeriod) -> Program | None:
        """The revision in force for ``period``, as ``progress.services.program_in_force`` picks it
        (the latest approved one effective by then), from the revisions read once."""
        key, best = (period.roc_year, period.quarter), None
        for program in self.programs:
            if not program.effective_from or parse_quarter(program.effective_from) <= key:
                best = program
        return best

    def _plan(self, program: Program, measures: frozenset | None = None, schedules: frozenset | None = None):
        """The revision's plan (or its subset of ``measures`` and ``schedules``), read once; a subset
        without schedules is taken from the same one with schedules when that was read."""
        key = (program.pk, measures, schedules)
        if key not in self._plans:
            wider = next(
                (
                    plan
                    for (pk, m, s), plan in self._plans.items()
                    if schedules == frozenset() and pk == program.pk and m == measures and s
                ),
                None,
            )
            self._plans[key] = (
                wider.without_work_items(measures)
                if wider is not None
                else _load_plan(program, measures, schedules)
            )
        return self._plans[key]

    def evaluate(
        self, periods: Iterable[ReportingPeriod], *, published_only: bool, thresholds: Thresholds
    ) -> Iterator[tuple[ReportingPeriod, Evaluation | None]]:
        """Each period's whole evaluation in one view (None: no revision in force), in order."""
        periods = sorted(periods, key=lambda p: (p.roc_year, p.quarter))
        if not periods:
            return
        submissions = scoped_submissions(published_only=published_only)
        last = periods[-1]
        history, _ = load_kpi_history(submissions, (last.roc_year, last.quarter))
        demo = _demo_periods(history)
        chosen = submissions.filter(period__in=[p.pk for p in periods])
        items: dict[int, dict] = defaultdict(lambda: defaultdict(list))
        for r in work_item_lines(chosen, None, "submission__period"):
            items[r["submission__period"]][(r["work_item__schedule__code"], r["work_item__code"])].append(r)
        budget, demo_budget = _budget_by_period(chosen, None)
        for period in periods:
            program = self.program(period)
            if program is None:
                yield period, None
                continue
            inputs = Inputs(
                self._plan(program),
                self.agencies,
                history,
                (period.roc_year, period.quarter) in demo,
                items.get(period.pk, {}),
                (budget.get(period.pk, {}), period.pk in demo_budget),
                Completeness(0, 0, {}, {}),
            )
            yield period, evaluate_loaded(period, inputs, thresholds)

    def evaluate_subset(
        self,
        periods: Iterable[ReportingPeriod],
        *,
        published_only: bool,
        thresholds: Thresholds,
        measures: Iterable[str],
        schedules: Iterable[str],
    ) -> Iterator[tuple[ReportingPeriod, Evaluation]]:
        """What ``evaluate_period(p, published_only=..., measures=measures, schedules=...)`` returns for
        each period in order, ``schedules`` in the first period only (a write's work items do not
        reach later periods; its KPIs do, through forecasts and red streaks).  Inputs read once: the
        KPI lines of the measures up to the last period, the budget lines of every period, the work
        items of the first; each revision's subset of the plan once."""
        periods = sorted(periods, key=lambda p: (p.roc_year, p.quarter))
        if not periods:
            return
        measures, schedules = frozenset(measures), frozenset(schedules)
        submissions = scoped_submissions(published_only=published_only)
        last, first = periods[-1], periods[0]
        history, _ = load_kpi_history(submissions, (last.roc_year, last.quarter), measures)
        demo = _demo_periods(history)
        chosen = submissions.filter(period__in=[p.pk for p in periods])
        budget, demo_budget = _budget_by_period(chosen, measures)
        items = load_work_item_reports(submissions.filter(period=first), schedules) if schedules else None
        for period in periods:
            program = self.program(period)
            if program is None:
                raise Program.DoesNotExist("no program loaded: run 'sixcore plan load'")
            now = schedules if period is first else frozenset()
            inputs = Inputs(
                self._plan(program, measures, now),
                self.agencies,
                history,
                (period.roc_year, period.quarter) in demo,
                items if period is first else None,
                (budget.get(period.pk, {}), period.pk in demo_budget),
                Completeness(0, 0, {}, {}),
            )
            yield period, evaluate_loaded(period, inputs, thresholds, set(measures))


def _demo_periods(history: dict) -> set[tuple[int, int]]:
    """The periods in which a demo submission reported one of the KPIs of ``history``."""
    return {
        when
        for by_period in history.values()
        for when, rows in by_period.items()
        if any(r["demo"] for r in rows)
    }


def _budget_by_period(submissions, measures) -> tuple[dict[int, dict], set[int]]:
    """The budget lines of ``submissions`` per period and measure code, and the periods in which a
    demo submission has one (``load_budget_reports`` for many periods in one query)."""
    budget: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    demo = set()
    for r in budget_lines(submissions, measures, "submission__period"):
        budget[r["submission__period"]][r["measure__code"]].append(r)
        if r["submission__is_demo"]:
            demo.add(r["submission__period"])
    return budget, demo
