"""Reading an import file: CSV (decoded and parsed as it streams), XLSX (openpyxl, read-only) and ODS
as sheets of ``(row number, cells)``, and the same with any failure of the reader itself turned into
one located ``Unreadable`` error. Pure: no database.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from .cells import HEADER_ALIASES


class Unreadable(Exception):  # noqa: N818 - control flow, never escapes this package
    """The file itself cannot be read (not UTF-8, damaged workbook) from ``row`` on."""

    def __init__(self, label: str, row: int, reason: str) -> None:
        super().__init__(reason)
        self.label, self.row, self.reason = label, row, reason


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


def guarded_sheets(name: str, content: bytes | Path) -> Iterator[Sheet]:
    """:func:`read_sheets`, with any failure of the reader itself (decoding, a damaged workbook)
    raised as :class:`Unreadable` naming the sheet and row; errors of the caller pass through."""
    xlsx = name.lower().endswith((".xlsx", ".xlsm", ".ods"))
    # A damaged workbook fails in openpyxl, zipfile, zlib or the XML parser with many exception types;
    # a CSV only in decoding or in the csv module.
    expected: tuple[type[Exception], ...] = (Exception,) if xlsx else (UnicodeDecodeError, csv.Error)

    def unreadable(exc: Exception, label: str, row: int) -> Unreadable:
        reason = _reading_error(exc, xlsx)
        if isinstance(exc, UnicodeDecodeError) and (found := _decode_error_line(content)):
            row = found[0]
            reason = gettext(
                "the file is not UTF-8 text (byte 0x%(byte)02X on line %(line)s); save it as CSV UTF-8"
            ) % {"byte": found[1], "line": found[0]}
        return Unreadable(label, row, reason)

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
