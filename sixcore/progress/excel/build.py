"""Building the pre-filled workbook (xlsx, or ods through ``core.opendocument``): the 說明 sheet, one
sheet per kind of line, the follow-up sheet and the hidden ``_meta`` sheet the import checks.

Written in the site language with locked reference columns and list validations, so that what comes
back can be matched by its headers and codes.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from sixcore.accounts.models import Agency
from sixcore.core.opendocument import workbook_to_ods
from sixcore.core.roc import format_roc_month

from ..choices import BudgetUnit
from ..models import ReportingPeriod, Submission
from ..policy import submission_policy
from ..workflow import planned_percent
from .layout import (
    DEMO_MARK,
    DEMO_TEXT,
    FIRST_DATA_ROW,
    FORMAT_MAGIC,
    FORMAT_VERSION,
    HEADER_FILL,
    HEADER_ROW,
    INPUT_FILL,
    MAX_AMOUNT,
    NO,
    SHEET_INFO,
    SHEET_META,
    SHEETS,
    SUBMISSION_STATUS_LABELS,
    TARGET_KIND_LABELS,
    TEXT_FIELDS,
    UNLOCKED,
    WORK_STATUS_LABELS,
    WRAP,
    YES,
    Column,
    SheetSpec,
    _header,
)
from .part_sheets import part_sheets
from .values import _as_of, _load_units, _safe_text, _state_hash


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
                    r.kpi.full_term_display,  # typeset (α-site, ≥ 24%), as the pages show it
                    annual.cell.display if annual else "",
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
                    wi.title_display,
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
    for sheet in part_sheets():
        sheet.write_sheet(wb, submissions, title, demo)
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
