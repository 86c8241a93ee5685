"""Creating a period's submissions and saving report lines (web forms, the API and Excel uploads all
come through ``save_lines``): scope-checked, validated, atomic, and refused on a stale version."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency
from sixcore.accounts.policy import submission_policy
from sixcore.core.changelog import record_updates, snapshot
from sixcore.core.roc import parse_quarter
from sixcore.plan import models as plan

from .choices import BudgetUnit, WorkItemStatus
from .models import BudgetReport, KPIReport, MeasureReport, ReportingPeriod, Submission, WorkItemReport

REPORTING_KINDS = (AgencyKind.CORE, AgencyKind.MINISTRY)


class ConflictError(Exception):
    """Someone saved the submission since this editor loaded it (HTTP 409)."""

    def __init__(self, submission: Submission, expected: int):
        self.submission = submission
        self.expected = expected
        super().__init__(
            _(
                "This report was changed by someone else (version %(current)s, you edited version %(expected)s). "
                "Their changes are shown; nothing of yours was saved."
            )
            % {"current": submission.version, "expected": expected}
        )


@dataclass
class LineErrors(Exception):
    """Invalid lines: each error names the line and field (HTTP 400). Nothing was written."""

    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, line: str, field_name: str, message: str) -> None:
        self.errors.append({"line": line, "field": field_name, "message": str(message)})

    def __str__(self) -> str:
        return "; ".join(f"{e['line']} {e['field']}: {e['message']}" for e in self.errors)


def program_in_force(period: ReportingPeriod) -> plan.Program:
    """The latest approved plan revision effective for the period (revision 0 unless a later one took effect)."""
    from sixcore.revisions.models import programs_in_force

    key = (period.roc_year, period.quarter)
    best = None
    # Drafts and rejected proposals of a revision (滾動檢討修正) never count.
    for program in programs_in_force().order_by("revision"):
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


# The fields each kind of line accepts, with their parser.
# Report columns are DECIMAL(16, 4) (percent: 5, 2): at most 12 digits before the point. A larger value
# would fail the write on PostgreSQL and be stored unreadably on SQLite, so it is refused here.
MAX_WHOLE_DIGITS = 12


def _decimal(value: Any, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(_("not a number: %(value)s") % {"value": value})
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except ArithmeticError:
        raise ValueError(_("not a number: %(value)s") % {"value": value}) from None
    if not number.is_finite():
        raise ValueError(_("not a number: %(value)s") % {"value": value})
    if number != 0 and number.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError(_("too large: at most %(n)s digits before the point") % {"n": MAX_WHOLE_DIGITS})
    number = number.quantize(Decimal("0.0001")) if number.as_tuple().exponent < -4 else number
    if low is not None and number < low:
        raise ValueError(_("must be at least %(low)s") % {"low": low})
    if high is not None and number > high:
        raise ValueError(_("must be at most %(high)s") % {"high": high})
    return number


def _bool(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是", "完成", "done", "v"}:
        return True
    if text in {"0", "false", "no", "n", "否", "未完成", "not done", "x"}:
        return False
    raise ValueError(_("must be done / not done (是/否)"))


def _choice(choices: type, value: Any) -> str:
    if value in (None, ""):
        return ""
    for choice_value, label in choices.choices:
        if value in (choice_value, str(label)):
            return choice_value
    raise ValueError(_("unknown value %(value)s") % {"value": value})


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    from sixcore.core.roc import RocDateError, parse_roc_month

    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            return parse_roc_month(text)
        except RocDateError:
            raise ValueError(
                _("not a date (113/12/31 or 2024-12-31): %(value)s") % {"value": value}
            ) from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


LINE_FIELDS = {
    "measures": {"progress": _text, "highlights": _text, "next_quarter": _text},
    "kpis": {"value": _decimal, "done": _bool, "evidence": _text, "note": _text},
    "work_items": {
        "percent": lambda v: _decimal(v, low=Decimal(0), high=Decimal(100)),
        "status": lambda v: _choice(WorkItemStatus, v),
        "lag_reason": _text,
        "remedy": _text,
        "completed_on": _date,
    },
    "budget": {
        "unit": lambda v: _choice(BudgetUnit, v) or BudgetUnit.HUNDRED_MILLION,
        "allocated": lambda v: _decimal(v, low=Decimal(0)),
        "executed": lambda v: _decimal(v, low=Decimal(0)),
        "annual_budget": lambda v: _decimal(v, low=Decimal(0)),
    },
}


def _lines(submission: Submission) -> dict[str, dict[str, Any]]:
    """The submission's lines by kind and natural code (measure code, KPI code, schedule/work-item code)."""
    kpi_reports = list(submission.kpi_reports.select_related("kpi__measure"))
    printed = Counter(r.kpi.code for r in kpi_reports)
    kpis = {f"{r.kpi.measure.code}/{r.kpi.code}": r for r in kpi_reports}
    # A plain KPI code works when it is unique in the submission; 6.2.2 (printed under 6.1 and under
    # 6.2) must be written "6.1/6.2.2" or "6.2/6.2.2".
    kpis.update({r.kpi.code: r for r in kpi_reports if printed[r.kpi.code] == 1})
    lines = {
        "measures": {r.measure.code: r for r in submission.measure_reports.select_related("measure")},
        "kpis": kpis,
        "work_items": {
            f"{r.work_item.schedule.code}/{r.work_item.code}": r
            for r in submission.work_item_reports.select_related("work_item__schedule")
        },
        "budget": {r.measure.code: r for r in submission.budget_reports.select_related("measure")},
    }
    # The lines' parent is the locked submission itself (their change-log entries name it).
    for rows in lines.values():
        for row in rows.values():
            row.submission = submission
    return lines


def save_lines(
    submission: Submission, user, expected_version: int, changes: dict[str, dict[str, dict[str, Any]]]
) -> Submission:
    """Apply ``{kind: {code: {field: value}}}`` to a submission's lines, all or nothing.

    Raises PermissionDenied (not the user's, not a draft, period locked), LineErrors (bad values, unknown
    lines; every problem listed) or ConflictError (someone saved since ``expected_version``).
    """
    with transaction.atomic():
        locked = (
            Submission.objects.select_for_update().select_related("period", "agency").get(pk=submission.pk)
        )
        if not submission_policy.can_edit(user, locked):
            raise PermissionDenied(
                _("You may not edit this submission (not your agency's draft, or the period is locked).")
            )
        if locked.version != expected_version:
            raise ConflictError(locked, expected_version)
        errors = LineErrors()
        lines = _lines(locked)
        updates: list[tuple[Any, dict[str, Any]]] = []
        for kind, rows in changes.items():
            if kind not in LINE_FIELDS:
                errors.add(kind, "", _("unknown section"))
                continue
            for code, values in rows.items():
                line = lines[kind].get(code)
                if line is None:
                    ambiguous = kind == "kpis" and any(key.endswith(f"/{code}") for key in lines[kind])
                    errors.add(
                        f"{kind} {code}",
                        "",
                        _("printed under several measures: write MEASURE/%(code)s") % {"code": code}
                        if ambiguous
                        else _("not part of this submission"),
                    )
                    continue
                parsed = {}
                for name, value in values.items():
                    parser = LINE_FIELDS[kind].get(name)
                    if parser is None:
                        errors.add(f"{kind} {code}", name, _("unknown field"))
                        continue
                    try:
                        parsed[name] = parser(value)
                    except ValueError as exc:
                        errors.add(f"{kind} {code}", name, str(exc))
                updates.append((line, parsed))
        if errors.errors:
            raise errors
        # Each changed line is one plain UPDATE of its changed fields (signals are not involved: the change
        # log gets all of them in two INSERTs through record_updates). Django's bulk_update would build a
        # CASE per field and row, which costs far more to compile than these statements cost to run.
        logged = []
        for line, parsed in updates:
            changed = {name: value for name, value in parsed.items() if getattr(line, name) != value}
            if changed:
                before = snapshot(line)
                for name, value in changed.items():
                    setattr(line, name, value)
                type(line).objects.filter(pk=line.pk).update(**changed)
                logged.append((line, before))
        if not logged:
            # Nothing changed: no new version, so nobody else's open form or download becomes stale.
            return locked
        record_updates(logged)
        locked.version += 1
        locked.save(update_fields=["version", "modified_at"])
    submission.refresh_from_db()
    return submission
