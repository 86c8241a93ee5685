"""Reading an upload: the zip and ODF checks made before anything is inflated, the sheets as
(value, type, number format) cells, and the parsing of each input cell into a field value.

Everything here refuses bad input with a message for the person who typed it; nothing touches the
database.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from sixcore.core import opendocument
from sixcore.core.dates import check_range
from sixcore.core.roc import RocDateError, parse_roc_month
from sixcore.core.uploads import UploadRefused, check_content

from .. import xlsx_reader
from ..choices import BudgetUnit
from .layout import (
    FORMER_STATUS_WORDS,
    MAX_AMOUNT,
    MAX_ROWS_PER_SHEET,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_ZIP_ENTRIES,
    NO,
    QUANTUM,
    SHEET_INFO,
    SHEET_META,
    SHEETS,
    TEXT_FIELDS,
    WORK_STATUS_LABELS,
    YES,
)
from .part_sheets import part_sheets
from .results import Problem
from .values import _normal_text, _quantize, _unneutralise


def too_large() -> str:
    return gettext("The file is too large (at most %(mb)s MB).") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}


def _not_a_workbook() -> str:
    return gettext("Not an Excel workbook (.xlsx): upload the workbook downloaded from this system.")


def _not_a_report_file() -> str:
    return gettext("not a normal report workbook; refused")


class _Refused(Exception):
    """The file cannot be read at all (not an xlsx, too large, not our format)."""

    def __init__(self, message: str, sheet: str = "", cell: str = ""):
        super().__init__(message)
        self.problem = Problem(sheet, cell, message)


Cell = xlsx_reader.Cell  # value, openpyxl's data type letter, number format


def _check_zip(data: bytes) -> None:
    """Refuse non-xlsx files and zip bombs from the zip directory alone, before anything is inflated."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _Refused(too_large())
    if not data.startswith(b"PK\x03\x04"):
        raise _Refused(_not_a_workbook())
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _Refused(gettext("The file is damaged or not an Excel workbook (.xlsx).")) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _Refused(
            gettext("The file holds too many entries (%(n)s): %(refused)s.")
            % {"n": len(entries), "refused": _not_a_report_file()}
        )
    # zipfile never inflates an entry beyond its declared size, so the declared sizes bound the work.
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _Refused(
            gettext("The file is too large once uncompressed (%(mb)s MB): %(refused)s.")
            % {"mb": total // (1024 * 1024), "refused": _not_a_report_file()}
        )
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _Refused(_not_a_workbook())


def is_ods(data: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose first entry is its mimetype (ODF's own signature)."""
    return (
        data.startswith(b"PK\x03\x04")
        and data[30:38] == b"mimetype"
        and b"opendocument.spreadsheet" in data[:120]
    )


def _read_workbook(data: bytes) -> dict[str, list[tuple[Cell, ...]]]:
    """Every sheet's rows as (value, type, number format) cells, from an .xlsx (``xlsx_reader``) or an
    .ods (``core.opendocument``) alike: a formula arrives with type ``f``, so it can be refused."""
    widths = {s.name: len(s.columns) for s in SHEETS} | {SHEET_META: 4, str(SHEET_INFO): 5}
    widths |= {sheet.SPEC.name: sheet.WIDTH for sheet in part_sheets()}
    if is_ods(data):
        _check_ods(data)
        reader = opendocument
        not_a_file = gettext("The file cannot be read: not a valid OpenDocument spreadsheet (.ods).")
    else:
        _check_zip(data)
        reader = xlsx_reader
        not_a_file = gettext("The file cannot be read: not a valid Excel workbook (.xlsx).")
    try:
        return reader.read_sheets(data, widths, MAX_ROWS_PER_SHEET)
    except reader.TooManyRows as exc:
        raise _Refused(
            gettext("The sheet has too many rows (at most %(n)s).") % {"n": MAX_ROWS_PER_SHEET}, exc.sheet
        ) from None
    except (xlsx_reader.XlsxError, opendocument.OdsError) as exc:
        if exc.sheet:
            raise _Refused(
                gettext("The content cannot be read: the workbook is damaged."), exc.sheet
            ) from None
        raise _Refused(not_a_file) from None


def _check_ods(data: bytes) -> None:
    """Size and the package checks of the upload (zip bombs, encryption, macros, links)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _Refused(too_large())
    try:
        check_content(".ods", data)
    except UploadRefused as exc:
        raise _Refused(str(exc)) from None


def cell_at(rows: list[tuple[Cell, ...]], row: int, col: int) -> Cell:
    """The cell at 1-based (row, col) of a sheet read by ``_read_workbook`` (empty when absent)."""
    if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
        return rows[row - 1][col - 1]
    return (None, "n", "General")


def code_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else _unneutralise(str(value).strip())


# --- importing: parsing cells ------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def _not_a_number(value: Any) -> str:
    return gettext("not a number: %(value)s") % {"value": value}


def _parse_decimal(cell: Cell, name: str) -> Decimal | None:
    value, _type, number_format = cell
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Bad(_not_a_number(value))
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (number_format or ""):
            number *= 100  # typed as 50% in a percent-formatted cell: Excel stores 0.5
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        percent = text.endswith("%")
        try:
            number = Decimal(text.rstrip("%").strip())
        except InvalidOperation:
            raise _Bad(_not_a_number(value)) from None
        if not number.is_finite():
            raise _Bad(_not_a_number(value))
        if percent and name != "percent":
            raise _Bad(_not_a_number(value))
    else:
        raise _Bad(_not_a_number(value))
    number = _quantize(name, number)
    if name == "percent" and not Decimal(0) <= number <= Decimal(100):
        raise _Bad(
            gettext("The percentage must be from 0 to 100 (%(value)s was entered).")
            % {"value": f"{number.normalize():f}"}
        )
    if name in ("allocated", "executed", "annual_budget") and number < 0:
        raise _Bad(gettext("An amount cannot be negative."))
    if abs(number) >= MAX_AMOUNT:
        raise _Bad(gettext("The number is too large."))
    return number


def parse_text(cell: Cell) -> str:
    value = cell[0]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        value = value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return _normal_text(_unneutralise(str(value)))


def _parse_done(cell: Cell) -> bool | None:
    value = cell[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    # Besides the list values, the words people type for done / not done (data, in either language).
    if text in (str(YES), "是", "完成", "已完成", "Y", "y", "1"):
        return True
    if text in (str(NO), "否", "未完成", "N", "n", "0"):
        return False
    raise _Bad(
        gettext("Write %(yes)s or %(no)s (%(text)s was entered).")
        % {"yes": f"「{YES}」", "no": f"「{NO}」", "text": f"「{text}」"}
    )


def _parse_status(cell: Cell) -> str:
    value = cell[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    text = str(value).strip()
    if (code := _status_by_text().get(text)) is not None:
        return code
    raise _Bad(
        gettext("Unknown status %(text)s; choose one of: %(choices)s.")
        % {"text": f"「{text}」", "choices": "、".join(map(str, WORK_STATUS_LABELS.values()))}
    )


def _parse_unit(cell: Cell) -> str:
    value = cell[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        return BudgetUnit.HUNDRED_MILLION.value
    text = str(value).strip()
    if text in _UNIT_VALUES:
        return text
    raise _Bad(
        gettext("The unit must be %(units)s (%(text)s was entered).")
        % {"units": "／".join(f"「{unit}」" for unit in BudgetUnit.values), "text": f"「{text}」"}
    )


def _parse_date(cell: Cell) -> date | None:
    value = _read_date(cell[0])
    if value is not None:
        try:
            check_range(value)  # before any arithmetic (core/dates.py)
        except ValueError as exc:
            raise _Bad(str(exc)) from None
    return value


def _read_date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return parse_roc_month(text)
        except RocDateError:
            pass
    raise _Bad(gettext("not a date: %(value)s (write 111/6/30 or 2022-06-30).") % {"value": value})


def _status_by_text() -> dict[str, str]:
    """A status cell's text (label in the active language, former word or code) → the status code."""
    language = translation.get_language()
    if language not in _STATUS_BY_LANGUAGE:
        _STATUS_BY_LANGUAGE[language] = {
            **{code.value: code.value for code in WORK_STATUS_LABELS},
            **FORMER_STATUS_WORDS,
            **{str(label): code.value for code, label in reversed(list(WORK_STATUS_LABELS.items()))},
        }
    return _STATUS_BY_LANGUAGE[language]


_STATUS_BY_LANGUAGE: dict[str | None, dict[str, str]] = {}  # built once per language, not per cell
_UNIT_VALUES = frozenset(BudgetUnit.values)
_PARSERS = {"done": _parse_done, "status": _parse_status, "unit": _parse_unit, "completed_on": _parse_date}


def _parse(name: str, cell: Cell) -> Any:
    if name in TEXT_FIELDS:
        return parse_text(cell)
    if name in QUANTUM:
        return _parse_decimal(cell, name)
    return _PARSERS[name](cell)
