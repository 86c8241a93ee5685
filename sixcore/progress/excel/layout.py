"""The workbook's fixed shape: format version, upload limits, sheet and column specs, the words of its
lists and its cell styles.

Building and reading both follow this one description, so a header or list value can only change in one
place (a workbook already in an agency's hands is matched against it on upload).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import pgettext_lazy
from openpyxl.styles import Alignment, PatternFill, Protection

from sixcore.plan.choices import TargetKind

from ..choices import SubmissionStatus, WorkItemStatus

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


def _header(kind: str, field_name: str) -> str:
    spec = SPEC_BY_KIND[kind]
    return spec.columns[spec.column_of(field_name)].header
