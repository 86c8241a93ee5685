"""One normal form for the database and the file, and the submissions of a workbook with their lines.

The download's content hash and the upload's change detection both compare values in this form, so a
re-upload of an unchanged file compares equal; text leaving for a spreadsheet is made inert here too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..choices import BudgetUnit
from ..clock import today
from ..models import BudgetReport, KPIReport, MeasureReport, ReportingPeriod, Submission, WorkItemReport
from ..services import Line
from .layout import FORMULA_PREFIXES, KIND_FIELDS, NEUTRALISER, QUANTUM, TEXT_FIELDS


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
