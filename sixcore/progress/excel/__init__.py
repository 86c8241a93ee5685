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
and each submission's id, version and a hash of its content at download time (see ``applying._version_ok``).

The package follows the workbook's life: ``layout`` (its sheets, columns and words), ``values`` (one
normal form for file and database), ``build`` (writing it), ``reading`` (the upload's cells),
``validating`` (rows against the database), ``applying`` (the one transaction) and ``part_sheets``
(the sheets other apps add, as the 追蹤事項 sheet of ``sixcore/followups/excel.py``). The names callers use are re-exported here, so
``from sixcore.progress import excel`` keeps its one flat namespace (with the few private names and
openpyxl's ``get_column_letter`` that tests and bench/ reach through it).
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter as get_column_letter

from .applying import import_workbook, summary_text
from .build import agency_submissions, build_workbook, write_data_sheet
from .layout import (
    AMOUNT_FORMAT,
    DEMO_MARK,
    DEMO_TEXT,
    FIRST_DATA_ROW,
    FORMAT_MAGIC,
    FORMAT_VERSION,
    FORMER_STATUS_WORDS,
    FORMULA_PREFIXES,
    HEADER_FILL,
    HEADER_ROW,
    INPUT_FILL,
    KIND_FIELDS,
    MAX_AMOUNT,
    MAX_PROBLEMS,
    MAX_ROWS_PER_SHEET,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_ZIP_ENTRIES,
    NEUTRALISER,
    NO,
    QUANTUM,
    SHEET_BUDGET,
    SHEET_INFO,
    SHEET_KPIS,
    SHEET_MEASURES,
    SHEET_META,
    SHEET_WORK,
    SHEETS,
    SPEC_BY_KIND,
    SUBMISSION_STATUS_LABELS,
    TARGET_KIND_LABELS,
    TEXT_FIELDS,
    UNLOCKED,
    WORK_STATUS_LABELS,
    WRAP,
    YES,
    Column,
    SheetSpec,
)
from .part_sheets import part_sheets
from .reading import Cell, cell_at, code_of, is_ods, parse_text, too_large
from .reading import _read_workbook as _read_workbook
from .results import ImportResult, Problem, SubmissionOutcome
from .values import _load_units as _load_units
from .values import _state_hash as _state_hash

__all__ = [
    "agency_submissions",
    "AMOUNT_FORMAT",
    "build_workbook",
    "Cell",
    "cell_at",
    "code_of",
    "Column",
    "DEMO_MARK",
    "DEMO_TEXT",
    "FIRST_DATA_ROW",
    "FORMAT_MAGIC",
    "FORMAT_VERSION",
    "FORMER_STATUS_WORDS",
    "FORMULA_PREFIXES",
    "HEADER_FILL",
    "HEADER_ROW",
    "import_workbook",
    "ImportResult",
    "INPUT_FILL",
    "is_ods",
    "KIND_FIELDS",
    "MAX_AMOUNT",
    "MAX_PROBLEMS",
    "MAX_ROWS_PER_SHEET",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MAX_ZIP_ENTRIES",
    "NEUTRALISER",
    "NO",
    "parse_text",
    "part_sheets",
    "Problem",
    "QUANTUM",
    "SHEET_BUDGET",
    "SHEET_INFO",
    "SHEET_KPIS",
    "SHEET_MEASURES",
    "SHEET_META",
    "SHEET_WORK",
    "SHEETS",
    "SheetSpec",
    "SPEC_BY_KIND",
    "SUBMISSION_STATUS_LABELS",
    "SubmissionOutcome",
    "summary_text",
    "TARGET_KIND_LABELS",
    "TEXT_FIELDS",
    "too_large",
    "UNLOCKED",
    "WORK_STATUS_LABELS",
    "WRAP",
    "write_data_sheet",
    "YES",
]
