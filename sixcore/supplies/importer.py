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
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext, gettext_noop

from sixcore.core.changelog import record_action
from sixcore.core.dates import check_range

from .choices import ObservationSource
from .models import Assignment, ImportBatch, Observation, Reporter, SupplyItem

COLUMNS = ("item", "reporter", "date", "unit", "production", "imports", "consumption", "stock", "price")
QUANTITIES = ("production", "imports", "consumption", "stock", "price")
HEADER_ALIASES = {
    "品項": "item",
    "物資": "item",
    "申報者": "reporter",
    "申報單位": "reporter",
    "日期": "date",
    "單位": "unit",
    "生產量": "production",
    "生產": "production",
    "進口量": "imports",
    "進口": "imports",
    "銷售量": "consumption",
    "消費量": "consumption",
    "銷售/消費": "consumption",
    "sales": "consumption",
    "存量": "stock",
    "庫存": "stock",
    "價格": "price",
}
REQUIRED = ("item", "reporter", "date", "unit", "stock")
MAX_INTEGER_DIGITS = 16  # DecimalField(max_digits=20, decimal_places=4)
# SQLite keeps a decimal with a fraction as a double: only 15 significant digits survive the round
# trip (a rounded 9999999999999999.9999 then fails Django's read-back). The same limit everywhere, so a
# file accepted on PostgreSQL is accepted on SQLite too.
MAX_SIGNIFICANT_DIGITS = 15
# Column names in messages: the msgids of the Observation fields' verbose names.
COLUMN_LABELS = {
    "production": gettext_noop("production"),
    "imports": gettext_noop("imports"),
    "consumption": gettext_noop("sales / consumption"),
    "stock": gettext_noop("stock"),
    "price": gettext_noop("price"),
}
ROC_DATE = re.compile(r"^(\d{2,3})[/.-](\d{1,2})[/.-](\d{1,2})$")


@dataclass(frozen=True)
class RowError:
    """A rejected row: where and why."""

    file: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason}"


@dataclass
class ImportResult:
    """What an import did (or, with errors, would not do)."""

    file: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    batch: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFailed(Exception):
    """Raised by :func:`import_file` with ``raise_on_error``; nothing was written."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        super().__init__(
            gettext("%(count)s bad row(s) in %(file)s; nothing was imported")
            % {"count": len(result.errors), "file": result.file}
        )


class _Unreadable(Exception):  # noqa: N818 - control flow, never escapes this module
    """The file itself cannot be read (not UTF-8, damaged workbook) from ``row`` on."""

    def __init__(self, label: str, row: int, reason: str) -> None:
        super().__init__(reason)
        self.label, self.row, self.reason = label, row, reason


def column_label(column: str) -> str:
    """A quantity column's name in the current language."""
    return gettext(COLUMN_LABELS[column]) if column in COLUMN_LABELS else column


def _decode_error_line(content: bytes | Path) -> tuple[int, int] | None:
    """(line number, byte) of the first byte that is not UTF-8: the decoder reads ahead in blocks,
    so where it failed says little; this finds the line (only called once decoding has failed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    for block in [content] if isinstance(content, bytes) else _blocks(content):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            # exc.object is this block after up to 3 bytes of a character held back from the last one.
            start = max(0, exc.start - (len(exc.object) - len(block)))
            return line + block.count(b"\n", 0, start), exc.object[exc.start]
        line += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)  # a character cut off at the end of the file
    except UnicodeDecodeError as exc:
        return line, exc.object[exc.start]
    return None


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            yield block


def _reading_error(exc: Exception, xlsx: bool) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return gettext("the file is not UTF-8 text; save it as CSV UTF-8")
    if xlsx:
        return gettext("the workbook is damaged or not an XLSX or ODS file (%(error)s)") % {
            "error": f"{type(exc).__name__}: {exc}"[:200]
        }
    return gettext("the file cannot be read as CSV (%(error)s)") % {"error": str(exc)[:200]}


def _guarded(name: str, content: bytes | Path) -> Iterator[Sheet]:
    """:func:`read_sheets`, with any failure of the reader itself (decoding, a damaged workbook)
    raised as :class:`_Unreadable` naming the sheet and row; errors of the caller pass through."""
    xlsx = name.lower().endswith((".xlsx", ".xlsm", ".ods"))
    # A damaged workbook fails in openpyxl, zipfile, zlib or the XML parser with many exception types;
    # a CSV only in decoding or in the csv module.
    expected: tuple[type[Exception], ...] = (Exception,) if xlsx else (UnicodeDecodeError, csv.Error)

    def unreadable(exc: Exception, label: str, row: int) -> _Unreadable:
        reason = _reading_error(exc, xlsx)
        if isinstance(exc, UnicodeDecodeError) and (found := _decode_error_line(content)):
            row = found[0]
            reason = gettext(
                "the file is not UTF-8 text (byte 0x%(byte)02X on line %(line)s); save it as CSV UTF-8"
            ) % {"byte": found[1], "line": found[0]}
        return _Unreadable(label, row, reason)

    sheets = read_sheets(name, content)
    while True:
        try:
            label, header, rows = next(sheets)
        except StopIteration:
            return
        except expected as exc:
            raise unreadable(exc, name, 1) from exc

        def checked(label: str = label, rows: Iterator[tuple[int, list[Any]]] = rows) -> Iterator:
            row = 1
            while True:
                try:
                    number, cells = next(rows)
                except StopIteration:
                    return
                except expected as exc:
                    raise unreadable(exc, label, row + 1) from exc
                row = number
                yield number, cells

        yield label, header, checked()


# --- reading -------------------------------------------------------------------------------------


def _normalise_header(cells: list[Any] | tuple[Any, ...]) -> list[str]:
    names = []
    for cell in cells:
        text = str(cell or "").strip().lstrip("\ufeff")
        names.append(HEADER_ALIASES.get(text, text.lower()))
    return names


Sheet = tuple[str, list[str], Iterator[tuple[int, list[Any]]]]


def read_sheets(name: str, content: bytes | Path) -> Iterator[Sheet]:
    """``(file label, header, rows)`` per sheet (one for a CSV); rows are ``(row number, cells)`` with
    row 1 the header. CSV cells are strings; XLSX cells are strings or dates (numbers as text).

    ``content`` is the file's bytes or its path; a CSV is decoded and parsed as it is read."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        yield from _xlsx_sheets(name, content if isinstance(content, bytes) else content.read_bytes())
        return
    if name.lower().endswith(".ods"):
        yield from _ods_sheets(name, content if isinstance(content, bytes) else content.read_bytes())
        return
    if isinstance(content, bytes):
        text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    else:
        text = content.open(encoding="utf-8-sig", newline="")
    with text:
        reader = csv.reader(text)
        header = _normalise_header(next(reader, []))
        yield name, header, ((n, cells) for n, cells in enumerate(reader, start=2) if any(cells))


def _xlsx_cell(value: Any, keep_date: bool) -> Any:
    """Spreadsheet values as the CSV reader gives them (text), except dates in the date column."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value if keep_date else value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xlsx_sheets(name: str, content: bytes) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = _normalise_header(list(next(rows, ())))
            label = f"{name}[{sheet.title}]" if len(workbook.worksheets) > 1 else name
            date_index = header.index("date") if "date" in header else -1
            yield (
                label,
                header,
                (
                    (n, [_xlsx_cell(c, i == date_index) for i, c in enumerate(cells)])
                    for n, cells in enumerate(rows, start=2)
                    if any(c is not None and str(c).strip() for c in cells)
                ),
            )
    finally:
        workbook.close()


# An OpenDocument spreadsheet is read whole (odfpy builds its XML tree): its size is bounded by the
# upload's checks (declared uncompressed size), its rows and columns here.
ODS_MAX_ROWS = 100_000
ODS_MAX_COLUMNS = 40


def _ods_sheets(name: str, content: bytes) -> Iterator[Sheet]:
    from sixcore.core import opendocument

    sheets = opendocument.read_sheets(content, None, ODS_MAX_ROWS, ODS_MAX_COLUMNS)
    for title, rows in sheets.items():
        cells = [[cell[0] for cell in row] for row in rows]
        header = _normalise_header(cells[0] if cells else [])
        while header and not header[-1]:
            header.pop()
        label = f"{name}[{title}]" if len(sheets) > 1 else name
        date_index = header.index("date") if "date" in header else -1
        yield (
            label,
            header,
            (
                (n, [_xlsx_cell(c, i == date_index) for i, c in enumerate(row[: len(header)])])
                for n, row in enumerate(cells[1:], start=2)
                if any(c is not None and str(c).strip() for c in row)
            ),
        )


def read_rows(name: str, content: bytes) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``(file label, row number, {column: value})`` for each data row (convenient, not fast)."""
    for label, header, rows in read_sheets(name, content):
        for number, cells in rows:
            yield label, number, dict(zip(header, cells, strict=False))


def item_codes(name: str, content: bytes) -> set[str]:
    """The item codes a file names (to check write permission before importing)."""
    codes: set[str] = set()
    for _, header, rows in read_sheets(name, content):
        if "item" not in header:
            continue
        index = header.index("item")
        codes.update(str(cells[index]).strip() for _, cells in rows if index < len(cells))
    return codes


# --- parsing cells -------------------------------------------------------------------------------


def parse_date(value: Any) -> date:
    """ISO ``2023-06-30``, ROC ``112/06/30`` or a spreadsheet date, within core/dates.py's range."""
    if isinstance(value, datetime):
        return check_range(value.date())
    if isinstance(value, date):
        return check_range(value)
    text = str(value or "").strip()
    if not text:
        raise ValueError(gettext("date is missing"))
    if match := ROC_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
        try:
            parsed = date(year + 1911, month, day)
        except ValueError:
            raise ValueError(gettext("date %(value)s is not a valid ROC date") % {"value": text}) from None
        return check_range(parsed)
    try:
        parsed = date.fromisoformat(text[:10] if "T" in text or " " in text else text)
    except ValueError:
        raise ValueError(
            gettext("date %(value)s is neither YYYY-MM-DD nor ROC YYY/MM/DD") % {"value": text}
        ) from None
    return check_range(parsed)


def parse_quantity(value: Any, column: str) -> Decimal | None:
    """A non-negative quantity with at most 4 decimals and 15 significant digits; blank is ``None``."""
    if value is None:
        return None
    if type(value) is str and value.isdigit() and len(value) <= MAX_SIGNIFICANT_DIGITS:
        return Decimal(value)  # the common case, without the checks below
    label = column_label(column)
    if isinstance(value, bool):
        raise ValueError(gettext("%(column)s %(value)s is not a number") % {"column": label, "value": value})
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            gettext("%(column)s %(value)s is not a number") % {"column": label, "value": value}
        ) from None
    if not number.is_finite():
        raise ValueError(gettext("%(column)s %(value)s is not a number") % {"column": label, "value": value})
    if number < 0:
        raise ValueError(gettext("%(column)s is negative (%(value)s)") % {"column": label, "value": text})
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        rounded = number.quantize(Decimal("0.0001"))
        if rounded != number:
            raise ValueError(
                gettext("%(column)s %(value)s has more than 4 decimal places")
                % {"column": label, "value": text}
            )
        number = rounded
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(gettext("%(column)s %(value)s is too large") % {"column": label, "value": text})
    if not stored_exactly(number):
        raise ValueError(too_many_digits(column, text))
    return number


def stored_exactly(number: Decimal) -> bool:
    """At most :data:`MAX_SIGNIFICANT_DIGITS` significant digits (what every database keeps exactly)."""
    return not number or len(number.normalize().as_tuple().digits) <= MAX_SIGNIFICANT_DIGITS


def too_many_digits(column: str, text: str) -> str:
    """The message for a number :func:`stored_exactly` refuses."""
    return gettext(
        "%(column)s %(value)s has more than %(digits)s significant digits and cannot be stored exactly"
    ) % {"column": column_label(column), "value": text, "digits": MAX_SIGNIFICANT_DIGITS}


# --- import --------------------------------------------------------------------------------------

_CACHE_LIMIT = 200_000
MISSING = object()
STAGING_TABLE = "supplies_import_staging"
# (item, reporter) pair and date packed into one int: a set of a million ints is a third of the
# memory of a million tuples. ``date.max.toordinal()`` is below 2**22.
_DAY_BITS = 22
# Page caches for the import's connection (KiB, as PRAGMA cache_size takes them when negative): the
# default 2 MiB spills the indexes being built to the WAL again and again during a large import.
SQLITE_IMPORT_CACHE_KIB = 131_072
_SQLITE_CHUNK = 20_000
StagedRow = tuple[int, int, int, int, str, str | None, str | None, str | None, str | None, str | None]


class _Rollback(Exception):  # noqa: N818 - control flow, never escapes this module
    """Leave the import's transaction without writing anything."""


class _Staging:
    """A temporary table of the file's valid rows, filled while the file is read.

    Rows are written in chunks (``executemany``) or streamed (``COPY`` on PostgreSQL), so neither the
    file nor its rows are held in memory; duplicates against the database, the number of unchanged
    rows and the insert itself are then set operations in SQL. The table belongs to this connection
    only (temporary), holds quantities as the text they were parsed to (so error messages quote them
    exactly) and is dropped at the end, whatever happens.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor
        # Qualified, so that no permanent table of that name could ever be read or dropped instead.
        schema = "pg_temp" if self.vendor == "postgresql" else "temp"
        self.table = f"{schema}.{connection.ops.quote_name(STAGING_TABLE)}"
        self.pending: list[StagedRow] = []
        self._copy_context: Any = None
        self._copy: Any = None
        self._saved_pragmas: list[tuple[str, Any]] = []

    def __enter__(self) -> _Staging:
        self.cursor = connection.cursor()
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        if self.vendor == "postgresql":
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (sheet integer, line_no integer, item_id bigint, "
                "reporter_id bigint, date date, production numeric, imports numeric, consumption numeric, "
                "stock numeric, price numeric)"
            )
        else:
            if self.vendor == "sqlite":
                # A bigger page cache for this connection while it imports; durability settings
                # (journal_mode=WAL, synchronous=NORMAL from settings) are left as they are.
                for pragma in ("main.cache_size", "temp.cache_size"):
                    self.cursor.execute(f"PRAGMA {pragma}")
                    self._saved_pragmas.append((pragma, self.cursor.fetchone()[0]))
                    self.cursor.execute(f"PRAGMA {pragma} = -{SQLITE_IMPORT_CACHE_KIB}")
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (sheet integer, line_no integer, item_id integer, "
                "reporter_id integer, date text, production text, imports text, consumption text, "
                "stock text, price text)"
            )
        return self

    def add(self, row: StagedRow) -> None:
        if self._copy is not None:
            self._copy.write_row(row)
            return
        if self.vendor == "postgresql":
            # Started at the first row: the connection can run no other query during a COPY.
            self._copy_context = self.cursor.cursor.copy(f"COPY {self.table} FROM STDIN")
            self._copy = self._copy_context.__enter__()
            self._copy.write_row(row)
            return
        self.pending.append(row)
        if len(self.pending) >= _SQLITE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            # One transaction per chunk: in autocommit mode every row would be its own transaction.
            with transaction.atomic():
                self.cursor.executemany(
                    f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 - fixed name
                    self.pending,
                )
            self.pending = []

    def finish_writing(self) -> None:
        if self._copy_context is not None:
            self._copy = None
            context, self._copy_context = self._copy_context, None
            context.__exit__(None, None, None)
        self._flush()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._copy_context is not None:
                self._copy = None
                context, self._copy_context = self._copy_context, None
                context.__exit__(exc_type, exc, tb)  # aborts the COPY
            self.cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            for pragma, value in self._saved_pragmas:
                self.cursor.execute(f"PRAGMA {pragma} = {int(value)}")
        except Exception:
            # In a caller's failed transaction the clean-up fails too; its rollback drops the table.
            if exc_type is None:
                raise
        finally:
            self.cursor.close()


@dataclass
class _Read:
    """What reading the file left for the SQL steps."""

    labels: list[str] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)  # the items of the staged rows
    first: str = ""  # earliest and latest staged date (ISO)
    last: str = ""
    duplicates: list[tuple[int, int, int, str]] = field(default_factory=list)  # error index, key


def _read(result: ImportResult, source: bytes | Path, today: date, staging: _Staging) -> _Read:
    """Check every row's cells; stage the good ones; record the bad ones in ``result.errors``.

    The loop is written for speed (1,000,000 rows in the benchmark): columns by index, parsed dates
    and quantities cached by their text, (item, reporter, unit) triples cached once checked, and a
    row whose every cell was seen before costs a few dictionary lookups.
    """
    name = result.file
    items = {code: (pk, unit) for code, pk, unit in SupplyItem.objects.values_list("code", "pk", "unit")}
    reporters = dict(Reporter.objects.values_list("code", "pk"))
    assigned = set(Assignment.objects.values_list("item_id", "reporter_id"))
    checked: dict[tuple[Any, Any, Any], tuple[int, int, int]] = {}  # cells → item, reporter, pair key
    pairs: dict[tuple[int, int], int] = {}
    dates: dict[Any, date] = {}
    good_dates: dict[Any, tuple[str, int]] = {}  # parsed, not in the future: ISO text and ordinal
    quantities: dict[Any, str | None] = {}  # cell → the parsed number as text
    seen: set[int] = set()
    read = _Read()
    errors = result.errors
    add = staging.add
    any_sheet = False
    try:
        for sheet, (label, header, sheet_rows) in enumerate(_guarded(name, source)):
            read.labels.append(label)
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                errors.append(
                    RowError(
                        label, 1, gettext("missing column(s): %(columns)s") % {"columns": ", ".join(missing)}
                    )
                )
                continue
            any_sheet = True
            width = len(header)
            i_item, i_reporter, i_date, i_unit = (
                header.index(c) for c in ("item", "reporter", "date", "unit")
            )
            q_index = [(c, header.index(c) if c in header else None) for c in QUANTITIES]
            q_positions = [index for _, index in q_index]
            for number, cells in sheet_rows:
                result.rows += 1
                if len(cells) < width:
                    cells = list(cells) + [""] * (width - len(cells))
                known = checked.get((cells[i_item], cells[i_reporter], cells[i_unit]))
                day = good_dates.get(cells[i_date])
                if known is not None and day is not None:
                    values = [
                        quantities.get(cells[i], MISSING) if i is not None else None for i in q_positions
                    ]
                    key = known[2] | day[1]
                    if MISSING not in values and values[3] is not None and key not in seen:
                        seen.add(key)
                        add((sheet, number, known[0], known[1], day[0], *values))
                        continue
                problems: list[str] = []
                item_code = cells[i_item].strip()
                item = items.get(item_code)
                if item is None:
                    problems.append(gettext("unknown item %(code)s") % {"code": item_code})
                reporter_code = cells[i_reporter].strip()
                reporter_id = reporters.get(reporter_code)
                if reporter_id is None:
                    problems.append(gettext("unknown reporter %(code)s") % {"code": reporter_code})
                raw_date = cells[i_date]
                parsed = dates.get(raw_date)
                if parsed is None:
                    try:
                        parsed = parse_date(raw_date)
                    except ValueError as exc:
                        problems.append(str(exc))
                    else:
                        dates[raw_date] = parsed
                if parsed is not None and parsed > today:
                    problems.append(
                        gettext("date %(date)s is in the future (today is %(today)s)")
                        % {"date": parsed.isoformat(), "today": today.isoformat()}
                    )
                elif parsed is not None:
                    good_dates[raw_date] = (parsed.isoformat(), parsed.toordinal())
                unit = cells[i_unit].strip()
                if item is not None and unit != item[1]:
                    problems.append(
                        gettext("unit %(unit)s does not match the item's unit %(expected)s")
                        % {"unit": unit, "expected": item[1]}
                        if unit
                        else gettext("unit is missing")
                    )
                values = []
                stock_refused = False
                for column, index in q_index:
                    raw = cells[index] if index is not None else ""
                    if raw in quantities:
                        values.append(quantities[raw])
                        continue
                    try:
                        value = parse_quantity(raw, column)
                    except ValueError as exc:
                        problems.append(str(exc))
                        values.append(None)
                        stock_refused = stock_refused or column == "stock"
                        continue
                    if len(quantities) > _CACHE_LIMIT:
                        quantities.clear()
                    quantities[raw] = text = None if value is None else str(value)
                    values.append(text)
                if values[3] is None and not stock_refused:
                    problems.append(gettext("stock is missing"))
                if item is not None and reporter_id is not None and (item[0], reporter_id) not in assigned:
                    problems.append(
                        gettext("reporter %(reporter)s does not report item %(item)s")
                        % {"reporter": reporter_code, "item": item_code}
                    )
                if problems:
                    errors.append(RowError(label, number, "; ".join(problems)))
                    continue
                pair = pairs.setdefault((item[0], reporter_id), (len(pairs) + 1) << _DAY_BITS)
                checked[(cells[i_item], cells[i_reporter], cells[i_unit])] = (item[0], reporter_id, pair)
                iso = parsed.isoformat()
                if pair | parsed.toordinal() in seen:
                    errors.append(RowError(label, number, ""))  # the first row's number is looked up later
                    read.duplicates.append((len(errors) - 1, item[0], reporter_id, iso))
                    continue
                seen.add(pair | parsed.toordinal())
                add((sheet, number, item[0], reporter_id, iso, *values))
    except _Unreadable as exc:
        # The rows read before it stay in the staging table, which is dropped: nothing is written.
        errors.append(RowError(exc.label, exc.row, exc.reason))
    if not errors and (not any_sheet or not seen):
        errors.append(RowError(name, 1, gettext("the file has no data rows")))
    if not errors:
        # Without errors every checked (item, reporter) and every good date belongs to a staged row.
        read.item_ids = sorted({item_id for item_id, _, _ in checked.values()})
        read.first, read.last = min(d for d, _ in good_dates.values()), max(d for d, _ in good_dates.values())
    return read


def _name_duplicates(result: ImportResult, read: _Read, staging: _Staging) -> None:
    """Fill in "same item, reporter and date as row N" (N: the first such row, which was staged)."""
    wanted = {(item_id, reporter_id, day) for _, item_id, reporter_id, day in read.duplicates}
    first_rows: dict[tuple[int, int, str], int] = {}
    item_ids = sorted({key[0] for key in wanted})
    staging.cursor.execute(
        f"SELECT item_id, reporter_id, date, line_no FROM {staging.table} "  # noqa: S608 - fixed name
        f"WHERE item_id IN ({', '.join(['%s'] * len(item_ids))})",
        item_ids,
    )
    while chunk := staging.cursor.fetchmany(20_000):
        for item_id, reporter_id, day, row in chunk:
            key = (item_id, reporter_id, day if isinstance(day, str) else day.isoformat())
            if key in wanted:
                first_rows[key] = row
    for index, item_id, reporter_id, day in read.duplicates:
        error = result.errors[index]
        result.errors[index] = RowError(
            error.file,
            error.row,
            gettext("duplicate observation: same item, reporter and date as row %(row)s")
            % {"row": first_rows[(item_id, reporter_id, day)]},
        )


def _same(vendor: str) -> str:
    """SQL: the staged row has the recorded figures (NULL equal to NULL; numbers compared as numbers)."""
    op = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    return " AND ".join(f"o.{c} {op} s.{c}" for c in QUANTITIES)


def _compare_recorded(result: ImportResult, read: _Read, staging: _Staging) -> set[int]:
    """Count rows already recorded with the same figures; report those recorded with other figures.
    Returns the items that get new rows."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    cursor = staging.cursor
    item_ids = read.item_ids
    cursor.execute(
        f"SELECT 1 FROM {table} WHERE item_id IN ({', '.join(['%s'] * len(item_ids))}) "  # noqa: S608
        "AND date >= %s AND date <= %s LIMIT 1",
        [*item_ids, date.fromisoformat(read.first), date.fromisoformat(read.last)],
    )
    if cursor.fetchone() is None:
        return set(item_ids)  # nothing recorded in the file's range: every row is new
    join = (
        f"FROM {staging.table} s JOIN {table} o ON o.item_id = s.item_id "
        "AND o.reporter_id = s.reporter_id AND o.date = s.date"
    )
    same = _same(staging.vendor)
    cursor.execute(
        f"SELECT s.item_id, COUNT(*), SUM(CASE WHEN {same} THEN 1 ELSE 0 END) {join} GROUP BY s.item_id"  # noqa: S608
    )
    recorded = {item_id: (count, int(equal)) for item_id, count, equal in cursor.fetchall()}
    result.unchanged = sum(equal for _, equal in recorded.values())
    if any(count != equal for count, equal in recorded.values()):
        cursor.execute(
            f"SELECT s.sheet, s.line_no, o.id, {', '.join(f's.{c}' for c in QUANTITIES)} {join} "  # noqa: S608
            f"WHERE NOT ({same}) ORDER BY s.sheet, s.line_no"
        )
        differing = cursor.fetchall()
        stored: dict[int, tuple] = {}
        ids = [row[2] for row in differing]
        for start in range(0, len(ids), 10_000):
            # Through the ORM, so the recorded figures are quoted as before (its decimal converters).
            for pk, *values in Observation.objects.filter(pk__in=ids[start : start + 10_000]).values_list(
                "pk", *QUANTITIES
            ):
                stored[pk] = tuple(values)
        for sheet, number, pk, *staged in differing:
            new = [None if v is None else Decimal(v) if isinstance(v, str) else v for v in staged]
            changes = [
                f"{column_label(column)} {old} ≠ {value}"
                for column, old, value in zip(QUANTITIES, stored[pk], new, strict=True)
                if old != value
            ]
            result.errors.append(
                RowError(
                    read.labels[sheet],
                    number,
                    gettext("duplicate observation: already recorded with other figures (%(changes)s)")
                    % {"changes": ", ".join(changes)},
                )
            )
    cursor.execute(f"SELECT item_id, COUNT(*) FROM {staging.table} GROUP BY item_id")  # noqa: S608
    return {item_id for item_id, count in cursor.fetchall() if recorded.get(item_id, (0, 0))[0] < count}


def _insert(staging: _Staging, batch_id: int, only_new: bool) -> int:
    """Copy the staged rows into the observations in one statement; returns how many were written."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    columns = ["item_id", "reporter_id", "date", *QUANTITIES]
    where = (
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} o WHERE o.item_id = s.item_id "  # noqa: S608
        "AND o.reporter_id = s.reporter_id AND o.date = s.date)"
        if only_new
        else ""
    )
    staging.cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}, source, batch_id) "  # noqa: S608 - fixed names
        f"SELECT {', '.join(f's.{c}' for c in columns)}, %s, %s FROM {staging.table} s{where}",
        [ObservationSource.IMPORT.value, batch_id],
    )
    return staging.cursor.rowcount


def _sha256(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    path: str | Path | None = None,
    *,
    name: str | None = None,
    content: bytes | None = None,
    user: Any = None,
    today: date | None = None,
    raise_on_error: bool = False,
) -> ImportResult:
    """Import one CSV or XLSX file (from ``path``, or ``name`` + ``content`` for an upload).

    Reading and checking the cells streams the file into a temporary staging table; the write
    (batch, observations, audit entry) is one transaction that starts with a write, so SQLite takes
    its write lock at once instead of failing to upgrade a read snapshot under concurrent writers.
    """
    from sixcore.progress.clock import today as clock_today

    if content is None:
        if path is None:
            raise ValueError("give a path or the content")
        source: bytes | Path = Path(path)
        if not source.is_file():
            source.open("rb").close()  # FileNotFoundError / IsADirectoryError, as reading it would
    else:
        source = content
    name = name or Path(str(path)).name
    result = ImportResult(file=name)
    with _Staging() as staging:
        read = _read(result, source, today or clock_today(), staging)
        staging.finish_writing()
        if read.duplicates:
            _name_duplicates(result, read, staging)
        if not result.errors:
            try:
                with transaction.atomic():
                    batch = ImportBatch.objects.create(
                        file_name=name[:255],
                        sha256=_sha256(source),
                        rows=result.rows,
                        created_rows=0,
                        user=user if getattr(user, "is_authenticated", False) else None,
                    )
                    touched = _compare_recorded(result, read, staging)
                    if result.errors or not touched:
                        # Bad rows, or everything already recorded: nothing changes, not even the log.
                        raise _Rollback
                    created = _insert(staging, batch.pk, only_new=bool(result.unchanged))
                    batch.created_rows, batch.unchanged_rows = created, result.unchanged
                    batch.save(update_fields=["created_rows", "unchanged_rows"])
                    record_action(
                        batch,
                        "supplies.import",
                        message=f"{created} observation(s) imported from {name}, {result.unchanged} already recorded",
                        related=list(SupplyItem.objects.filter(pk__in=touched)),
                    )
            except _Rollback:
                pass
            else:
                result.created = created
                result.batch = batch
    if result.errors and raise_on_error:
        raise ImportFailed(result)
    return result
