"""Creating a period's submissions and saving report lines (web forms, the API and Excel uploads all
come through ``save_lines``): scope-checked, validated, atomic, and refused on a stale version."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency
from sixcore.core.roc import parse_quarter
from sixcore.plan import models as plan

from .labels import field_label, line_label, negative_allowed
from .models import BudgetReport, KPIReport, MeasureReport, ReportingPeriod, Submission, WorkItemReport
from .policy import submission_policy
from .signals import lines_saved
from .values import LINE_FIELDS

REPORTING_KINDS = (AgencyKind.CORE, AgencyKind.MINISTRY)


class ConflictError(Exception):
    """Someone saved the submission since this editor loaded it (HTTP 409)."""

    def __init__(self, submission: Submission, expected: int):
        self.submission = submission
        self.expected = expected
        super().__init__(
            # The version is the lock token, not something people count: the message says what happened.
            _("This report was changed by someone else after you opened it. Nothing of yours was saved yet.")
        )


@dataclass
class LineErrors(Exception):
    """Invalid lines: each error names the line and field (HTTP 400). Nothing was written.

    Each error keeps the machine keys (``line``, ``field``: the API's contract) and adds ``label``, the
    field as the user sees it (``績效指標 2.1.14 實際值``), and ``name``, the form field it belongs to."""

    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, line: str, field_name: str, message: str, *, kind: str = "", code: str = "") -> None:
        label = line_label(kind, code) if kind else line
        if field_name:
            label = f"{label} {field_label(kind, field_name)}"
        self.errors.append(
            {
                "line": line,
                "field": field_name,
                "message": str(message),
                "label": label,
                "name": "|".join((kind, code, field_name)) if kind and field_name else "",
            }
        )

    def __str__(self) -> str:
        return "; ".join(f"{e['label']}：{e['message']}" for e in self.errors)


def _kpi_target_texts(kpi_id: int, year: int) -> list[str]:
    texts = list(
        plan.AnnualTarget.objects.filter(kpi_id=kpi_id, year=year).values_list("cell__text", flat=True)
    )
    texts += plan.KPI.objects.filter(pk=kpi_id).values_list("full_term_text", flat=True)
    return texts


def program_in_force(period: ReportingPeriod) -> plan.Program:
    """The latest approved plan revision effective for the period (revision 0 unless a later one took effect)."""
    key = (period.roc_year, period.quarter)
    best = None
    # Drafts and rejected proposals of a revision (滾動檢討修正) never count.
    for program in plan.programs_in_force().order_by("revision"):
        if not program.effective_from or parse_quarter(program.effective_from) <= key:
            best = program
    if best is None:
        raise plan.Program.DoesNotExist("no program loaded: run 'sixcore plan load'")
    return best


def reporting_agency(agency: Agency) -> Agency | None:
    """The agency that reports for a unit: sub-units report through their ministry."""
    top = agency.top_level
    return top if top.kind in REPORTING_KINDS else None


@dataclass
class UnitScope:
    """What one agency reports for one industry in a period."""

    measures: list[int] = field(default_factory=list)
    kpis: list[int] = field(default_factory=list)
    work_items: list[int] = field(default_factory=list)


def reporting_units(program: plan.Program, year: int) -> dict[tuple[int, int], UnitScope]:
    """(industry id, agency id) → what that agency reports: measures it is on, KPIs it is on, work items
    it leads that run during the (ROC) year."""
    agencies = {a.pk: a for a in Agency.objects.select_related("parent")}
    units: dict[tuple[int, int], UnitScope] = defaultdict(UnitScope)

    def unit(industry_id: int, agency_id: int) -> UnitScope | None:
        reporter = reporting_agency(agencies[agency_id])
        return units[(industry_id, reporter.pk)] if reporter else None

    for link in plan.MeasureAgency.objects.filter(measure__industry__program=program).select_related(
        "measure"
    ):
        if (u := unit(link.measure.industry_id, link.agency_id)) and link.measure_id not in u.measures:
            u.measures.append(link.measure_id)
    for link in plan.KPIAgency.objects.filter(kpi__measure__industry__program=program).select_related(
        "kpi__measure"
    ):
        if (u := unit(link.kpi.measure.industry_id, link.agency_id)) and link.kpi_id not in u.kpis:
            u.kpis.append(link.kpi_id)
            if link.kpi.measure_id not in u.measures:
                u.measures.append(link.kpi.measure_id)
    year_start, year_end = date(year + 1911, 1, 1), date(year + 1911, 12, 1)
    for link in plan.WorkItemAgency.objects.filter(
        work_item__schedule__industry__program=program,
        role="lead",
        work_item__start__lte=year_end,
        work_item__end__gte=year_start,
    ).select_related("work_item__schedule"):
        if (
            u := unit(link.work_item.schedule.industry_id, link.agency_id)
        ) and link.work_item_id not in u.work_items:
            u.work_items.append(link.work_item_id)
    return dict(units)


@transaction.atomic
def ensure_submissions(period: ReportingPeriod, *, is_demo: bool = False) -> list[Submission]:
    """Create the draft submission of every reporting unit for the period, with empty lines (idempotent)."""
    program = program_in_force(period)
    units = reporting_units(program, period.roc_year)
    existing = {(s.industry_id, s.agency_id): s for s in period.submissions.all()}
    created = []
    for (industry_id, agency_id), scope in sorted(units.items()):
        if (industry_id, agency_id) in existing:
            continue
        submission = Submission.objects.create(
            period=period, industry_id=industry_id, agency_id=agency_id, is_demo=is_demo
        )
        MeasureReport.objects.bulk_create(
            [MeasureReport(submission=submission, measure_id=m) for m in scope.measures]
        )
        BudgetReport.objects.bulk_create(
            [BudgetReport(submission=submission, measure_id=m) for m in scope.measures]
        )
        KPIReport.objects.bulk_create([KPIReport(submission=submission, kpi_id=k) for k in scope.kpis])
        WorkItemReport.objects.bulk_create(
            [WorkItemReport(submission=submission, work_item_id=w) for w in scope.work_items]
        )
        created.append(submission)
    return created


@dataclass
class Line:
    """A report line as read for validating and writing: no model instance, only what is needed.

    ``values`` holds the input fields (as the database returns them); ``target_id``/``target_code`` are
    the line's measure, KPI or work item, ``target_repr`` its ``str()`` (the change log names it).
    """

    kind: str
    pk: int
    submission_id: int
    key: str  # the natural code save_lines takes: measure code, MEASURE/KPI, SCHEDULE/WORK-ITEM
    target_id: int
    target_code: str
    target_repr: str
    values: dict[str, Any]
    measure_code: str = ""  # KPIs: the measure the KPI is printed under
    start: date | None = None  # work items: their planned span
    end: date | None = None


# kind → (model, foreign key to the plan object, the plan fields a line needs, ordering)
LINE_SOURCES: dict[str, tuple[type, str, tuple[str, ...], tuple[str, ...]]] = {
    "measures": (MeasureReport, "measure", ("measure__code", "measure__name"), ()),
    "kpis": (
        KPIReport,
        "kpi",
        ("kpi__code", "kpi__full_term_text", "kpi__measure__code"),
        ("submission", "kpi__measure__order", "kpi__order"),
    ),
    "work_items": (
        WorkItemReport,
        "work_item",
        (
            "work_item__code",
            "work_item__title",
            "work_item__schedule__code",
            "work_item__start",
            "work_item__end",
        ),
        ("submission", "work_item__schedule__order", "work_item__order"),
    ),
    "budget": (BudgetReport, "measure", ("measure__code", "measure__name"), ()),
}
TARGET_MODELS = {
    "measures": plan.Measure,
    "kpis": plan.KPI,
    "work_items": plan.WorkItem,
    "budget": plan.Measure,
}


def load_lines(submission_ids: list[int]) -> dict[int, dict[str, dict[str, Line]]]:
    """The lines of several submissions — ``{submission id: {kind: {key: Line}}}`` — in four queries
    (one per kind, however many lines), without model instances.

    For writing, call it inside the transaction, after the submissions were locked (``lock_submissions``):
    then the lines cannot change before the write (every line write bumps the submission's version).
    """
    result: dict[int, dict[str, dict[str, Line]]] = {
        sid: {kind: {} for kind in LINE_FIELDS} for sid in submission_ids
    }
    for kind, (_model, _target, plan_fields, _ordering) in LINE_SOURCES.items():
        names = list(LINE_FIELDS[kind])
        target_model = TARGET_MODELS[kind]
        for row in _line_rows(kind, submission_ids):
            pk, sid, target_id = row[:3]
            extra = row[3 : 3 + len(plan_fields)]
            values = dict(zip(names, row[3 + len(plan_fields) :], strict=True))
            if kind == "kpis":
                code, text, measure_code = extra
                line = Line(
                    kind,
                    pk,
                    sid,
                    f"{measure_code}/{code}",
                    target_id,
                    code,
                    target_model.__str__(SimpleNamespace(code=code, full_term_text=text)),
                    values,
                    measure_code=measure_code,
                )
            elif kind == "work_items":
                code, title, schedule, start, end = extra
                line = Line(
                    kind,
                    pk,
                    sid,
                    f"{schedule}/{code}",
                    target_id,
                    code,
                    target_model.__str__(SimpleNamespace(code=code, title=title)),
                    values,
                    start=start,
                    end=end,
                )
            else:
                code, name = extra
                line = Line(
                    kind,
                    pk,
                    sid,
                    code,
                    target_id,
                    code,
                    target_model.__str__(SimpleNamespace(code=code, name=name)),
                    values,
                )
            result[sid][kind][line.key] = line
    return result


def _line_queryset(kind: str, submission_ids: list[int]):
    model, target, plan_fields, ordering = LINE_SOURCES[kind]
    queryset = model.objects.filter(submission__in=submission_ids)
    if ordering:
        queryset = queryset.order_by(*ordering)
    return queryset.values_list("pk", "submission_id", f"{target}_id", *plan_fields, *LINE_FIELDS[kind])


def _line_rows(kind: str, submission_ids: list[int]) -> list[list[Any]]:
    return [list(row) for row in _line_queryset(kind, submission_ids)]


def lock_submissions(submission_ids: list[int]) -> dict[int, Submission]:
    """The submissions (with their period, agency and industry), locked for update until the end of the
    transaction (one query). Only the submission rows are locked (``of=("self",)``): saves of different
    submissions of one period or agency never queue behind each other."""
    queryset = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("period", "agency", "industry")
        .filter(pk__in=submission_ids)
        .order_by("pk")
    )
    return {submission.pk: submission for submission in queryset}


def _find_line(lines: dict[str, dict[str, Line]], kind: str, code: str) -> Line | None:
    line = lines[kind].get(code)
    if line is None and kind == "kpis" and "/" not in code:
        # A plain KPI code works when it is unique in the submission; 6.2.2 (printed under 6.1 and
        # under 6.2) must be written "6.1/6.2.2" or "6.2/6.2.2".
        found = [candidate for candidate in lines[kind].values() if candidate.target_code == code]
        line = found[0] if len(found) == 1 else None
    return line


def _permission_group(submission: Submission) -> tuple[int, int, str, bool]:
    return (
        submission.period_id,
        submission.agency_id,
        submission.status,
        submission.internal_review_at is None,
    )


def edit_permissions(user, submissions: Iterable[Submission]) -> dict[tuple[int, int, str, bool], bool]:
    """``submission_policy.can_edit`` for each (period, agency, status, not 陳核中) of ``submissions``.

    can_edit depends only on the user and those three (its queries are the period's state for the
    agency and the user's agency scope), so it is asked once per combination, not per submission.
    """
    allowed: dict[tuple[int, int, str, bool], bool] = {}
    for submission in submissions:
        group = _permission_group(submission)
        if group not in allowed:
            allowed[group] = submission_policy.can_edit(user, submission)
    return allowed


@dataclass
class LineWrite:
    """One submission's changes for ``save_many``: ``{kind: {code: {field: value}}}``."""

    submission: Submission
    expected_version: int
    changes: dict[str, dict[str, dict[str, Any]]]


def save_lines(
    submission: Submission, user, expected_version: int, changes: dict[str, dict[str, dict[str, Any]]]
) -> Submission:
    """Apply ``{kind: {code: {field: value}}}`` to a submission's lines, all or nothing.

    Raises PermissionDenied (not the user's, not a draft, period locked), LineErrors (bad values, unknown
    lines; every problem listed) or ConflictError (someone saved since ``expected_version``).
    """
    with transaction.atomic():
        locked = lock_submissions([submission.pk])
        if submission.pk not in locked:
            raise Submission.DoesNotExist(submission.pk)
        save_many(user, [LineWrite(submission, expected_version, changes)], locked=locked)
    # Its period, industry and agency come along: the API answers with this object.
    submission.refresh_from_db(
        from_queryset=Submission.objects.select_related("period", "industry", "agency")
    )
    return submission


def save_many(
    user,
    writes: list[LineWrite],
    *,
    locked: dict[int, Submission] | None = None,
    lines: dict[int, dict[str, dict[str, Line]]] | None = None,
    allowed: dict[tuple[int, int, str, bool], bool] | None = None,
) -> dict[int, int]:
    """``save_lines`` for several submissions at once, all or nothing; returns each written submission's
    new version (submissions whose lines did not change keep theirs and are left out).

    ``locked``, ``lines`` and ``allowed`` may be passed when the caller already has them from
    ``lock_submissions``, ``load_lines`` and ``edit_permissions`` in the current transaction. However many lines change, the writes are one
    ``UPDATE`` (``executemany``) per kind and set of changed fields, two ``INSERT``s for the change log
    (one entry per changed line, as ``record_updates`` writes it) and one ``UPDATE`` of the versions.
    """
    with transaction.atomic():
        ids = [w.submission.pk for w in writes]
        if locked is None:
            locked = lock_submissions(ids)
        if lines is None:
            lines = load_lines(ids)
        allowed = dict(allowed or {})
        for w in writes:
            current = locked[w.submission.pk]
            group = _permission_group(current)
            if group not in allowed:
                allowed[group] = submission_policy.can_edit(user, current)
            if not allowed[group]:
                raise PermissionDenied(
                    _("You may not edit this submission (not your agency's draft, or the period is locked).")
                )
            if current.version != w.expected_version:
                raise ConflictError(current, w.expected_version)
        errors = LineErrors()
        updates: list[tuple[Submission, Line, dict[str, Any]]] = []
        for w in writes:
            current = locked[w.submission.pk]
            own = lines[current.pk]
            for kind, rows in w.changes.items():
                if kind not in LINE_FIELDS:
                    errors.add(kind, "", _("unknown section"))
                    continue
                for code, values in rows.items():
                    line = _find_line(own, kind, code)
                    if line is None:
                        ambiguous = kind == "kpis" and any(key.endswith(f"/{code}") for key in own[kind])
                        errors.add(
                            f"{kind} {code}",
                            "",
                            _("printed under several measures: write MEASURE/%(code)s") % {"code": code}
                            if ambiguous
                            else _("not part of this submission"),
                            kind=kind,
                            code=code,
                        )
                        continue
                    parsed = {}
                    for name, value in values.items():
                        parser = LINE_FIELDS[kind].get(name)
                        if parser is None:
                            errors.add(f"{kind} {code}", name, _("unknown field"), kind=kind, code=code)
                            continue
                        try:
                            parsed[name] = parser(value)
                        except ValueError as exc:
                            errors.add(f"{kind} {code}", name, str(exc), kind=kind, code=code)
                    number = parsed.get("value") if kind == "kpis" else None
                    # Only a negative figure costs a query (its target texts): they are rare.
                    if (
                        number is not None
                        and number < 0
                        and not negative_allowed(_kpi_target_texts(line.target_id, current.period.roc_year))
                    ):
                        errors.add(
                            f"{kind} {code}",
                            "value",
                            _("cannot be negative: this indicator counts, it does not measure a change"),
                            kind=kind,
                            code=code,
                        )
                    updates.append((current, line, parsed))
        if errors.errors:
            raise errors
        return _write(updates)


def _write(updates: list[tuple[Submission, Line, dict[str, Any]]]) -> dict[int, int]:
    """The UPDATEs, the change log and the new versions (nothing for submissions that did not change)."""
    from django.db.models import F
    from django.utils import timezone

    from sixcore.core.changelog import BulkUpdate, record_bulk_updates, serialize_value, serialize_values

    statements: dict[tuple[str, tuple[str, ...]], list[Any]] = defaultdict(list)
    entries = []
    touched: dict[int, Submission] = {}
    changed_lines: list[Line] = []
    labels: dict[int, str] = {}  # str(submission), once per submission (each line names it twice)
    for submission, line, parsed in updates:
        changed = {name: value for name, value in parsed.items() if line.values[name] != value}
        if not changed:
            continue
        label = labels.get(submission.pk)
        if label is None:
            label = labels[submission.pk] = str(submission)
        model, target, _plan, _order = LINE_SOURCES[line.kind]
        statements[(line.kind, tuple(changed))].append(model(pk=line.pk, **changed))
        before = serialize_values(
            model, {"id": line.pk, "submission": submission.pk, target: line.target_id, **line.values}
        )
        line.values.update(changed)
        # After = before with the changed fields (those the snapshot holds: registered exclusions apply).
        after = {**before, **{n: serialize_value(v) for n, v in changed.items() if n in before}}
        entries.append(
            BulkUpdate(
                model,
                line.pk,
                _line_repr(line, label),
                before,
                after,
                (
                    (Submission, submission.pk, label),
                    (TARGET_MODELS[line.kind], line.target_id, line.target_repr),
                ),
                group=submission.pk,
            )
        )
        touched[submission.pk] = submission
        changed_lines.append(line)
    if not touched:
        # Nothing changed: no new version, so nobody else's open form or download becomes stale.
        return {}
    for (kind, names), instances in statements.items():
        LINE_SOURCES[kind][0].objects.bulk_update(instances, names)
    record_bulk_updates(entries)
    lines_saved.send(Submission, submissions=list(touched.values()), lines=changed_lines)
    # version and modified_at are not in the change log (tracking.NOISE): an update() records nothing.
    Submission.objects.filter(pk__in=touched).update(version=F("version") + 1, modified_at=timezone.now())
    versions = {}
    for pk, submission in touched.items():
        submission.version += 1
        versions[pk] = submission.version
    return versions


def _line_repr(line: Line, submission: Submission | str) -> str:
    """``str()`` of the line's model instance, from the model's own ``__str__`` (which formats its
    submission: the submission or its ``str()``)."""
    model = LINE_SOURCES[line.kind][0]
    target = SimpleNamespace(code=line.target_code)
    fake = SimpleNamespace(submission=submission, measure=target, kpi=target, work_item=target, **line.values)
    return model.__str__(fake)
