"""Bulk import of observations from CSV or XLSX: validate every row first, then write all or nothing.

Format (docs/SUPPLIES.md): a header row, then one observation per row, many reporters and dates in
one file. Columns (English or Chinese header): ``item`` (品項), ``reporter`` (申報者), ``date`` (日期,
ISO ``2023-06-30`` or ROC ``112/06/30``), ``unit`` (單位, must be the item's unit), ``stock`` (存量,
required), ``production`` (生產量), ``imports`` (進口量), ``consumption`` (銷售量/消費量), ``price`` (價格).

Every bad row is reported as ``file:row: reason``; with any error nothing is written. The natural
key (item, reporter, date) makes a re-import idempotent: a row already recorded with the same figures
is skipped, one recorded with other figures is an error (correct it on the web or through the API,
where the change is audited).

How (docs/SUPPLIES.md, "Import internals"): the file is streamed; each row's cells are checked in
Python (with caches, so a million rows cost a few seconds) and the good rows go into a temporary
staging table (``COPY`` on PostgreSQL, chunked ``executemany`` on SQLite). Comparing with what is
already recorded and writing the new rows are then single SQL statements inside one transaction,
and the import is audited as one ``supplies.import`` action.

A package along the import's steps: ``cells`` (columns and the parsing of one cell, pure), ``reading``
(CSV, XLSX and ODS sheets as rows, pure), ``result`` (what an import reports), ``staging`` (the temporary
table), ``checking`` (every row checked and the good ones staged) and ``writing`` (the SQL steps and
``import_file``). The names the views, the API, the command, tests and bench/ use are re-exported here.
"""

from __future__ import annotations

from .cells import (
    COLUMNS,
    MAX_SIGNIFICANT_DIGITS,
    QUANTITIES,
    column_label,
    parse_date,
    parse_quantity,
    stored_exactly,
    too_many_digits,
)
from .reading import item_codes, read_rows, read_sheets
from .result import ImportFailed, ImportResult, RowError
from .staging import STAGING_TABLE
from .writing import import_file

__all__ = [
    "column_label",
    "COLUMNS",
    "import_file",
    "ImportFailed",
    "ImportResult",
    "item_codes",
    "MAX_SIGNIFICANT_DIGITS",
    "parse_date",
    "parse_quantity",
    "QUANTITIES",
    "read_rows",
    "read_sheets",
    "RowError",
    "STAGING_TABLE",
    "stored_exactly",
    "too_many_digits",
]
