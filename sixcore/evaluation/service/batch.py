"""Evaluating many periods at once, for ``store.rebuild``: every input of every period read in a
fixed number of queries, then each period judged by ``period.evaluate_loaded`` — the same function,
hence the same rule calls, that ``evaluate_period`` ends with.

Per view, three queries read the KPI lines of every period (each period's judgements stop at the
period, as ``evaluate_period``'s do), and the work-item and budget lines grouped by period; the plan
revisions in force and the agencies are read once and each revision's plan once, whatever the
number of periods.  The completeness counts are left empty (they are not stored: ``read`` counts
them for the caller).
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
    scoped_submissions,
    work_item_lines,
)
from .period import Evaluation, Inputs, evaluate_loaded


class PeriodBatch:
    """The inputs shared by every period and view of a rebuild: revisions in force, agencies, plans."""

    def __init__(self) -> None:
        self.programs = list(programs_in_force().order_by("revision"))
        self.agencies = _Agencies()
        self._plans: dict[int, object] = {}

    def program(self, period: ReportingPeriod) -> Program | None:
        """The revision in force for ``period``, as ``progress.services.program_in_force`` picks it
        (the latest approved one effective by then), from the revisions read once."""
        key, best = (period.roc_year, period.quarter), None
        for program in self.programs:
            if not program.effective_from or parse_quarter(program.effective_from) <= key:
                best = program
        return best

    def _plan(self, program: Program):
        if program.pk not in self._plans:
            self._plans[program.pk] = _load_plan(program)
        return self._plans[program.pk]

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
        demo = {
            when
            for by_period in history.values()
            for when, rows in by_period.items()
            if any(r["demo"] for r in rows)
        }
        chosen = submissions.filter(period__in=[p.pk for p in periods])
        items: dict[int, dict] = defaultdict(lambda: defaultdict(list))
        for r in work_item_lines(chosen, None, "submission__period"):
            items[r["submission__period"]][(r["work_item__schedule__code"], r["work_item__code"])].append(r)
        budget: dict[int, dict] = defaultdict(lambda: defaultdict(list))
        demo_budget = set()
        for r in budget_lines(chosen, None, "submission__period"):
            budget[r["submission__period"]][r["measure__code"]].append(r)
            if r["submission__is_demo"]:
                demo_budget.add(r["submission__period"])
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
