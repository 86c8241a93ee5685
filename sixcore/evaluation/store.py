"""Keeping the stored evaluation (``models.StoredResult``) equal to what ``service.evaluate_period``
computes, inside the transaction of each write that changes an input.

Every result is what ``service.evaluate_period`` — the one rules path — computes, restricted to the
measures and schedules a write touched (``refresh``) or over whole periods (``rebuild``); both read
the inputs of all their periods at once (``service.PeriodBatch``) and judge each period by the same
``evaluate_loaded``, so their reads do not grow with the number of periods.  What a write touches:

- saved report lines (``progress.signals.lines_saved``): the working view; a measure's KPI lines
  also change the forecasts, red streaks and cumulative checks of every later period, so its KPIs
  are refreshed from the period on; work items and budget only in the period;
- a transition into or out of 核定 (``progress.signals.status_changed``): the published view, for
  the groups the submission has figures in;
- a plan load or an approved revision (``plan.signals.plan_changed``): every period from the
  revision's first quarter, both views; a plan object saved or deleted in the admin: every period;
- an agency's code, parent or kind changed, or an agency deleted, in the admin
  (``accounts.signals.reporters_changed``): every period, both views (results name the reporting
  agencies, and a sub-unit reports through its ministry).

Each measure's roll-up sums (``rules.roll_up_sums`` of its KPIs) are stored beside its KPI rows in
the same write (``models.StoredRollUp``): an industry's or the program's roll-up is then a column sum
finished by ``rules.finish_roll_up`` (``summary``), not a decoding of every KPI.  Industry budget
totals are the same rule applied at read time to the stored measure rows.  Thresholds are the code's
(``explain.thresholds_in_force``); changing them is a deployment, followed by ``evaluate --rebuild``.
"""

from __future__ import annotations

import contextvars
import dataclasses
import typing
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation

from sixcore.plan.models import Program
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.signals import in_batch

from . import explain, rules, service
from .models import RefreshLock, ResultKind, ResultView, StoredResult, StoredRollUp
from .rollup_store import check_rollups, rollups_of, sync_rollups

MEASURE, SCHEDULE = "m:", "s:"
RESULT_CLASSES = {
    ResultKind.KPI: service.KpiResult,
    ResultKind.WORK_ITEM: service.WorkItemResult,
    ResultKind.BUDGET: service.BudgetResult,
    ResultKind.RISK: service.RiskResult,
    ResultKind.FLAG: service.FlagResult,
}
NOT_STORED = {"_lead", "_demo", "_group"}  # kept in columns, or only needed while computing


# --- encoding: a result dataclass <-> the JSON of ``StoredResult.data`` (exact: decimals as text)


@cache
def _decoders(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    decoders = {}
    for f in dataclasses.fields(cls):
        hint = str(hints[f.name])
        if "Decimal" in hint:
            decoders[f.name] = Decimal
        elif "datetime.date" in hint:
            decoders[f.name] = date.fromisoformat
        elif "RiskTier" in hint:
            decoders[f.name] = rules.RiskTier
        elif "Light" in hint:
            decoders[f.name] = rules.Light
        elif f.name == "_sort":
            decoders[f.name] = tuple
    return decoders


_SCALARS = (str, int, float, bool, type(None))
_EXACT = frozenset(_SCALARS)  # exact types only: Light and RiskTier are str subclasses


def _plain(value: Any) -> Any:
    # The common exact types first (a rebuild encodes millions of values), then the general case.
    kind = type(value)
    if kind in _EXACT:
        return value
    if kind is Decimal:
        return str(value)
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, _SCALARS) and not isinstance(value, rules.Light | rules.RiskTier):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, rules.Light | rules.RiskTier):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@cache
def _stored_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in NOT_STORED)


def encode(result: Any) -> dict[str, Any]:
    return {name: _plain(getattr(result, name)) for name in _stored_fields(type(result))}


def decode(kind: str, data: dict[str, Any], *, is_demo: bool = False, group: str = "") -> Any:
    cls = RESULT_CLASSES[kind]
    values = {}
    for name, decoder in _decoders(cls).items():
        if data.get(name) is not None:
            values[name] = decoder(data[name])
    extra = {"_demo": is_demo} if "_demo" in cls.__dataclass_fields__ else {}
    if kind == ResultKind.FLAG:
        extra["_group"] = group.split(":", 1)[1]
    return cls(**{**data, **values, **extra})


# --- rows of an evaluation


def row_values(evaluation: service.Evaluation) -> Iterator[tuple[str, str, str, str, bool, dict]]:
    """``(kind, group, key, light, is_demo, data)`` of each result of a (possibly partial) evaluation."""
    for k in evaluation.kpis:
        yield ResultKind.KPI, MEASURE + k.measure, f"{k.measure}/{k.key}", str(k.light), k._demo, encode(k)
    for w in evaluation.work_items:
        yield (
            ResultKind.WORK_ITEM,
            SCHEDULE + w.schedule,
            f"{w.schedule}/{w.code}",
            str(w.light),
            w._demo,
            encode(w),
        )
    for b in evaluation.budget:
        yield ResultKind.BUDGET, MEASURE + b.key, b.key, str(b.light), b._demo, encode(b)
    for r in evaluation.risks:
        yield ResultKind.RISK, MEASURE + r.measure, r.measure, str(r.tier), False, encode(r)
    for f in evaluation.flags:
        group = (SCHEDULE if f.kind == "work_item" else MEASURE) + f._group
        yield ResultKind.FLAG, group, f"{group}|{f.ref}|{f.code}|{f._sort[-1]}", "", False, encode(f)


def position_of(data: dict) -> str:
    """A result's place in the plan (its ``_sort``) as text that sorts the same way: numbers and
    numeric codes zero-padded, so ``ORDER BY position`` pages a table in plan order."""
    parts = []
    for value in data.get("_sort") or ():
        text = f"{value:06d}" if type(value) is int else str(value)
        parts.append(text.zfill(6) if text.isdigit() else text)
    return "|".join(parts)[:120]


def rows_of(evaluation: service.Evaluation, period: ReportingPeriod, view: str) -> list[StoredResult]:
    """The stored rows of a (possibly partial) evaluation."""
    return result_rows(period.pk, view, row_values(evaluation))


def result_rows(period_id: int, view: str, values: Iterable[tuple]) -> list[StoredResult]:
    """``StoredResult`` rows of ``row_values``' tuples."""
    return [
        StoredResult(
            period_id=period_id,
            view=view,
            kind=kind,
            group=group,
            key=key,
            light=light,
            position=position_of(data),
            is_demo=demo,
            data=data,
        )
        for kind, group, key, light, demo, data in values
    ]


def store(
    period: ReportingPeriod, view: str, evaluation: service.Evaluation, groups: list[str] | None, measures
) -> int:
    """Store a (possibly partial) evaluation of ``groups`` (all when None) and its measures' roll-up
    sums (of ``measures``, all when None)."""
    written = _sync(period, view, rows_of(evaluation, period, view), groups)
    if measures is None or measures:
        thresholds = explain.thresholds_in_force()
        written += sync_rollups(period, view, rollups_of(evaluation, period, view, thresholds), measures)
    return written


def _evaluate(period: ReportingPeriod, view: str, measures=None, schedules=None) -> service.Evaluation:
    # Reasons are text: stored in the site's language whoever's request triggered the write.
    with translation.override(settings.LANGUAGE_CODE):
        return service.evaluate_period(
            period,
            published_only=view == ResultView.PUBLISHED,
            thresholds=explain.thresholds_in_force(),
            measures=measures,
            schedules=schedules,
        )


# --- locking


def _lock(groups: Iterable[str] | None) -> None:
    """Lock the refresh groups (every group when None) in one ordered statement (no deadlock)."""
    if groups is None:
        list(RefreshLock.objects.select_for_update().order_by("name").values_list("pk"))
        return
    names = sorted(set(groups))
    if not names:
        return
    RefreshLock.objects.bulk_create([RefreshLock(name=n) for n in names], ignore_conflicts=True)
    list(RefreshLock.objects.select_for_update().filter(name__in=names).order_by("name").values_list("pk"))


# --- writing


def _periods_from(period: ReportingPeriod) -> list[ReportingPeriod]:
    key = (period.roc_year, period.quarter)
    return [p for p in ReportingPeriod.objects.all() if (p.roc_year, p.quarter) >= key]


def _sync(period: ReportingPeriod, view: str, rows: list[StoredResult], groups: list[str] | None) -> int:
    """Make the stored rows of ``period``/``view`` (within ``groups``, or all) equal to ``rows``,
    writing only what differs; returns the number of rows written or deleted."""
    existing = StoredResult.objects.filter(period=period, view=view)
    if groups is not None:
        existing = existing.filter(group__in=groups)
    have = {
        (kind, key): (pk, group, light, position, demo, data)
        for pk, kind, key, group, light, position, demo, data in existing.values_list(
            "pk", "kind", "key", "group", "light", "position", "is_demo", "data"
        )
    }
    create, update = [], []
    for row in rows:
        old = have.pop((row.kind, row.key), None)
        if old is None:
            create.append(row)
        elif old[1:] != (row.group, row.light, row.position, row.is_demo, row.data):
            row.pk = old[0]
            update.append(row)
    if have:
        StoredResult.objects.filter(pk__in=[old[0] for old in have.values()]).delete()
    if update:
        StoredResult.objects.bulk_update(
            update, ["group", "light", "position", "is_demo", "data"], batch_size=500
        )
    if create:
        StoredResult.objects.bulk_create(create, batch_size=500)
    return len(have) + len(update) + len(create)


def refresh(
    period: ReportingPeriod, views: Iterable[str], measures: Iterable[str], schedules: Iterable[str]
) -> None:
    """Recompute the given measures (from ``period`` on) and schedules (in ``period``) in ``views``.

    The inputs are read once for every period refreshed (``PeriodBatch.evaluate_subset``): a save in
    an early quarter costs the same reads as one in the last, plus one comparison per period."""
    measures, schedules, views = set(measures), set(schedules), sorted(set(views))
    if not views or not (measures or schedules):
        return
    with transaction.atomic():
        _lock([MEASURE + m for m in measures] + [SCHEDULE + s for s in schedules])
        periods = _periods_from(period) if measures else [period]
        batch = service.PeriodBatch()
        for view in views:
            # ``evaluate_period`` of each period restricted to the groups, its inputs read once.
            with translation.override(settings.LANGUAGE_CODE):
                evaluated = list(
                    batch.evaluate_subset(
                        periods,
                        published_only=view == ResultView.PUBLISHED,
                        thresholds=explain.thresholds_in_force(),
                        measures=measures,
                        schedules=schedules,
                    )
                )
            for i, (p, evaluation) in enumerate(evaluated):
                groups = [MEASURE + m for m in measures] + [
                    SCHEDULE + s for s in (schedules if i == 0 else ())
                ]
                store(p, view, evaluation, groups, measures)


def rebuild(periods: Iterable[ReportingPeriod] | None = None, progress=None) -> int:
    """Recompute the whole evaluation of ``periods`` (default every period), both views, from the
    inputs; returns the number of rows written (rows already equal are left alone).
    ``progress(done, total)`` is called per period and view.

    The inputs of all the periods are read at once (``service.PeriodBatch``: a fixed number of
    queries) and each period is judged by the same function as ``evaluate_period``; a period whose
    two views have the same inputs is judged once.  Into an empty store the rows are inserted in
    large batches (``_Writer``); otherwise each period and view is compared with what is stored."""
    periods = list(ReportingPeriod.objects.all() if periods is None else periods)
    total, done, written = 2 * len(periods), 0, 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        _lock(None)
        alike = _views_alike(periods)
        writer = _Writer(
            fresh=not StoredResult.objects.filter(period__in=periods).exists()
            and not StoredRollUp.objects.filter(period__in=periods).exists()
        )
        batch = service.PeriodBatch()
        thresholds = explain.thresholds_in_force()
        published = [p for p in periods if p.pk not in alike]
        for view, chosen in ((ResultView.WORKING, periods), (ResultView.PUBLISHED, published)):
            evaluated = batch.evaluate(
                chosen, published_only=view == ResultView.PUBLISHED, thresholds=thresholds
            )
            for p, evaluation in evaluated:
                values = list(row_values(evaluation)) if evaluation is not None else []
                views = [view]
                if view == ResultView.WORKING and p.pk in alike:  # the same inputs, the same results
                    views.append(ResultView.PUBLISHED)
                for each in views:
                    sums = rollups_of(evaluation, p, each, thresholds) if evaluation is not None else []
                    written += writer.write(p, each, values, sums)
                    done += 1
                    if progress:
                        progress(done, total)
        writer.flush()
    return written


class _Writer:
    """Writes a rebuild's rows: into an empty store (``fresh``) with no comparison, ``BATCH`` rows per
    ``bulk_create`` call; otherwise each period and view through ``_sync``.  The groups' lock rows
    at the end, in one statement."""

    BATCH = 5000

    def __init__(self, fresh: bool) -> None:
        self.fresh = fresh
        self.pending: list[StoredResult] = []
        self.rollups: list[StoredRollUp] = []
        self.groups: set[str] = set()

    def write(self, period: ReportingPeriod, view: str, values: list[tuple], sums: list[StoredRollUp]) -> int:
        self.groups.update(v[1] for v in values)
        rows = result_rows(period.pk, view, values)
        if not self.fresh:
            return _sync(period, view, rows, None) + sync_rollups(period, view, sums, None)
        self.pending += rows
        self.rollups += sums
        if len(self.pending) >= self.BATCH:
            self._insert()
        return len(rows) + len(sums)

    def _insert(self) -> None:
        StoredResult.objects.bulk_create(self.pending, batch_size=self.BATCH)
        StoredRollUp.objects.bulk_create(self.rollups, batch_size=self.BATCH)
        self.pending, self.rollups = [], []

    def flush(self) -> None:
        if self.pending or self.rollups:
            self._insert()
        RefreshLock.objects.bulk_create(
            [RefreshLock(name=n) for n in sorted(self.groups)], ignore_conflicts=True, batch_size=self.BATCH
        )


def _views_alike(periods: list[ReportingPeriod]) -> set[int]:
    """The periods whose two views have the same inputs: no submission up to them awaits approval
    (past quarters, or none reported yet), so one evaluation serves both."""
    pending = list(
        Submission.objects.exclude(status=SubmissionStatus.APPROVED)
        .values_list("period__roc_year", "period__quarter")
        .distinct()
    )
    first = min(pending, default=None)
    return {p.pk for p in periods if first is None or (p.roc_year, p.quarter) < first}


def check(periods: Iterable[ReportingPeriod] | None = None, progress=None) -> list[str]:
    """Recompute and compare with what is stored; one line per difference (none when equal)."""
    periods = list(ReportingPeriod.objects.all() if periods is None else periods)
    steps = [(p, view) for p in periods for view in ResultView.values]
    differences = []
    for done, (p, view) in enumerate(steps, 1):
        try:
            evaluation = _evaluate(p, view)
        except Program.DoesNotExist:
            evaluation = None
        expected = {_identity(r): r for r in rows_of(evaluation, p, view)} if evaluation else {}
        stored = {
            _identity(r): r for r in StoredResult.objects.filter(period=p, view=view).order_by("kind", "key")
        }
        for identity in sorted(expected.keys() | stored.keys()):
            want, have = expected.get(identity), stored.get(identity)
            where = f"{p.code} {view} {identity[0]} {identity[1]}"
            if have is None:
                differences.append(f"{where}: missing")
            elif want is None:
                differences.append(f"{where}: stored but no longer a result")
            else:
                for name in ("group", "light", "position", "is_demo", "data"):
                    if getattr(want, name) != getattr(have, name):
                        differences.append(
                            f"{where}: {name} stored {getattr(have, name)!r}, computed {getattr(want, name)!r}"
                        )
        differences += check_rollups(p, view, evaluation)
        if progress:
            progress(done, len(steps))
    return differences


def _identity(row: StoredResult) -> tuple[str, str]:
    return row.kind, row.key


# --- what each write changes (receivers of the apps' signals, connected in ``apps.ready``)


def _groups_of_lines(lines: Iterable) -> tuple[set[str], set[str]]:
    """Measures and schedules of report lines (``progress.services.Line``)."""
    measures, schedules = set(), set()
    for line in lines:
        if line.kind == "kpis":
            measures.add(line.measure_code)
        elif line.kind == "budget":
            measures.add(line.target_code)
        elif line.kind == "work_items":
            schedules.add(line.key.split("/", 1)[0])
    return measures, schedules


def _views_of(status: str) -> list[str]:
    return (
        [ResultView.WORKING, ResultView.PUBLISHED]
        if status == SubmissionStatus.APPROVED
        else [ResultView.WORKING]
    )


_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("evaluation_pending", default=None)


def _request(period: ReportingPeriod, views: list[str], measures: set[str], schedules: set[str]) -> None:
    """Refresh now, or at the end of the writer's ``progress.signals.batch()``."""
    if not in_batch():
        refresh(period, views, measures, schedules)
        return
    pending = _pending.get()
    if pending is None:
        pending = []
        _pending.set(pending)
    pending.append((period, views, measures, schedules))


def on_batch_finished(sender, **kwargs) -> None:
    """The batch's refreshes merged: per view, its measures from the earliest period asked for (a
    superset of what each write needed: still exact), its schedules in their own periods."""
    pending = _pending.get() or []
    _pending.set(None)
    merged: dict[str, dict] = {}
    for period, views, measures, schedules in pending:
        for view in views:
            entry = merged.setdefault(view, {"from": None, "measures": set(), "schedules": {}})
            if measures:
                entry["measures"] |= measures
                if entry["from"] is None or (period.roc_year, period.quarter) < (
                    entry["from"].roc_year,
                    entry["from"].quarter,
                ):
                    entry["from"] = period
            if schedules:
                entry["schedules"].setdefault(period.pk, (period, set()))[1].update(schedules)
    for view, entry in merged.items():
        first = entry["from"]
        if first is not None:
            now = entry["schedules"].pop(first.pk, (first, set()))[1]
            refresh(first, [view], entry["measures"], now)
        for period, schedules in entry["schedules"].values():
            refresh(period, [view], set(), schedules)


def on_lines_saved(sender, *, submissions, lines, **kwargs) -> None:
    """Report lines changed (``save_lines``/``save_many``, web, API and Excel alike): one refresh per
    period and set of views, whatever the number of submissions."""
    by_submission: dict[int, list] = {}
    for line in lines:
        by_submission.setdefault(line.submission_id, []).append(line)
    groups: dict[tuple[int, tuple[str, ...]], tuple[ReportingPeriod, set[str], set[str]]] = {}
    for submission in submissions:
        measures, schedules = _groups_of_lines(by_submission.get(submission.pk, []))
        views = tuple(_views_of(submission.status))
        period, all_measures, all_schedules = groups.setdefault(
            (submission.period_id, views), (submission.period, set(), set())
        )
        all_measures |= measures
        all_schedules |= schedules
    for (_period, views), (period, measures, schedules) in groups.items():
        _request(period, list(views), measures, schedules)


def on_status_changed(sender, *, submission, before: str, **kwargs) -> None:
    """A transition: only one into or out of 核定 changes what the public sees."""
    if (before == SubmissionStatus.APPROVED) == (submission.status == SubmissionStatus.APPROVED):
        return
    measures, schedules = figure_groups([submission.pk])
    _request(submission.period, [ResultView.PUBLISHED], measures, schedules)


def figure_groups(submission_ids: list[int]) -> tuple[set[str], set[str]]:
    """Measures and schedules in which the submissions have a figure (only those count in a result)."""
    from sixcore.progress.models import BudgetReport, KPIReport, WorkItemReport

    measures = set(
        KPIReport.objects.filter(submission__in=submission_ids)
        .exclude(value=None, done=None)
        .values_list("kpi__measure__code", flat=True)
    )
    measures |= set(
        BudgetReport.objects.filter(submission__in=submission_ids)
        .exclude(executed=None)
        .values_list("measure__code", flat=True)
    )
    schedules = set(
        WorkItemReport.objects.filter(submission__in=submission_ids)
        .exclude(percent=None)
        .values_list("work_item__schedule__code", flat=True)
    )
    return measures, schedules


def on_plan_changed(sender, *, since: tuple[int, int] | None = None, **kwargs) -> None:
    """A plan load or an approved revision: every period from ``since`` (all when None)."""
    periods = [p for p in ReportingPeriod.objects.all() if since is None or (p.roc_year, p.quarter) >= since]
    rebuild(periods)


def on_reporters_changed(sender, **kwargs) -> None:
    """Agencies re-parented, re-coded or given another kind: every period (any may name them)."""
    rebuild()
