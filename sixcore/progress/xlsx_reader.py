"""The Excel upload's sheet reader: each cell's value, type and number format, through openpyxl.

openpyxl's read-only mode streams the sheet XML and keeps no cell objects; the upload needs only each
cell's value, its type (openpyxl's letters: ``n`` number or empty, ``s`` text, ``b`` boolean, ``d``
date, ``e`` error, ``f`` formula — refused by the upload) and its number format (a 50 % typed in a
percent cell is stored as 0.5). XML entity declarations are refused by defusedxml, which openpyxl uses
whenever it is installed (a dependency of ours). Callers check the zip directory (sizes, entry count,
encryption, macros) before calling :func:`read_sheets`; whatever else goes wrong in a damaged or hostile
workbook becomes :class:`XlsxError`, never a crash.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import openpyxl
from openpyxl.utils.cell import column_index_from_string

Cell = tuple[Any, str, str]  # value, type (openpyxl's data_type letters), number format
EMPTY: Cell = (None, "n", "General")


class XlsxError(ValueError):
    """The workbook cannot be read (not a zip, malformed XML, missing parts)."""

    def __init__(self, message: str, sheet: str = ""):
        super().__init__(message)
        self.sheet = sheet


class TooManyRows(XlsxError):
    """A sheet has a row beyond the limit given to :func:`read_sheets`."""


def column_index(letters: str) -> int:
    return column_index_from_string(letters)


def read_sheets(data: bytes, widths: dict[str, int], max_rows: int) -> dict[str, list[tuple[Cell, ...]]]:
    """The sheets named in ``widths`` (others are not parsed), each as rows 1… of ``widths[name]`` cells.

    Missing rows and cells are :data:`EMPTY`; cells right of the width are ignored. A sheet with a row
    beyond ``max_rows`` raises :class:`TooManyRows` (rows are read one at a time: a hostile sheet's
    million rows are never built).
    """
    try:
        with warnings.catch_warnings():  # e.g. "unknown extension": the workbook's business, not the log's
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False
            )
    except Exception as exc:  # a damaged or hostile file may fail anywhere inside openpyxl
        raise XlsxError(f"unreadable workbook ({type(exc).__name__}: {exc})") from None
    try:
        result = {}
        for name in workbook.sheetnames:
            if name not in widths:
                continue
            try:
                result[name] = _rows(workbook[name], widths[name], max_rows)
            except XlsxError as exc:
                exc.sheet = name
                raise
            except Exception as exc:
                raise XlsxError(f"sheet {name}: unreadable ({type(exc).__name__}: {exc})", name) from None
        return result
    finally:
        workbook.close()


def _rows(sheet, width: int, max_rows: int) -> list[tuple[Cell, ...]]:
    # The declared dimension is the file's word, not a fact: read the rows as they are.
    sheet.reset_dimensions()
    rows: list[tuple[Cell, ...]] = []
    for number, row in enumerate(sheet.iter_rows(min_row=1, max_col=width), start=1):
        if number > max_rows:
            raise TooManyRows(f"more than {max_rows} rows")
        cells = [_cell(cell) for cell in row[:width]]
        rows.append(tuple(cells + [EMPTY] * (width - len(cells))))
    while rows and all(cell == EMPTY for cell in rows[-1]):
        rows.pop()
    return rows


def _cell(cell) -> Cell:
    data_type = cell.data_type or "n"
    # A formula's text is not a value (data_only=False keeps it in place of the cached result); the
    # upload refuses formulas by their type.
    value = None if data_type == "f" else cell.value
    if value is None and data_type != "f":
        data_type = "n"  # an empty cell, whatever type it declares (an inline string without text)
    return (value, data_type, cell.number_format or "General")
