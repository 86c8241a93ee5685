"""Validating an upload against the database: the hidden sheet (format, period, agency, submissions),
every data row matched by its codes, and the work-item rules (lag reason, completion date).

Problems are collected, never raised, so that one upload lists all of them at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from sixcore.accounts.models import Agency
from sixcore.core.roc import parse_quarter

from ..choices import WorkItemStatus
from ..models import ReportingPeriod, Submission
from ..services import Line
from ..workflow import is_lagging, planned_percent
from .layout import (
    FIRST_DATA_ROW,
    FORMAT_MAGIC,
    FORMAT_VERSION,
    HEADER_ROW,
    MAX_UPLOAD_BYTES,
    SHEET_INFO,
    SHEET_META,
    SHEETS,
    SheetSpec,
    _header,
)
from .reading import _Bad, _parse, _Refused, cell_at, code_of, too_large
from .results import _Problems
from .values import _line_state, _Unit


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
