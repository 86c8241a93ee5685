"""The Excel round-trip of the quarterly cycle: an agency downloads one pre-filled workbook for a period
(all its submissions, one per industry) and uploads it back.

``build_workbook`` writes the workbook; ``import_workbook`` reads it back, validates every cell first
and, only when nothing is wrong, applies the changes through ``services.save_lines`` in one transaction
for all submissions of the file. Problems are reported as ``{sheet, cell, message}``.

Every word of the workbook goes through gettext, and the workbook is written and read in the site's
language (``LANGUAGE_CODE``, zh-Hant) whatever the reader's: its sheet names, headers and list values are
what the import matches, so they must not change with the language of the person who downloads it.

Rows are matched by their codes (industry + measure / KPI / work-item code), never by position, so an
agency may sort or filter the sheets. A hidden sheet carries the format version, the period, the agency
and each submission's id, version and a hash of its content at download time (see ``_decide_write``).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from sixcore.accounts.models import Agency
from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, submission_policy
from sixcore.core import opendocument
from sixcore.core.dates import check_range
from sixcore.core.opendocument import workbook_to_ods
from sixcore.core.roc import RocDateError, format_roc_month, parse_quarter, parse_roc_month
from sixcore.core.uploads import UploadRefused, check_content
from sixcore.plan.choices import TargetKind

from . import xlsx_reader
from .choices import BudgetUnit, SubmissionStatus, WorkItemStatus
from .clock import today
from .models import BudgetReport, KPIReport, MeasureReport, ReportingPeriod, Submission, WorkItemReport
from .periods import period_writable
from .services import (
    ConflictError,
    Line,
    LineErrors,
    LineWrite,
    edit_permissions,
    load_lines,
    lock_submissions,
    save_many,
)
from .workflow import is_lagging, planned_percent

FORMAT_MAGIC = "sixcore-excel"
FORMAT_VERSION = "1"

# Limits checked on the zip directory before openpyxl inflates anything (zip bombs, junk uploads).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_ROWS_PER_SHEET = 5000
MAX_PROBLEMS = 1000

# Excel evaluates a cell typed or pasted as text starting with these; text from the database that starts
# with one is written with a leading apostrophe (the OWASP CSV-injection advice), stripped again on import.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"

SHEET_INFO = pgettext_lazy("excel sheet", "Instructions")
SHEET_MEASURES = pgettext_lazy("excel sheet", "Progress")
SHEET_KPIS = pgettext_lazy("excel sheet", "KPIs")
SHEET_WORK = pgettext_lazy("excel sheet", "Work items")
SHEET_BUDGET = pgettext_lazy("excel sheet", "Budget")
SHEET_META = "_meta"
HEADER_ROW = 2
FIRST_DATA_ROW = 3
DEMO_MARK = pgettext_lazy("excel", "[demo data]")
DEMO_TEXT = pgettext_lazy("excel", "demo data")

# The list values are the site's own labels of the choices (the words of the web form).
WORK_STATUS_LABELS = {status: status.label for status in WorkItemStatus}
SUBMISSION_STATUS_LABELS = {status: status.label for status in SubmissionStatus}
TARGET_KIND_LABELS = {kind.value: kind.label for kind in TargetKind}
# Status words of workbooks written before the labels were aligned with the web form (超前, 落後): data
# that files already in agencies' hands contain, still read.
FORMER_STATUS_WORDS = {"超前": WorkItemStatus.AHEAD.value, "落後": WorkItemStatus.LAGGING.value}
YES, NO = pgettext_lazy("excel", "yes"), pgettext_lazy("excel", "no")

# Field precision of the models: values are rounded the way the database would store them, so that a
# re-upload compares equal to what was saved (otherwise every upload of 1.23456 would be a "change").
QUANTUM = {
    "value": Decimal("0.0001"),
    "percent": Decimal("0.01"),
    "allocated": Decimal("0.0001"),
    "executed": Decimal("0.0001"),
    "annual_budget": Decimal("0.0001"),
}
MAX_AMOUNT = Decimal(10) ** 12  # DecimalField(max_digits=16, decimal_places=4)


@dataclass(frozen=True)
class Column:
    label: Any  # lazy: translated when the workbook is written or read
    width: float
    field: str | None = None  # the report field of an input column; None for reference columns
    number_format: str | None = None

    @property
    def header(self) -> str:
        return str(self.label)


@dataclass(frozen=True)
class SheetSpec:
    label: Any  # lazy, like Column.label
    kind: str  # the save_lines kind
    columns: tuple[Column, ...]
    key_columns: int  # leading columns that identify the row
    freeze: str

    @property
    def name(self) -> str:
        return str(self.label)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column_of(self, field_name: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.field == field_name)


AMOUNT_FORMAT = "#,##0.00##"
SHEETS = (
    SheetSpec(
        SHEET_MEASURES,
        "measures",
        (
            Column(pgettext_lazy("excel column", "Industry"), 6),
            Column(pgettext_lazy("excel column", "Measure code"), 10),
            Column(pgettext_lazy("excel column", "Measure"), 36),
            Column(pgettext_lazy("excel column", "Progress"), 60, "progress"),
            Column(pgettext_lazy("excel column", "Key highlights"), 48, "highlights"),
            Column(pgettext_lazy("excel column", "Next quarter's key work"), 48, "next_quarter"),
        ),
        2,
        "D3",
    ),
    SheetSpec(
        SHEET_KPIS,
        "kpis",
        (
            Column(pgettext_lazy("excel column", "Industry"), 6),
            Column(pgettext_lazy("excel column", "Measure code"), 10),
            Column(pgettext_lazy("excel column", "KPI code"), 10),
            Column(pgettext_lazy("excel column", "Full-term target"), 40),
            Column(pgettext_lazy("excel column", "Target this year"), 40),
            Column(pgettext_lazy("excel column", "Unit"), 8),
            Column(pgettext_lazy("excel column", "Kind"), 8),
            Column(pgettext_lazy("excel column", "Actual"), 14, "value", AMOUNT_FORMAT),
            Column(pgettext_lazy("excel column", "Achieved"), 10, "done"),
            Column(pgettext_lazy("excel column", "Evidence"), 40, "evidence"),
            Column(pgettext_lazy("excel column", "Note"), 30, "note"),
        ),
        3,
        "D3",
    ),
    SheetSpec(
        SHEET_WORK,
        "work_items",
        (
            Column(pgettext_lazy("excel column", "Industry"), 6),
            Column(pgettext_lazy("excel column", "Work item code"), 14),
            Column(pgettext_lazy("excel column", "Work item"), 44),
            Column(pgettext_lazy("excel column", "Start–end"), 16),
            Column(pgettext_lazy("excel column", "Planned (%)"), 11, None, "0.00"),
            Column(pgettext_lazy("excel column", "Done (%)"), 11, "percent", "0.00"),
            Column(pgettext_lazy("excel column", "Status"), 10, "status"),
            Column(pgettext_lazy("excel column", "Reason for lag"), 36, "lag_reason"),
            Column(pgettext_lazy("excel column", "Remedy"), 36, "remedy"),
            Column(pgettext_lazy("excel column", "Completed on"), 13, "completed_on", "yyyy-mm-dd"),
        ),
        2,
        "D3",
    ),
    SheetSpec(
        SHEET_BUDGET,
        "budget",
        (
            Column(pgettext_lazy("excel column", "Industry"), 6),
            Column(pgettext_lazy("excel column", "Measure code"), 10),
            Column(pgettext_lazy("excel column", "Measure"), 36),
            Column(pgettext_lazy("excel column", "Unit"), 8, "unit"),
            Column(pgettext_lazy("excel column", "Allocated"), 16, "allocated", AMOUNT_FORMAT),
            Column(pgettext_lazy("excel column", "Executed"), 16, "executed", AMOUNT_FORMAT),
            Column(pgettext_lazy("excel column", "Annual budget"), 16, "annual_budget", AMOUNT_FORMAT),
        ),
        2,
        "D3",
    ),
)
SPEC_BY_KIND = {s.kind: s for s in SHEETS}
KIND_FIELDS = {s.kind: [c.field for c in s.columns if c.field] for s in SHEETS}
TEXT_FIELDS = {"progress", "highlights", "next_quarter", "evidence", "note", "lag_reason", "remedy"}

HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")
UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="top")


# --- results ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One reason the upload was refused, at a sheet and cell (cell empty for file-level problems)."""

    sheet: str
    cell: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"sheet": self.sheet, "cell": self.cell, "message": self.message}


@dataclass
class SubmissionOutcome:
    submission_id: int
    industry: str
    industry_name: str
    fields_changed: int
    version_before: int
    version_after: int


@dataclass
class ImportResult:
    """``ok`` when everything was valid (and written); otherwise ``problems`` and nothing was written."""

    problems: list[Problem] = field(default_factory=list)
    changed: list[SubmissionOutcome] = field(default_factory=list)
    unchanged: list[SubmissionOutcome] = field(default_factory=list)
    period: ReportingPeriod | None = None
    agency: Agency | None = None
    truncated: int = 0  # problems left off the list beyond MAX_PROBLEMS

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_by_sheet(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = defaultdict(list)
        for problem in self.problems:
            grouped[problem.sheet].append(problem)
        return dict(grouped)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, sheet: Any, cell: str, message: Any) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(str(sheet), cell, str(message)))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)


# --- values: one normal form for the database and the file --------------------------------------------


def _normal_text(value: Any) -> str:
    # Excel stores CR LF as LF; comparing normalised text keeps a re-upload from looking like a change.
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _quantize(name: str, number: Decimal | None) -> Decimal | None:
    if number is None:
        return None
    return number.quantize(QUANTUM[name], rounding=ROUND_HALF_UP) if name in QUANTUM else number


def _normal(name: str, value: Any) -> Any:
    """A database value in the form the file's values are compared with."""
    if name in TEXT_FIELDS:
        return _normal_text(value)
    if name in QUANTUM:
        return _quantize(name, value)
    if name == "unit":
        return value or BudgetUnit.HUNDRED_MILLION
    if name == "status":
        return value or ""
    return value


def _line_state(report: Any, kind: str) -> dict[str, Any]:
    """A line's input fields in normal form; ``report`` is a model instance or a ``services.Line``."""
    if isinstance(report, Line):
        return {name: _normal(name, report.values[name]) for name in KIND_FIELDS[kind]}
    return {name: _normal(name, getattr(report, name)) for name in KIND_FIELDS[kind]}


def _state_hash(lines: dict[str, dict[Any, Any]]) -> str:
    """A short digest of a submission's content (all its lines) for the stale-version rule."""
    digest = hashlib.sha256()
    for kind in sorted(lines):
        for key in sorted(lines[kind], key=str):
            state = _line_state(lines[kind][key], kind)
            digest.update(
                json.dumps(
                    [kind, str(key), {k: str(v) for k, v in state.items()}],
                    ensure_ascii=False,
                    sort_keys=True,
                ).encode()
            )
    return digest.hexdigest()[:32]


def _safe_text(value: Any) -> str:
    """Text from the database made inert for a spreadsheet (no formula, no illegal XML characters)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    if text.startswith(FORMULA_PREFIXES):
        text = NEUTRALISER + text
    return text


def _unneutralise(text: str) -> str:
    if text.startswith(NEUTRALISER) and text[1:2] and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


# --- loading the submissions of a workbook -----------------------------------------------------------


@dataclass
class _Unit:
    """One submission with its lines by key (KPIs by (measure code, KPI code): codes repeat, e.g. 6.2.2)."""

    submission: Submission
    lines: dict[str, dict[Any, Any]]


def _load_units(submissions: list[Submission]) -> dict[int, _Unit]:
    """The lines of several submissions in four queries."""
    units = {
        s.pk: _Unit(s, {"measures": {}, "kpis": {}, "work_items": {}, "budget": {}}) for s in submissions
    }
    ids = list(units)
    for r in MeasureReport.objects.filter(submission__in=ids).select_related("measure"):
        units[r.submission_id].lines["measures"][r.measure.code] = r
    kpis = KPIReport.objects.filter(submission__in=ids).select_related("kpi__measure")
    for r in kpis.order_by("submission", "kpi__measure__order", "kpi__order"):
        units[r.submission_id].lines["kpis"][(r.kpi.measure.code, r.kpi.code)] = r
    works = WorkItemReport.objects.filter(submission__in=ids).select_related("work_item__schedule")
    for r in works.order_by("submission", "work_item__schedule__order", "work_item__order"):
        units[r.submission_id].lines["work_items"][f"{r.work_item.schedule.code}/{r.work_item.code}"] = r
    for r in BudgetReport.objects.filter(submission__in=ids).select_related("measure"):
        units[r.submission_id].lines["budget"][r.measure.code] = r
    return units


def _as_of(period: ReportingPeriod) -> date:
    # As workflow.completeness_problems judges lagging: at the quarter's end, or today if earlier.
    return min(period.end, today())


# --- building ----------------------------------------------------------------------------------------


def agency_submissions(period: ReportingPeriod, agency: Agency, user) -> list[Submission]:
    """The agency's submissions of the period that the user may read, ordered by industry."""
    queryset = Submission.objects.filter(period=period, agency=agency).select_related(
        "industry", "agency", "period"
    )
    return list(submission_policy.visible(user, queryset).order_by("industry__code"))


def build_workbook(period: ReportingPeriod, agency: Agency, user, fmt: str = "xlsx") -> bytes:
    """The pre-filled workbook of all the agency's submissions of the period (those the user may read),
    as ``xlsx`` or ``ods`` (ODF, the government's standard: the same sheets, locks and lists)."""
    with translation.override(settings.LANGUAGE_CODE):
        workbook = _build_workbook(period, agency, user)
    if fmt == "ods":
        return workbook_to_ods(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _build_workbook(period: ReportingPeriod, agency: Agency, user) -> Workbook:
    submissions = agency_submissions(period, agency, user)
    units = _load_units(submissions)
    demo = any(s.is_demo for s in submissions)
    at = _as_of(period)
    year = period.roc_year
    targets = _annual_targets([r.kpi_id for u in units.values() for r in u.lines["kpis"].values()], year)

    wb = Workbook()
    info = wb.active
    info.title = str(SHEET_INFO)
    _write_info(info, period, agency, user, submissions, demo)

    rows: dict[str, list[list[Any]]] = {s.kind: [] for s in SHEETS}
    for s in submissions:
        lines = units[s.pk].lines
        ind = s.industry.code
        for code, r in lines["measures"].items():
            rows["measures"].append([ind, code, r.measure.name, r.progress, r.highlights, r.next_quarter])
        for (mcode, kcode), r in lines["kpis"].items():
            full = r.kpi.full_term_target or {}
            annual = targets.get(r.kpi_id)
            reading = (annual.target if annual and annual.target else None) or full
            done = None if r.done is None else str(YES if r.done else NO)
            rows["kpis"].append(
                [
                    ind,
                    mcode,
                    kcode,
                    r.kpi.full_term_text,
                    annual.cell.text if annual else "",
                    reading.get("unit") or "",
                    str(TARGET_KIND_LABELS.get(reading.get("kind"), gettext("not quantified"))),
                    r.value,
                    done,
                    r.evidence,
                    r.note,
                ]
            )
        for key, r in lines["work_items"].items():
            wi = r.work_item
            span = (
                f"{format_roc_month(wi.start)}~{format_roc_month(wi.end)}"
                if wi.start and wi.end
                else wi.period_text
            )
            rows["work_items"].append(
                [
                    ind,
                    key,
                    wi.title,
                    span,
                    planned_percent(wi.start, wi.end, at),
                    r.percent,
                    str(WORK_STATUS_LABELS.get(r.status, "")),
                    r.lag_reason,
                    r.remedy,
                    r.completed_on,
                ]
            )
        for code, r in lines["budget"].items():
            rows["budget"].append(
                [ind, code, r.measure.name, r.unit, r.allocated, r.executed, r.annual_budget]
            )

    title = f"{period.label}　{agency.name}"
    for spec in SHEETS:
        write_data_sheet(wb.create_sheet(spec.name), spec, rows[spec.kind], f"{title}　{spec.name}", demo)
    follow_up_sheet().write_sheet(wb, submissions, title, demo)
    _write_meta(wb.create_sheet(SHEET_META), period, agency, submissions, units)
    # Sheets cannot be added, renamed, deleted or unhidden; no password: this guards mistakes, not secrets.
    wb.security = WorkbookProtection(lockStructure=True)
    return wb


def _annual_targets(kpi_ids: list[int], year: int) -> dict[int, Any]:
    from sixcore.plan.models import AnnualTarget

    return {
        t.kpi_id: t for t in AnnualTarget.objects.filter(kpi__in=kpi_ids, year=year).select_related("cell")
    }


def _protect(ws) -> None:
    ws.protection.sheet = True
    # Resizing rows/columns and filtering stay allowed: only locked cells' content is protected.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = False


def _write_info(ws, period, agency, user, submissions, demo: bool) -> None:
    now = timezone.localtime()
    lines = [
        [
            gettext("Six Core Strategic Industries Program: quarterly report workbook")
            + (DEMO_MARK if demo else "")
        ],
        [gettext("Reporting period"), f"{period.code}（{period.label}）"],
        [gettext("Agency"), f"{agency.name}（{agency.code}）"],
        [gettext("Generated at"), now.strftime("%Y-%m-%d %H:%M")],
        [gettext("Generated by"), user.get_username() if getattr(user, "is_authenticated", False) else ""],
        [gettext("Format version"), FORMAT_VERSION],
        [],
        [gettext("How to fill in")],
        *([line] for line in _instructions()),
        [],
        [
            gettext("Industry"),
            gettext("Industry name"),
            gettext("Status"),
            gettext("Version"),
            str(DEMO_TEXT),
        ],
    ]
    for row in lines:
        ws.append([_safe_text(v) for v in row])
    for s in submissions:
        ws.append(
            [
                s.industry.code,
                _safe_text(s.industry.name),
                str(SUBMISSION_STATUS_LABELS.get(s.status, s.status)),
                s.version,
                str(DEMO_TEXT) if s.is_demo else "",
            ]
        )
    ws["A1"].font = Font(bold=True, size=14, color="C00000" if demo else None)
    for cell in ws[16]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 40
    for letter in "CDE":
        ws.column_dimensions[letter].width = 12
    _protect(ws)


def _header(kind: str, field_name: str) -> str:
    spec = SPEC_BY_KIND[kind]
    return spec.columns[spec.column_of(field_name)].header


def _instructions() -> list[str]:
    """The six numbered rules of the 說明 sheet (rows 9–14: problems point at the rows below them)."""
    return [
        gettext(
            "1. Fill in the light-yellow cells only; the grey headers and the reference columns (codes, "
            "names, targets) are locked. Do not change or delete sheets."
        ),
        gettext(
            "2. %(done)s takes a number from 0 to 100; choose %(status)s, %(achieved)s and %(unit)s from "
            "their drop-down lists."
        )
        % {
            "done": f"「{_header('work_items', 'percent')}」",
            "status": f"「{_header('work_items', 'status')}」",
            "achieved": f"「{_header('kpis', 'done')}」",
            "unit": f"「{_header('budget', 'unit')}」",
        },
        gettext(
            "3. When a work item lags (status behind schedule, or done 10 points or more below planned), "
            "give the reason for the lag and the remedy."
        ),
        gettext(
            "4. A completion date may be written 111/6/30 or 2022-06-30; a completed item needs its "
            "completion date."
        ),
        gettext(
            "5. Do not enter formulas. On upload every cell is checked first; if anything is wrong nothing "
            "is written and the sheet and cell of each problem are listed."
        ),
        gettext(
            "6. If someone changes the same report in the system after your download, the upload is "
            "refused: download again. Uploading the same file twice writes nothing twice."
        ),
    ]


def write_data_sheet(ws, spec: SheetSpec, rows: list[list[Any]], title: str, demo: bool) -> None:
    ws.append([_safe_text(title + (DEMO_MARK if demo else ""))])
    ws["A1"].font = Font(bold=True, size=12, color="C00000" if demo else None)
    ws.append(spec.headers)
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for values in rows:
        ws.append([_safe_text(v) if isinstance(v, str) else v for v in values])
    last = FIRST_DATA_ROW + len(rows) - 1
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        if last < FIRST_DATA_ROW:
            continue
        for (cell,) in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=last, min_col=index, max_col=index):
            if column.number_format:
                cell.number_format = column.number_format
            if column.field:
                cell.protection = UNLOCKED
                cell.fill = INPUT_FILL
            if column.field in TEXT_FIELDS or column.width >= 36:
                cell.alignment = WRAP
        if column.field:
            _add_validation(ws, spec, column, f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
    ws.freeze_panes = spec.freeze
    if rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(spec.columns))}{last}"
    _protect(ws)


def _add_validation(ws, spec: SheetSpec, column: Column, ref: str) -> None:
    name = column.field
    if name == "status":
        dv = DataValidation(type="list", formula1='"' + ",".join(map(str, WORK_STATUS_LABELS.values())) + '"')
    elif name == "done":
        dv = DataValidation(type="list", formula1=f'"{YES},{NO}"')
    elif name == "unit":
        dv = DataValidation(type="list", formula1='"' + ",".join(BudgetUnit.values) + '"')
    elif name == "percent":
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
    elif name in ("allocated", "executed", "annual_budget"):
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(MAX_AMOUNT - 1))
    elif name == "value":
        dv = DataValidation(
            type="decimal", operator="between", formula1=str(1 - MAX_AMOUNT), formula2=str(MAX_AMOUNT - 1)
        )
    elif name == "completed_on":
        # A warning only: ROC dates typed as text (111/6/30) are accepted by the import.
        dv = DataValidation(
            type="date",
            operator="between",
            formula1="DATE(2020,1,1)",
            formula2="DATE(2030,12,31)",
            errorStyle="warning",
        )
    else:
        return
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorTitle = gettext("Invalid value")
    dv.error = {
        "percent": gettext("Enter a number from 0 to 100."),
        "completed_on": gettext("Enter a date, e.g. 2022-06-30 or 111/6/30."),
    }.get(name) or gettext("Enter a value from the list or a number.")
    ws.add_data_validation(dv)
    dv.add(ref)


def _write_meta(ws, period, agency, submissions, units) -> None:
    ws.append([FORMAT_MAGIC, FORMAT_VERSION])
    ws.append(["period", period.code])
    ws.append(["agency", agency.code])
    ws.append(["submission", "industry", "version", "content"])
    for s in submissions:
        ws.append([s.pk, s.industry.code, s.version, _state_hash(units[s.pk].lines)])
    ws.sheet_state = "veryHidden"
    _protect(ws)


# --- importing: reading the file ---------------------------------------------------------------------


def too_large() -> str:
    return gettext("The file is too large (at most %(mb)s MB).") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}


def _not_a_workbook() -> str:
    return gettext("Not an Excel workbook (.xlsx): upload the workbook downloaded from this system.")


def _not_a_report_file() -> str:
    return gettext("not a normal report workbook; refused")


class _Refused(Exception):
    """The file cannot be read at all (not an xlsx, too large, not our format)."""

    def __init__(self, message: str, sheet: str = "", cell: str = ""):
        super().__init__(message)
        self.problem = Problem(sheet, cell, message)


Cell = xlsx_reader.Cell  # value, openpyxl's data type letter, number format


def _check_zip(data: bytes) -> None:
    """Refuse non-xlsx files and zip bombs from the zip directory alone, before anything is inflated."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _Refused(too_large())
    if not data.startswith(b"PK\x03\x04"):
        raise _Refused(_not_a_workbook())
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _Refused(gettext("The file is damaged or not an Excel workbook (.xlsx).")) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _Refused(
            gettext("The file holds too many entries (%(n)s): %(refused)s.")
            % {"n": len(entries), "refused": _not_a_report_file()}
        )
    # zipfile never inflates an entry beyond its declared size, so the declared sizes bound the work.
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _Refused(
            gettext("The file is too large once uncompressed (%(mb)s MB): %(refused)s.")
            % {"mb": total // (1024 * 1024), "refused": _not_a_report_file()}
        )
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _Refused(_not_a_workbook())


def is_ods(data: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose first entry is its mimetype (ODF's own signature)."""
    return (
        data.startswith(b"PK\x03\x04")
        and data[30:38] == b"mimetype"
        and b"opendocument.spreadsheet" in data[:120]
    )


def _read_workbook(data: bytes) -> dict[str, list[tuple[Cell, ...]]]:
    """Every sheet's rows as (value, type, number format) cells, from an .xlsx (``xlsx_reader``) or an
    .ods (``core.opendocument``) alike: a formula arrives with type ``f``, so it can be refused."""
    widths = {s.name: len(s.columns) for s in SHEETS} | {SHEET_META: 4, str(SHEET_INFO): 5}
    widths[follow_up_sheet().SPEC.name] = follow_up_sheet().WIDTH
    if is_ods(data):
        _check_ods(data)
        reader = opendocument
        not_a_file = gettext("The file cannot be read: not a valid OpenDocument spreadsheet (.ods).")
    else:
        _check_zip(data)
        reader = xlsx_reader
        not_a_file = gettext("The file cannot be read: not a valid Excel workbook (.xlsx).")
    try:
        return reader.read_sheets(data, widths, MAX_ROWS_PER_SHEET)
    except reader.TooManyRows as exc:
        raise _Refused(
            gettext("The sheet has too many rows (at most %(n)s).") % {"n": MAX_ROWS_PER_SHEET}, exc.sheet
        ) from None
    except (xlsx_reader.XlsxError, opendocument.OdsError) as exc:
        if exc.sheet:
            raise _Refused(
                gettext("The content cannot be read: the workbook is damaged."), exc.sheet
            ) from None
        raise _Refused(not_a_file) from None


def _check_ods(data: bytes) -> None:
    """Size and the package checks of the upload (zip bombs, encryption, macros, links)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _Refused(too_large())
    try:
        check_content(".ods", data)
    except UploadRefused as exc:
        raise _Refused(str(exc)) from None


def cell_at(rows: list[tuple[Cell, ...]], row: int, col: int) -> Cell:
    """The cell at 1-based (row, col) of a sheet read by ``_read_workbook`` (empty when absent)."""
    if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
        return rows[row - 1][col - 1]
    return (None, "n", "General")


def code_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else _unneutralise(str(value).strip())


# --- importing: parsing cells ------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def _not_a_number(value: Any) -> str:
    return gettext("not a number: %(value)s") % {"value": value}


def _parse_decimal(cell: Cell, name: str) -> Decimal | None:
    value, _type, number_format = cell
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Bad(_not_a_number(value))
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (number_format or ""):
            number *= 100  # typed as 50% in a percent-formatted cell: Excel stores 0.5
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        percent = text.endswith("%")
        try:
            number = Decimal(text.rstrip("%").strip())
        except InvalidOperation:
            raise _Bad(_not_a_number(value)) from None
        if not number.is_finite():
            raise _Bad(_not_a_number(value))
        if percent and name != "percent":
            raise _Bad(_not_a_number(value))
    else:
        raise _Bad(_not_a_number(value))
    number = _quantize(name, number)
    if name == "percent" and not Decimal(0) <= number <= Decimal(100):
        raise _Bad(
            gettext("The percentage must be from 0 to 100 (%(value)s was entered).")
            % {"value": f"{number.normalize():f}"}
        )
    if name in ("allocated", "executed", "annual_budget") and number < 0:
        raise _Bad(gettext("An amount cannot be negative."))
    if abs(number) >= MAX_AMOUNT:
        raise _Bad(gettext("The number is too large."))
    return number


def parse_text(cell: Cell) -> str:
    value = cell[0]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        value = value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return _normal_text(_unneutralise(str(value)))


def _parse_done(cell: Cell) -> bool | None:
    value = cell[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    # Besides the list values, the words people type for done / not done (data, in either language).
    if text in (str(YES), "是", "完成", "已完成", "Y", "y", "1"):
        return True
    if text in (str(NO), "否", "未完成", "N", "n", "0"):
        return False
    raise _Bad(
        gettext("Write %(yes)s or %(no)s (%(text)s was entered).")
        % {"yes": f"「{YES}」", "no": f"「{NO}」", "text": f"「{text}」"}
    )


def _parse_status(cell: Cell) -> str:
    value = cell[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    text = str(value).strip()
    if (code := _status_by_text().get(text)) is not None:
        return code
    raise _Bad(
        gettext("Unknown status %(text)s; choose one of: %(choices)s.")
        % {"text": f"「{text}」", "choices": "、".join(map(str, WORK_STATUS_LABELS.values()))}
    )


def _parse_unit(cell: Cell) -> str:
    value = cell[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return BudgetUnit.HUNDRED_MILLION.value
    text = str(value).strip()
    if text in _UNIT_VALUES:
        return text
    raise _Bad(
        gettext("The unit must be %(units)s (%(text)s was entered).")
        % {"units": "／".join(f"「{unit}」" for unit in BudgetUnit.values), "text": f"「{text}」"}
    )


def _parse_date(cell: Cell) -> date | None:
    value = _read_date(cell[0])
    if value is not None:
        try:
            check_range(value)  # before any arithmetic (core/dates.py)
        except ValueError as exc:
            raise _Bad(str(exc)) from None
    return value


def _read_date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return parse_roc_month(text)
        except RocDateError:
            pass
    raise _Bad(gettext("not a date: %(value)s (write 111/6/30 or 2022-06-30).") % {"value": value})


def _status_by_text() -> dict[str, str]:
    """A status cell's text (label in the active language, former word or code) → the status code."""
    language = translation.get_language()
    if language not in _STATUS_BY_LANGUAGE:
        _STATUS_BY_LANGUAGE[language] = {
            **{code.value: code.value for code in WORK_STATUS_LABELS},
            **FORMER_STATUS_WORDS,
            **{str(label): code.value for code, label in reversed(list(WORK_STATUS_LABELS.items()))},
        }
    return _STATUS_BY_LANGUAGE[language]


_STATUS_BY_LANGUAGE: dict[str | None, dict[str, str]] = {}  # built once per language, not per cell
_UNIT_VALUES = frozenset(BudgetUnit.values)
_PARSERS = {"done": _parse_done, "status": _parse_status, "unit": _parse_unit, "completed_on": _parse_date}


def _parse(name: str, cell: Cell) -> Any:
    if name in TEXT_FIELDS:
        return parse_text(cell)
    if name in QUANTUM:
        return _parse_decimal(cell, name)
    return _PARSERS[name](cell)


# --- importing: validating and applying --------------------------------------------------------------


@dataclass
class _FileUnit:
    """What the file says about one submission."""

    submission_id: int
    industry: str
    version: int
    content: str
    info_cell: str = ""
    rows: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    cells: dict[tuple[str, Any, str], tuple[str, str]] = field(
        default_factory=dict
    )  # (kind, key, field) → sheet, cell


def import_workbook(file, user) -> ImportResult:
    """Validate an uploaded workbook completely; if nothing is wrong, apply it in one transaction.

    ``file`` is bytes, a path-less file object or an UploadedFile. Never raises for bad input: every
    problem is in ``ImportResult.problems`` and then nothing has been written.
    """
    # The workbook is written and read in the site language, whatever the user's (headings are matched).
    with translation.override(settings.LANGUAGE_CODE):
        return _import_workbook(file, user)


def _import_workbook(file, user) -> ImportResult:
    result = ImportResult()
    problems = _Problems()
    try:
        sheets = _read_workbook(file if isinstance(file, bytes) else _read_upload(file))
    except _Refused as refused:
        result.problems = [refused.problem]
        return result

    meta = _read_meta(sheets, problems)
    if meta is None:
        result.problems, result.truncated = problems.items, problems.dropped
        return result
    ref, file_units = meta

    _locate_info_cells(sheets, file_units)
    # One transaction from reading the lines to writing them: the submissions are locked first, so the
    # lines validated here are the lines written (and loaded once, without model instances).
    with transaction.atomic():
        submissions = lock_submissions([u.submission_id for u in file_units])
        owner = _resolve_meta(ref, submissions, file_units, problems)
        if owner is None:
            result.problems, result.truncated = problems.items, problems.dropped
            return result
        period, agency = owner
        result.period, result.agency = period, agency
        for fu in file_units:
            s = submissions.get(fu.submission_id)
            if (
                s is None
                or s.period_id != period.pk
                or s.agency_id != agency.pk
                or s.industry.code != fu.industry
            ):
                problems.add(
                    SHEET_INFO,
                    fu.info_cell,
                    gettext(
                        "The reports in the file do not match the system (deleted, or the file was "
                        "changed): download again."
                    ),
                )
        if problems:
            result.problems, result.truncated = problems.items, problems.dropped
            return result

        lines = load_lines(list(submissions))
        units = {pk: _Unit(s, _by_file_key(lines[pk])) for pk, s in submissions.items()}
        by_industry = {fu.industry: fu for fu in file_units}
        for spec in SHEETS:
            _read_sheet(spec, sheets.get(spec.name, []), by_industry, units, period, agency, problems)

        at = _as_of(period)
        for fu in file_units:
            _check_work_items(fu, units[fu.submission_id], at, problems)

        allowed = edit_permissions(user, submissions.values())
        writes = _check_permissions_and_versions(
            file_units, units, period, agency, user, problems, result, allowed
        )
        answers = follow_up_sheet().read_sheet(sheets, file_units, submissions, user, problems)
        if problems:
            result.problems, result.truncated = problems.items, problems.dropped
            result.unchanged = []
            return result
        _apply(writes, user, problems, result, submissions, lines, allowed)
        if not problems and answers:
            _apply_answers(answers, user, problems, result, submissions)
        if problems:
            # The lines of this import are written by now: nothing of it stays.
            transaction.set_rollback(True)
            result.changed = []
    result.problems, result.truncated = problems.items, problems.dropped
    return result


def follow_up_sheet():
    """The 追蹤事項 sheet (``followups/excel.py``: that app builds on this module, hence the late import)."""
    from sixcore.followups import excel as follow_ups

    return follow_ups


def _apply_answers(answers, user, problems: _Problems, result: ImportResult, submissions) -> None:
    """The follow-up answers of the file, after its lines; the outcomes count them as changed fields."""
    before = {pk: s.version for pk, s in submissions.items()}
    follow_up_sheet().apply(user, submissions, answers, problems)
    if problems:
        return
    outcomes = {o.submission_id: o for o in result.changed}
    for pk, texts in answers.items():
        s = submissions[pk]
        s.refresh_from_db(fields=["version"])
        outcome = outcomes.get(pk)
        if outcome is None:
            outcome = SubmissionOutcome(pk, s.industry.code, s.industry.name, 0, before[pk], s.version)
            result.changed.append(outcome)
            result.unchanged = [o for o in result.unchanged if o.submission_id != pk]
        outcome.fields_changed += len(texts)
        outcome.version_after = s.version


def _by_file_key(lines: dict[str, dict[str, Line]]) -> dict[str, dict[Any, Line]]:
    """A submission's lines keyed as the file's rows are: KPIs by (measure code, KPI code)."""
    keyed: dict[str, dict[Any, Line]] = dict(lines)
    keyed["kpis"] = {(line.measure_code, line.target_code): line for line in lines["kpis"].values()}
    return keyed


def _read_upload(file) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _Refused(too_large())
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(MAX_UPLOAD_BYTES + 1)


def _read_meta(sheets, problems: _Problems):
    """(the period and agency the file names, [file unit]) from the hidden sheet and the sheet structure,
    or None (problems added). The period and agency are resolved with the submissions (``_resolve_meta``)."""
    meta = sheets.get(SHEET_META)
    if meta is None or cell_at(meta, 1, 1)[0] != FORMAT_MAGIC:
        problems.add(
            "",
            "",
            gettext(
                "Not a workbook made by this system (its file information is missing): download the "
                "workbook from the system, fill it in and upload it."
            ),
        )
        return None
    if code_of(cell_at(meta, 1, 2)[0]) != FORMAT_VERSION:
        problems.add("", "", gettext("The workbook's format version differs (an old file?): download again."))
        return None
    for spec in SHEETS:
        rows = sheets.get(spec.name)
        if rows is None:
            problems.add(
                spec.name,
                "",
                gettext("Sheet %(name)s is missing: do not delete or rename sheets.")
                % {"name": f"「{spec.name}」"},
            )
            continue
        for index, header in enumerate(spec.headers, start=1):
            value = cell_at(rows, HEADER_ROW, index)[0]
            if code_of(value) != header:
                problems.add(
                    spec.name,
                    f"{get_column_letter(index)}{HEADER_ROW}",
                    gettext(
                        "The header row was changed: %(header)s expected; do not add, delete or move columns."
                    )
                    % {"header": f"「{header}」"},
                )
    period_code, agency_code = code_of(cell_at(meta, 2, 2)[0]), code_of(cell_at(meta, 3, 2)[0])
    units = []
    broken = False
    for row in range(5, len(meta) + 1):
        sid, industry, version, content = (cell_at(meta, row, c)[0] for c in range(1, 5))
        if sid is None:
            continue
        try:
            units.append(_FileUnit(int(sid), code_of(industry), int(version), code_of(content)))
        except (TypeError, ValueError):
            broken = True
            break
    if not problems and not broken and units:
        try:
            key = parse_quarter(period_code)
        except ValueError:  # RocDateError: reported by the lookup below, as before
            key = None
        if key is not None:
            # Period and agency are looked up with the submissions they must match (one query after
            # the lock, instead of two here); ``_meta_owner`` falls back to these lookups otherwise.
            return _MetaRef(period_code, key, agency_code), units
    if _meta_owner(period_code, agency_code, problems) is None:
        return None
    if broken:
        problems.add("", "", gettext("The file information is damaged: download again."))
        return None
    if not units:
        problems.add(SHEET_INFO, "", gettext("This workbook holds no report."))
    return None


@dataclass
class _MetaRef:
    """The period and agency a file names (by code), to be matched against its locked submissions."""

    period_code: str
    quarter: tuple[int, int]
    agency_code: str


def _meta_owner(period_code: str, agency_code: str, problems: _Problems):
    """(period, agency) named by the hidden sheet, from the database; None (problem added) if unknown."""
    try:
        return ReportingPeriod.by_code(period_code), Agency.objects.get(code=agency_code)
    except Exception:  # DoesNotExist or a malformed period code: either way the file is not usable
        problems.add(
            "",
            "",
            gettext("The reporting period or agency in the file information is unknown: download again."),
        )
        return None


def _resolve_meta(ref: _MetaRef, submissions: dict[int, Submission], file_units, problems: _Problems):
    """(period, agency) of the file: those of its locked submissions when they all match the codes the
    file names (no query), else looked up by code (None and a problem if unknown)."""
    found = [submissions.get(fu.submission_id) for fu in file_units]
    if all(
        s is not None
        and (s.period.roc_year, s.period.quarter) == ref.quarter
        and s.agency.code == ref.agency_code
        for s in found
    ):
        return found[0].period, found[0].agency
    return _meta_owner(ref.period_code, ref.agency_code, problems)


def _locate_info_cells(sheets, file_units: list[_FileUnit]) -> None:
    """The 說明 row listing each submission, to point submission-level problems at it."""
    info = sheets.get(str(SHEET_INFO), [])
    rows = {code_of(cell_at(info, r, 1)[0]): r for r in range(17, len(info) + 1)}
    for fu in file_units:
        fu.info_cell = f"A{rows[fu.industry]}" if fu.industry in rows else "A16"


def _row_key(spec: SheetSpec, values: list[str]) -> Any:
    if spec.kind == "kpis":
        return (values[1], values[2])
    return values[1]


def _read_sheet(spec, rows, by_industry, units, period, agency, problems: _Problems) -> None:
    seen: dict[tuple[str, Any], int] = {}
    for row_number in range(FIRST_DATA_ROW, len(rows) + 1):
        cells = rows[row_number - 1]
        for index, cell in enumerate(cells, start=1):
            if cell[1] == "f":
                problems.add(
                    spec.name,
                    f"{get_column_letter(index)}{row_number}",
                    gettext("Formulas are not accepted: type the value or text itself."),
                )
            elif cell[1] == "e":
                problems.add(
                    spec.name,
                    f"{get_column_letter(index)}{row_number}",
                    gettext("The cell holds an error value %(value)s.") % {"value": cell[0]},
                )
        if all(c[0] is None or (isinstance(c[0], str) and not c[0].strip()) for c in cells):
            continue
        keys = [code_of(cell_at(rows, row_number, c)[0]) for c in range(1, spec.key_columns + 1)]
        industry = keys[0]
        key = _row_key(spec, keys)
        where = f"B{row_number}" if spec.kind != "kpis" else f"C{row_number}"
        fu = by_industry.get(industry)
        if fu is None:
            problems.add(
                spec.name,
                f"A{row_number}",
                gettext("Industry %(code)s is not among the reports of this workbook.")
                % {"code": f"「{industry}」"},
            )
            continue
        unit = units[fu.submission_id]
        if key not in unit.lines[spec.kind]:
            problems.add(
                spec.name, where, _unknown_line_message(spec.kind, key, unit.submission, period, agency)
            )
            continue
        if (industry, key) in seen:
            problems.add(spec.name, where, gettext("Same as row %(row)s.") % {"row": seen[(industry, key)]})
            continue
        seen[(industry, key)] = row_number
        values = {}
        for index, column in enumerate(spec.columns, start=1):
            if not column.field:
                continue
            coordinate = f"{get_column_letter(index)}{row_number}"
            fu.cells[(spec.kind, key, column.field)] = (spec.name, coordinate)
            cell = cell_at(rows, row_number, index)
            if cell[1] in ("f", "e"):
                continue
            try:
                values[column.field] = _parse(column.field, cell)
            except _Bad as bad:
                problems.add(spec.name, coordinate, str(bad))
        fu.rows[spec.kind][key] = values


def _unknown_line_message(kind: str, key: Any, submission: Submission, period, agency) -> str:
    """Why a row's code is not part of the submission: unknown, or another agency's."""
    from sixcore.plan import models as plan

    industry = submission.industry
    others = Submission.objects.filter(period=period, industry=industry).exclude(agency=agency)
    if kind == "kpis":
        measure_code, code = key
        label = gettext("KPI %(code)s") % {"code": code}
        kpis = plan.KPI.objects.filter(measure__industry=industry, code=code)
        exact = kpis.filter(measure__code=measure_code)
        if not kpis.exists():
            return gettext("Unknown KPI code %(code)s (industry %(industry)s).") % {
                "code": f"「{code}」",
                "industry": industry.code,
            }
        if not exact.exists():
            return gettext("KPI %(code)s is not under measure %(measure)s.") % {
                "code": code,
                "measure": measure_code,
            }
        owners = others.filter(kpi_reports__kpi__in=exact)
    elif kind == "work_items":
        schedule, _, code = str(key).partition("/")
        label = gettext("Work item %(code)s") % {"code": key}
        items = plan.WorkItem.objects.filter(schedule__industry=industry, schedule__code=schedule, code=code)
        if not items.exists():
            return gettext(
                "Unknown work item code %(code)s (industry %(industry)s; written like 1-1/1.1.1)."
            ) % {
                "code": f"「{key}」",
                "industry": industry.code,
            }
        owners = others.filter(work_item_reports__work_item__in=items)
    else:
        label = gettext("Measure %(code)s") % {"code": key}
        measures = plan.Measure.objects.filter(industry=industry, code=key)
        if not measures.exists():
            return gettext("Unknown measure code %(code)s (industry %(industry)s).") % {
                "code": f"「{key}」",
                "industry": industry.code,
            }
        owners = others.filter(measure_reports__measure__in=measures)
    names = sorted({s.agency.name for s in owners.select_related("agency")})
    if names:
        return gettext("%(line)s belongs to another agency (%(owners)s): %(agency)s cannot report it.") % {
            "line": label,
            "owners": "、".join(names),
            "agency": agency.name,
        }
    return gettext("%(line)s is not among the reports of %(agency)s this period.") % {
        "line": label,
        "agency": agency.name,
    }


def _check_work_items(fu: _FileUnit, unit: _Unit, at: date, problems: _Problems) -> None:
    """落後原因 and 因應對策 for every item that would lag; a completion date for every item done."""
    for key, values in fu.rows["work_items"].items():
        report = unit.lines["work_items"][key]
        current = _line_state(report, "work_items")
        would = {**current, **values}
        span = SimpleNamespace(start=report.start, end=report.end)
        probe = SimpleNamespace(status=would["status"], percent=would["percent"], work_item=span)
        if is_lagging(probe, at):
            planned = planned_percent(report.start, report.end, at)
            actual = "—" if would["percent"] is None else would["percent"]
            for name in ("lag_reason", "remedy"):
                if not would[name]:
                    sheet, cell = fu.cells[("work_items", key, name)]
                    label = _header("work_items", name)
                    problems.add(
                        sheet,
                        cell,
                        gettext(
                            "Work item %(code)s lags (planned %(planned)s%%, done %(actual)s%%): give %(field)s."
                        )
                        % {"code": key, "planned": planned, "actual": actual, "field": label},
                    )
        if would["status"] == WorkItemStatus.DONE and would["completed_on"] is None:
            sheet, cell = fu.cells[("work_items", key, "completed_on")]
            problems.add(
                sheet,
                cell,
                gettext("Work item %(code)s is completed: give its completion date.") % {"code": key},
            )


@dataclass
class _Write:
    fu: _FileUnit
    submission: Submission
    expected_version: int
    changes: dict[str, dict[str, dict[str, Any]]]
    count: int


def _changes(fu: _FileUnit, unit: _Unit) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """The fields whose file value differs from the database, as save_lines wants them."""
    changes: dict[str, dict[str, dict[str, Any]]] = {}
    count = 0
    for kind, rows in fu.rows.items():
        for key, values in rows.items():
            current = _line_state(unit.lines[kind][key], kind)
            diff = {name: value for name, value in values.items() if current[name] != value}
            if diff:
                # KPIs as MEASURE/CODE: a plain code is ambiguous where it repeats (6.2.2 under 6.1 and 6.2).
                code = f"{key[0]}/{key[1]}" if kind == "kpis" else key
                changes.setdefault(kind, {})[code] = diff
                count += len(diff)
    return changes, count


def _check_permissions_and_versions(
    file_units, units, period, agency, user, problems: _Problems, result, allowed
) -> list[_Write]:
    """Who may write, whether the period is open, and the stale-version rule; the writes to make.

    ``allowed`` is ``services.edit_permissions`` for the file's submissions (all of this period and
    agency): if the policy lets the user edit its drafts, role, agency and period are fine; otherwise
    (or when the file has no draft) each is checked to say which one fails.
    """
    drafts = [
        ok for (_p, _a, status, free), ok in allowed.items() if status == SubmissionStatus.DRAFT and free
    ]
    if not (drafts and all(drafts)):
        if not period_writable(period, agency):
            problems.add(
                SHEET_INFO,
                "B2",
                gettext(
                    "%(period)s is closed (locked): no more uploads; ask NDC to reopen it for corrections."
                )
                % {"period": period.label},
            )
        if not (getattr(user, "is_authenticated", False) and user.role in EDITOR_ROLES):
            problems.add(
                SHEET_INFO, "B3", gettext("Your account may not report (only agency editors may upload).")
            )
        elif agency.pk not in agency_scope(user):
            problems.add(
                SHEET_INFO,
                "B3",
                gettext("You may not upload the reports of %(agency)s.") % {"agency": agency.name},
            )
    writes = []
    for fu in file_units:
        unit = units[fu.submission_id]
        s = unit.submission
        changes, count = _changes(fu, unit)
        outcome = SubmissionOutcome(s.pk, s.industry.code, s.industry.name, count, s.version, s.version)
        if not changes:
            result.unchanged.append(outcome)
            continue
        if s.status != SubmissionStatus.DRAFT:
            problems.add(
                SHEET_INFO,
                fu.info_cell,
                gettext("The report of industry %(industry)s is %(status)s: only a draft can be changed.")
                % {
                    "industry": s.industry.code,
                    "status": f"「{SUBMISSION_STATUS_LABELS.get(s.status, s.status)}」",
                },
            )
            continue
        if s.internal_review_at is not None:
            problems.add(
                SHEET_INFO,
                fu.info_cell,
                gettext(
                    "The report of industry %(industry)s is with the supervisor (陳核中): it cannot be changed."
                )
                % {"industry": s.industry.code},
            )
            continue
        if not _version_ok(fu, unit):
            problems.add(
                SHEET_INFO,
                fu.info_cell,
                gettext(
                    "The report of industry %(industry)s was changed after your download (version "
                    "%(downloaded)s then, %(current)s now). So as not to overwrite another person's "
                    "changes nothing was written: download again and fill it in."
                )
                % {"industry": s.industry.code, "downloaded": fu.version, "current": s.version},
            )
            continue
        writes.append(_Write(fu, s, s.version, changes, count))
    return writes


def _version_ok(fu: _FileUnit, unit: _Unit) -> bool:
    """The stale-version rule for a submission the file would change.

    Same version as downloaded: fine. Otherwise the content must be what it was at download time (the
    hash in the hidden sheet): a version can move without the content changing (a save without changes,
    a return for revision), and then nobody's work can be lost. A file whose values all equal the
    current ones never gets here (no changes → nothing written), which is what makes re-uploading the
    same file after a successful upload a no-op instead of a conflict.
    """
    return fu.version == unit.submission.version or fu.content == _state_hash(unit.lines)


def _apply(
    writes: list[_Write], user, problems: _Problems, result: ImportResult, locked, lines, allowed
) -> None:
    """All changed submissions at once; any failure rolls all of them back (save_many's savepoint in
    the import's transaction, in which ``locked``, ``lines`` and ``allowed`` were read)."""
    try:
        versions = save_many(
            user,
            [LineWrite(w.submission, w.expected_version, w.changes) for w in writes],
            locked=locked,
            lines=lines,
            allowed=allowed,
        )
    except ConflictError as exc:
        problems.add(
            SHEET_INFO,
            _info_cell(writes, exc.submission.pk),
            gettext(
                "While writing, someone else had just changed the same report: nothing was written. "
                "Download again and fill it in."
            ),
        )
    except PermissionDenied:
        problems.add(
            SHEET_INFO,
            "B2",
            gettext(
                "The permission check failed while writing (the period is locked or the report was "
                "submitted): nothing was written."
            ),
        )
    except LineErrors as exc:
        for error in exc.errors:
            problems.add("", "", f"{error['line']} {error['field']}：{error['message']}")
    else:
        result.changed = [
            SubmissionOutcome(
                w.submission.pk,
                w.submission.industry.code,
                w.submission.industry.name,
                w.count,
                w.expected_version,
                versions.get(w.submission.pk, w.expected_version),
            )
            for w in writes
        ]


def _info_cell(writes: list[_Write], submission_id: int) -> str:
    return next((w.fu.info_cell for w in writes if w.submission.pk == submission_id), "")


def summary_text(result: ImportResult) -> str:
    """One line for logs and messages."""
    if not result.ok:
        return gettext("%(n)s problems; nothing was written") % {"n": len(result.problems) + result.truncated}
    fields = sum(o.fields_changed for o in result.changed)
    return gettext("%(changed)s reports updated (%(fields)s fields), %(unchanged)s unchanged") % {
        "changed": len(result.changed),
        "fields": fields,
        "unchanged": len(result.unchanged),
    }
