"""Bulk import of observations from CSV or XLSX: validate every row first, then write all or nothing.

Format (docs/SUPPLIES.md): a header row, then one observation per row, many reporters and dates in
one file. Columns (English or Chinese header): ``item`` (品項), ``reporter`` (申報者), ``date`` (日期,
ISO ``2023-06-30`` or ROC ``112/06/30``), ``unit`` (單位, must be the item's unit), ``stock`` (存量,
required), ``production`` (生產量), ``imports`` (進口量), ``consumption`` (銷售量/消費量), ``price`` (價格).

Every bad row is reported as ``file:row: reason``; with any error nothing is written. The natural
key (item, reporter, date) makes a re-import idempotent: a row already recorded with the same figures
is skipped, one recorded with other figures is an error (correct it on the web or through the API,
where the change is audited). Rows are written with one ``executemany`` (SQLite) or ``COPY``
(PostgreSQL) inside one transaction, and the import is audited as one ``supplies.import`` action.
"""

from __future__ import annotations

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

from sixcore.core.changelog import record_action

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
        super().__init__(f"{len(result.errors)} bad row(s) in {result.file}; nothing was imported")


# --- reading -------------------------------------------------------------------------------------


def _normalise_header(cells: list[Any] | tuple[Any, ...]) -> list[str]:
    names = []
    for cell in cells:
        text = str(cell or "").strip().lstrip("\ufeff")
        names.append(HEADER_ALIASES.get(text, text.lower()))
    return names


Sheet = tuple[str, list[str], Iterator[tuple[int, list[Any]]]]


def read_sheets(name: str, content: bytes) -> Iterator[Sheet]:
    """``(file label, header, rows)`` per sheet (one for a CSV); rows are ``(row number, cells)`` with
    row 1 the header. CSV cells are strings; XLSX cells are strings or dates (numbers as text)."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        yield from _xlsx_sheets(name, content)
        return
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
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
    """ISO ``2023-06-30``, ROC ``112/06/30`` or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise ValueError("date is missing")
    if match := ROC_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
        try:
            return date(year + 1911, month, day)
        except ValueError:
            raise ValueError(f"date {text!r} is not a valid ROC date") from None
    try:
        return date.fromisoformat(text[:10] if "T" in text or " " in text else text)
    except ValueError:
        raise ValueError(f"date {text!r} is neither YYYY-MM-DD nor ROC YYY/MM/DD") from None


def parse_quantity(value: Any, column: str) -> Decimal | None:
    """A non-negative quantity with at most 4 decimals; blank is ``None``."""
    if value is None:
        return None
    if type(value) is str and value.isdigit() and len(value) <= MAX_INTEGER_DIGITS:
        return Decimal(value)  # the common case, without the checks below
    if isinstance(value, bool):
        raise ValueError(f"{column} {value!r} is not a number")
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{column} {value!r} is not a number")
    if number < 0:
        raise ValueError(f"{column} is negative ({text})")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        rounded = number.quantize(Decimal("0.0001"))
        if rounded != number:
            raise ValueError(f"{column} {text} has more than 4 decimal places")
        number = rounded
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{column} {text} is too large")
    return number


# --- import --------------------------------------------------------------------------------------


# A validated row: the insert parameters (item, reporter, date, production, imports, consumption,
# stock, price) — plain tuples, as a million dataclass instances cost seconds.
Row = tuple[int, int, date, Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]
_CACHE_LIMIT = 200_000
MISSING = object()


def validate(name: str, content: bytes, today: date) -> tuple[ImportResult, list[Row]]:
    """Check every row; return the result (with errors) and the rows that are new.

    The loop is written for speed (1,000,000 rows in the benchmark): columns by index, parsed dates
    and quantities cached by their text, rows as tuples.
    """
    result = ImportResult(file=name)
    items = {code: (pk, unit) for code, pk, unit in SupplyItem.objects.values_list("code", "pk", "unit")}
    reporters = dict(Reporter.objects.values_list("code", "pk"))
    assigned = set(Assignment.objects.values_list("item_id", "reporter_id"))
    dates: dict[Any, date] = {}
    good_dates: dict[str, date] = {}  # parsed and not in the future
    quantities: dict[str, Decimal | None] = {}
    seen: dict[tuple[int, int, date], tuple[str, int]] = {}
    rows: list[Row] = []
    errors = result.errors
    any_sheet = False
    for label, header, sheet_rows in read_sheets(name, content):
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            errors.append(RowError(label, 1, f"missing column(s): {', '.join(missing)}"))
            continue
        any_sheet = True
        width = len(header)
        i_item, i_reporter, i_date, i_unit = (header.index(c) for c in ("item", "reporter", "date", "unit"))
        q_index = [(c, header.index(c) if c in header else None) for c in QUANTITIES]
        q_positions = [index for _, index in q_index]
        for number, cells in sheet_rows:
            result.rows += 1
            if len(cells) < width:
                cells = list(cells) + [""] * (width - len(cells))
            # Fast path: a clean row whose every cell was seen before costs a few dictionary lookups.
            item = items.get(cells[i_item])
            reporter_id = reporters.get(cells[i_reporter])
            day = good_dates.get(cells[i_date])
            if (
                item is not None
                and reporter_id is not None
                and day is not None
                and cells[i_unit] == item[1]
                and (item[0], reporter_id) in assigned
            ):
                values = [quantities.get(cells[i], MISSING) if i is not None else None for i in q_positions]
                key = (item[0], reporter_id, day)
                if MISSING not in values and values[3] is not None and key not in seen:
                    seen[key] = (label, number)
                    rows.append((item[0], reporter_id, day, *values))
                    continue
            problems: list[str] = []
            item_code = cells[i_item].strip()
            item = items.get(item_code)
            if item is None:
                problems.append(f"unknown item {item_code!r}")
            reporter_code = cells[i_reporter].strip()
            reporter_id = reporters.get(reporter_code)
            if reporter_id is None:
                problems.append(f"unknown reporter {reporter_code!r}")
            raw_date = cells[i_date]
            day = dates.get(raw_date)
            if day is None:
                try:
                    day = parse_date(raw_date)
                except ValueError as exc:
                    problems.append(str(exc))
                else:
                    dates[raw_date] = day
            if day is not None and day <= today and isinstance(raw_date, str):
                good_dates[raw_date] = day
            if day is not None and day > today:
                problems.append(f"date {day.isoformat()} is in the future (today is {today.isoformat()})")
            unit = cells[i_unit].strip()
            if item is not None and unit != item[1]:
                problems.append(
                    f"unit {unit!r} does not match the item's unit {item[1]!r}" if unit else "unit is missing"
                )
            values: list[Decimal | None] = []
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
                    continue
                if len(quantities) > _CACHE_LIMIT:
                    quantities.clear()
                quantities[raw] = value
                values.append(value)
            if values[3] is None and not any(p.startswith("stock") for p in problems):
                problems.append("stock is missing")
            if item is not None and reporter_id is not None and (item[0], reporter_id) not in assigned:
                problems.append(f"reporter {reporter_code!r} does not report item {item_code!r}")
            if not problems:
                key = (item[0], reporter_id, day)
                if key in seen:
                    problems.append(
                        f"duplicate observation: same item, reporter and date as row {seen[key][1]}"
                    )
                else:
                    seen[key] = (label, number)
                    rows.append((item[0], reporter_id, day, *values))
            if problems:
                errors.append(RowError(label, number, "; ".join(problems)))
    if not any_sheet and not errors:
        errors.append(RowError(name, 1, "the file has no data rows"))
    elif not errors and not rows:
        errors.append(RowError(name, 1, "the file has no data rows"))
    if errors:
        return result, []
    return result, _drop_recorded(result, rows, seen)


def _drop_recorded(
    result: ImportResult, rows: list[Row], seen: dict[tuple[int, int, date], tuple[str, int]]
) -> list[Row]:
    """Skip rows recorded before with the same figures; report those recorded with other figures."""
    item_ids = {r[0] for r in rows}
    first, last = min(r[2] for r in rows), max(r[2] for r in rows)
    existing = {
        (item_id, reporter_id, day): tuple(values)
        for item_id, reporter_id, day, *values in Observation.objects.filter(
            item_id__in=item_ids, date__gte=first, date__lte=last
        )
        .values_list("item_id", "reporter_id", "date", *QUANTITIES)
        .iterator(chunk_size=50_000)
    }
    if not existing:
        return rows
    new = []
    for row in rows:
        stored = existing.get(row[:3])
        if stored is None:
            new.append(row)
        elif stored == row[3:]:
            result.unchanged += 1
        else:
            differing = [
                f"{column} {old} ≠ {value}"
                for column, old, value in zip(QUANTITIES, stored, row[3:], strict=True)
                if old != value
            ]
            label, number = seen[row[:3]]
            result.errors.append(
                RowError(
                    label,
                    number,
                    "duplicate observation: already recorded with other figures ("
                    + ", ".join(differing)
                    + ")",
                )
            )
    return [] if result.errors else new


def _insert(rows: list[Row], batch_id: int) -> None:
    """Write the rows in bulk without model instances (1,000,000 rows in seconds, see bench/)."""
    table = Observation._meta.db_table
    columns = ["item_id", "reporter_id", "date", *QUANTITIES, "source", "batch_id"]
    tail = (ObservationSource.IMPORT.value, batch_id)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row + tail)
        elif connection.vendor == "sqlite":
            # Django registers the sqlite3 adapters for date and Decimal (str), as the ORM stores them.
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 - fixed names
                [row + tail for row in rows],
            )
        else:
            Observation.objects.bulk_create(
                [
                    Observation(
                        item_id=r[0],
                        reporter_id=r[1],
                        date=r[2],
                        production=r[3],
                        imports=r[4],
                        consumption=r[5],
                        stock=r[6],
                        price=r[7],
                        source=tail[0],
                        batch_id=batch_id,
                    )
                    for r in rows
                ],
                batch_size=5000,
            )


def import_file(
    path: str | Path | None = None,
    *,
    name: str | None = None,
    content: bytes | None = None,
    user: Any = None,
    today: date | None = None,
    raise_on_error: bool = False,
) -> ImportResult:
    """Import one CSV or XLSX file (from ``path``, or ``name`` + ``content`` for an upload)."""
    from sixcore.progress.clock import today as clock_today

    if content is None:
        if path is None:
            raise ValueError("give a path or the content")
        content = Path(path).read_bytes()
    name = name or Path(str(path)).name
    result, rows = validate(name, content, today or clock_today())
    if result.errors:
        if raise_on_error:
            raise ImportFailed(result)
        return result
    if not rows:
        return result  # everything already recorded: nothing changes, not even the audit log
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=name[:255],
            sha256=hashlib.sha256(content).hexdigest(),
            rows=result.rows,
            created_rows=len(rows),
            unchanged_rows=result.unchanged,
            user=user if getattr(user, "is_authenticated", False) else None,
        )
        _insert(rows, batch.pk)
        record_action(
            batch,
            "supplies.import",
            message=f"{len(rows)} observation(s) imported from {name}, {result.unchanged} already recorded",
            related=list(SupplyItem.objects.filter(pk__in={r[0] for r in rows})),
        )
    result.created = len(rows)
    result.batch = batch
    return result
