"""A minimal .xlsx sheet reader for the Excel upload: values, types and number formats, no cell objects.

openpyxl builds a Python object per cell (and per style) and costs tens of milliseconds for an agency's
workbook; the upload only needs each cell's value, its type and its number format. This reads the sheet
XML with the standard library's C parser (``xml.etree.ElementTree``) and returns, per sheet, a list of
rows of ``(value, type, number format)`` with the types openpyxl uses: ``n`` number (or empty), ``s``
text, ``b`` boolean, ``d`` date, ``e`` error, ``f`` formula (its value is the cached result, if any).

Covered: shared strings (rich text runs concatenated, phonetic runs left out), inline strings, numbers,
booleans, errors, ISO dates (``t="d"``), numbers in a date format converted from Excel serials (1900
and 1904 date systems), formulas, sparse rows and cells, cells without a reference. Anything that is not
well-formed XML, or that declares a DTD (entity expansion), raises :class:`XlsxError`; callers check the
zip directory (sizes, entry count) before calling :func:`read_sheets`.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

Cell = tuple[Any, str, str]  # value, type (openpyxl's data_type letters), number format
EMPTY: Cell = (None, "n", "General")

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
STRICT_MAIN = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"

_C, _V, _F, _IS, _T, _R, _RPH, _SI = (f"{MAIN}{n}" for n in ("c", "v", "f", "is", "t", "r", "rPh", "si"))
_ROW = f"{MAIN}row"
_SHEET_DATA = f"{MAIN}sheetData"
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


class XlsxError(ValueError):
    """The workbook cannot be read (not a zip, malformed XML, missing parts)."""

    def __init__(self, message: str, sheet: str = ""):
        super().__init__(message)
        self.sheet = sheet


class TooManyRows(XlsxError):
    """A sheet has a row beyond the limit given to :func:`read_sheets`."""


def _xml(archive: zipfile.ZipFile, name: str, what: str) -> ElementTree.Element:
    return _parse(_read(archive, name), what)


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise XlsxError(f"missing part {name}") from None
    # A damaged member fails only when read: bad CRC, damaged deflate data, an encrypted entry or an
    # unknown compression method.
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise XlsxError(f"damaged part {name} ({type(exc).__name__})") from None


def _parse(data: bytes, what: str) -> ElementTree.Element:
    # No workbook part needs a DTD; refusing one rules out entity expansion (billion laughs). Parts must
    # be UTF-8 (as every spreadsheet program writes them) so that the byte search cannot be dodged by
    # a UTF-16 encoding.
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.lstrip().startswith(b"<") or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XlsxError(f"{what}: not a UTF-8 XML part without DTD")
    try:
        return ElementTree.fromstring(data)  # noqa: S314 - DTDs refused above
    except ElementTree.ParseError as exc:
        raise XlsxError(f"{what}: malformed XML ({exc})") from None


def column_index(letters: str) -> int:
    """1-based column number of ``A``…``XFD``."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _text(element: ElementTree.Element) -> str:
    """The text of an ``<si>`` or ``<is>``: plain ``<t>`` or rich-text runs, without phonetic runs."""
    t = element.find(_T)
    if t is not None:
        return t.text or ""
    return "".join(run.findtext(_T) or "" for run in element.iter(_R))


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if path is None:
        return []
    root = _xml(archive, path, "shared strings")
    return [_text(si) for si in root.iter(_SI)]


# Parts every download of the system carries unchanged (workbook, its relationships, styles): what they
# give, by their exact bytes, so that an upload does not parse them again. Bounded in entries and in the
# size of the parts kept as keys (a large part is simply parsed); values are tuples, never mutated.
_DERIVED: dict[tuple[str, bytes, bytes], Any] = {}
_DERIVED_MAX = 64
_DERIVED_MAX_BYTES = 64 * 1024


def _derived(kind: str, data: bytes, extra: bytes, build: Any) -> Any:
    if len(data) + len(extra) > _DERIVED_MAX_BYTES:
        return build()
    key = (kind, data, extra)
    value = _DERIVED.get(key)
    if value is None:
        value = build()  # raises for a bad part: nothing is cached then
        if len(_DERIVED) >= _DERIVED_MAX:
            _DERIVED.clear()
        _DERIVED[key] = value
    return value


def _styles(archive: zipfile.ZipFile, path: str | None) -> tuple[Sequence[str], Sequence[bool]]:
    """Number format code and whether it is a date format, by cell style index (``s``)."""
    if path is None:
        return ["General"], [False]
    data = _read(archive, path)
    return _derived("styles", data, b"", lambda: _parse_styles(data))


def _parse_styles(data: bytes) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    root = _parse(data, "styles")
    custom = {}
    numfmts = root.find(f"{MAIN}numFmts")
    if numfmts is not None:
        for fmt in numfmts.iter(f"{MAIN}numFmt"):
            custom[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "General")
    codes = []
    xfs = root.find(f"{MAIN}cellXfs")
    for xf in xfs.iter(f"{MAIN}xf") if xfs is not None else ():
        number = int(xf.get("numFmtId", "0"))
        codes.append(custom.get(number) or BUILTIN_FORMATS.get(number) or "General")
    if not codes:
        codes = ["General"]
    return tuple(codes), tuple(is_date_format(code) for code in codes)


def _number(text: str) -> int | float:
    # As openpyxl: integers stay int; float() also reads inf/nan, which the import refuses as not a number.
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _serial_date(serial: float, epoch: datetime) -> datetime:
    # 1900 system: serials before 1900-03-01 count Excel's phantom 1900-02-29; nobody reports then.
    if epoch is _EPOCH_1900 and serial < 61:
        serial += 1
    return epoch + timedelta(days=serial)


def _parts(archive: zipfile.ZipFile) -> tuple[Sequence[tuple[str, str]], str | None, str | None, bool]:
    """(sheet name, part path) in workbook order, the shared strings and styles paths, 1904 dates."""
    workbook = _read(archive, "xl/workbook.xml")
    rels = _read(archive, "xl/_rels/workbook.xml.rels")
    return _derived("parts", workbook, rels, lambda: _parse_parts(workbook, rels))


def _parse_parts(workbook_xml: bytes, rels_xml: bytes) -> tuple:
    workbook = _parse(workbook_xml, "workbook")
    if workbook.tag.startswith(STRICT_MAIN):
        raise XlsxError("Strict Open XML workbooks are not supported")
    rels = _parse(rels_xml, "workbook relationships")
    targets = {}
    by_type = {}
    for rel in rels.iter(f"{PKG_REL}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        targets[rel.get("Id")] = path
        by_type[rel.get("Type", "").rsplit("/", 1)[-1]] = path
    properties = workbook.find(f"{MAIN}workbookPr")
    date1904 = properties is not None and properties.get("date1904") in ("1", "true")
    sheets = []
    container = workbook.find(f"{MAIN}sheets")
    for sheet in container.iter(f"{MAIN}sheet") if container is not None else ():
        path = targets.get(sheet.get(f"{REL}id"))
        if path is None:
            raise XlsxError(f"sheet {sheet.get('name')!r} has no part")
        sheets.append((sheet.get("name", ""), path))
    return tuple(sheets), by_type.get("sharedStrings"), by_type.get("styles"), date1904


def read_sheets(data: bytes, widths: dict[str, int], max_rows: int) -> dict[str, list[tuple[Cell, ...]]]:
    """The sheets named in ``widths`` (others are not parsed), each as rows 1… of ``widths[name]`` cells.

    Missing rows and cells are :data:`EMPTY`; cells right of the width are ignored. A sheet with a row
    beyond ``max_rows`` raises :class:`XlsxError` (before any row is built).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise XlsxError("not a zip archive") from None
    with archive:
        try:
            sheets, strings_path, styles_path, date1904 = _parts(archive)
            wanted = [(name, path) for name, path in sheets if name in widths]
            strings = _shared_strings(archive, strings_path) if wanted else []
            formats, is_date = _styles(archive, styles_path) if wanted else (["General"], [False])
        except XlsxError:
            raise
        except (ValueError, IndexError, OverflowError) as exc:  # e.g. numFmtId="abc" in styles.xml
            raise XlsxError(f"unreadable workbook parts ({exc})") from None
        epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
        result = {}
        for name, path in wanted:
            try:
                root = _xml(archive, path, f"sheet {name}")
                result[name] = _rows(root, widths[name], max_rows, strings, formats, is_date, epoch)
            except XlsxError as exc:
                exc.sheet = name
                raise
            except (ValueError, IndexError, OverflowError) as exc:
                raise XlsxError(f"sheet {name}: unreadable cell ({exc})", name) from None
        return result


def _rows(
    root: ElementTree.Element,
    width: int,
    max_rows: int,
    strings: list[str],
    formats: Sequence[str],
    is_date: Sequence[bool],
    epoch: datetime,
) -> list[tuple[Cell, ...]]:
    data = root.find(_SHEET_DATA)
    rows: list[tuple[Cell, ...]] = []
    if data is None:
        return rows
    empty_row = (EMPTY,) * width
    columns: dict[str, int] = {}  # "AB" → 28, computed once per letters
    last_row = 0
    for row in data:
        if row.tag != _ROW:
            continue
        number = row.get("r")
        index = int(number) if number is not None else last_row + 1
        if index <= last_row:
            raise XlsxError(f"row {index} out of order")
        if index > max_rows:
            raise TooManyRows(f"more than {max_rows} rows")
        if index - last_row > 1:
            rows.extend([empty_row] * (index - last_row - 1))
        last_row = index
        cells = [EMPTY] * width
        column = 0
        for c in row:
            if c.tag != _C:
                continue
            ref = c.get("r")
            if ref is None:
                column += 1
            else:
                letters = ref.rstrip("0123456789")
                column = columns.get(letters, 0)
                if not column:
                    if not letters.isalpha() or not letters.isupper() or len(letters) > 3 or letters == ref:
                        raise XlsxError(f"bad cell reference {ref!r}")
                    column = columns[letters] = column_index(letters)
            if column <= width:
                cells[column - 1] = _cell(c, strings, formats, is_date, epoch)
        rows.append(tuple(cells))
    return rows


def _cell(
    c: ElementTree.Element,
    strings: list[str],
    formats: Sequence[str],
    is_date: Sequence[bool],
    epoch: datetime,
) -> Cell:
    kind = c.get("t", "n")
    style = c.get("s")
    style = int(style) if style is not None else 0
    if style >= len(formats) or style < 0:
        style = 0
    raw = None
    formula = False
    inline = None
    for child in c:
        tag = child.tag
        if tag == _V:
            raw = child.text or ""
        elif tag == _F:
            formula = True
        elif tag == _IS:
            inline = child
    value: Any = None
    data_type = "n"
    if kind == "inlineStr":
        if inline is not None:
            value, data_type = _text(inline), "s"
    elif raw is not None and (raw != "" or kind in ("str", "s")):
        if kind == "s":
            value, data_type = strings[int(raw)], "s"
        elif kind == "str":
            value, data_type = raw, "s"
        elif kind == "b":
            value, data_type = raw.strip() in ("1", "true"), "b"
        elif kind == "e":
            value, data_type = raw, "e"
        elif kind == "d":
            value, data_type = datetime.fromisoformat(raw.strip().rstrip("Z")), "d"
        else:
            value = _number(raw.strip())
            if is_date[style]:
                value, data_type = _serial_date(float(value), epoch), "d"
    if formula:
        data_type = "f"  # the cached result stays the value; the upload refuses formulas by this type
    return (value, data_type, formats[style])
