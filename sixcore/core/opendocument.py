"""OpenDocument spreadsheets (.ods, ODF-CNS15251) with odfpy: the government's standard for the
editable files a system offers, beside the .xlsx.

- :func:`workbook_to_ods` writes an openpyxl workbook as .ods — values typed, bold and filled cells,
  column widths, hidden sheets, sheet protection with its unlocked cells, and drop-down/range validations
  with their error messages — so every workbook is built once (openpyxl) and offered in both formats.
- :func:`read_sheets` reads an uploaded .ods into the cells the .xlsx reader gives (value, type, number
  format), so one validation serves both. Repeated rows and columns (LibreOffice writes a million empty
  rows as one element) are never expanded beyond the data. The package itself was checked before
  (``core.uploads.inspect_odf``: zip bombs, encryption, macros, links, DTDs).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from odf import teletype
from odf.namespaces import OFFICENS, TABLENS
from odf.number import DateStyle, Day, Month, Text, Year
from odf.opendocument import OpenDocumentSpreadsheet, load
from odf.style import Style, TableCellProperties, TableColumnProperties, TableProperties, TextProperties
from odf.table import (
    ContentValidation,
    ContentValidations,
    CoveredTableCell,
    Table,
    TableCell,
    TableColumn,
    TableRow,
)
from odf.text import P

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
Cell = tuple[Any, str, str]  # value, type (openpyxl's letters: n s b d e f), number format
EMPTY: Cell = (None, "n", "General")
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # name, header, rows
CM_PER_CHARACTER = 0.21  # an openpyxl column width (characters of the default font) in centimetres


def clean(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot hold (tab and newlines stay)."""
    return CONTROL.sub("", text)


class OdsError(ValueError):
    """The spreadsheet cannot be read; ``sheet`` names the sheet when one is at fault."""

    def __init__(self, message: str, sheet: str = ""):
        super().__init__(message)
        self.sheet = sheet


class TooManyRows(OdsError):
    """A sheet has data beyond the row limit given to :func:`read_sheets`."""


# --- writing ---------------------------------------------------------------------------------------


class _Styles:
    """Automatic styles, one per distinct look (made on first use)."""

    def __init__(self, document: OpenDocumentSpreadsheet) -> None:
        self.document = document
        self.cells: dict[tuple, Style] = {}
        self.columns: dict[float, Style] = {}
        iso = DateStyle(name="IsoDate")
        for part in (
            Year(style="long"),
            Text(text="-"),
            Month(style="long"),
            Text(text="-"),
            Day(style="long"),
        ):
            iso.addElement(part)
        document.automaticstyles.addElement(iso)
        self.date_style = iso
        self.hidden = Style(name="HiddenTable", family="table")
        self.hidden.addElement(TableProperties(display="false"))
        document.automaticstyles.addElement(self.hidden)

    def cell(self, *, bold=False, colour=None, size=None, fill=None, wrap=False, unlocked=False, dated=False):
        key = (bold, colour, size, fill, wrap, unlocked, dated)
        if key == (False, None, None, None, False, False, False):
            return None
        if key not in self.cells:
            extra = {"datastylename": self.date_style} if dated else {}
            style = Style(name=f"ce{len(self.cells) + 1}", family="table-cell", **extra)
            text = {}
            if bold:
                text |= {"fontweight": "bold", "fontweightasian": "bold"}
            if colour:
                text["color"] = colour
            if size:
                text |= {"fontsize": f"{size}pt", "fontsizeasian": f"{size}pt"}
            if text:
                style.addElement(TextProperties(**text))
            cell = {}
            if fill:
                cell["backgroundcolor"] = fill
            if wrap:
                cell |= {"wrapoption": "wrap", "verticalalign": "top"}
            if unlocked:
                cell["cellprotect"] = "none"
            if cell:
                style.addElement(TableCellProperties(**cell))
            self.document.automaticstyles.addElement(style)
            self.cells[key] = style
        return self.cells[key]

    def column(self, width_cm: float) -> Style:
        width = round(width_cm, 2)
        if width not in self.columns:
            style = Style(name=f"co{len(self.columns) + 1}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width}cm"))
            self.document.automaticstyles.addElement(style)
            self.columns[width] = style
        return self.columns[width]


def _rgb(colour) -> str | None:
    value = getattr(colour, "rgb", None)
    if not isinstance(value, str) or len(value) not in (6, 8):
        return None
    return "#" + value[-6:]


def typed_cell(value: Any, style=None, date_style=None) -> TableCell:
    """A cell holding ``value`` with its ODF type (numbers, booleans, dates; text never a formula)."""
    attrs = {"stylename": style} if style is not None else {}
    if value is None or value == "":
        return TableCell(**attrs)
    if isinstance(value, bool):
        cell = TableCell(valuetype="boolean", booleanvalue="true" if value else "false", **attrs)
        shown = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float | Decimal):
        number = format(value, "f") if isinstance(value, Decimal) else repr(value)
        cell = TableCell(valuetype="float", value=number, **attrs)
        shown = number
    elif isinstance(value, date):
        day = value.replace(tzinfo=None) if isinstance(value, datetime) else value
        if date_style is not None and "stylename" not in attrs:
            attrs["stylename"] = date_style
        cell = TableCell(valuetype="date", datevalue=day.isoformat(), **attrs)
        shown = day.isoformat()
    else:
        cell = TableCell(valuetype="string", **attrs)
        shown = str(value)
    for line in clean(shown).split("\n"):
        cell.addElement(P(text=line))
    return cell


def write_sheets(sheets: Iterable[Sheet]) -> bytes:
    """Plain data sheets (open data): a bold, shaded header row, then the rows, typed."""
    document = OpenDocumentSpreadsheet()
    styles = _Styles(document)
    header = styles.cell(bold=True, fill="#D9E2F3")
    for name, head, rows in sheets:
        table = Table(name=clean(name)[:31])
        row = TableRow()
        for title in head:
            row.addElement(typed_cell(title, header))
        table.addElement(row)
        for values in rows:
            row = TableRow()
            for value in values:
                row.addElement(typed_cell(value, date_style=styles.date_style))
            table.addElement(row)
        document.spreadsheet.addElement(table)
    return _bytes(document)


def _bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def _condition(validation) -> str | None:
    """The ODF condition of an openpyxl data validation (list, decimal, whole, date between)."""
    kind, first, second = validation.type, validation.formula1 or "", validation.formula2 or ""
    if kind == "list" and first.startswith('"') and first.endswith('"'):
        items = ";".join('"' + item.replace('"', '""') + '"' for item in first[1:-1].split(","))
        return f"of:cell-content-is-in-list({items})"
    checks = {"decimal": "cell-content-is-decimal-number()", "whole": "cell-content-is-whole-number()"}
    checks["date"] = "cell-content-is-date()"
    if kind in checks and validation.operator in (None, "between") and first and second:
        low, high = (f.replace(",", ";") for f in (first, second))
        return f"of:{checks[kind]} and cell-content-is-between({low};{high})"
    return None


def _validations(document, worksheet, counter: list[int]) -> dict[tuple[int, int], str]:
    """The worksheet's validations declared in the document; (row, column) → validation name."""
    from odf.table import ErrorMessage

    targets: dict[tuple[int, int], str] = {}
    for validation in worksheet.data_validations.dataValidation:
        condition = _condition(validation)
        if condition is None:
            continue
        counter[0] += 1
        name = f"val{counter[0]}"
        element = ContentValidation(
            name=name,
            condition=condition,
            allowemptycell="true" if validation.allow_blank else "false",
            displaylist="unsorted" if validation.type == "list" else "none",
        )
        if validation.showErrorMessage:
            message = ErrorMessage(
                display="true",
                messagetype="warning" if validation.errorStyle == "warning" else "stop",
                title=validation.errorTitle or "",
            )
            message.addElement(P(text=validation.error or ""))
            element.addElement(message)
        if not document.spreadsheet.getElementsByType(ContentValidations):
            document.spreadsheet.insertBefore(ContentValidations(), document.spreadsheet.firstChild)
        document.spreadsheet.getElementsByType(ContentValidations)[0].addElement(element)
        for cell_range in validation.sqref.ranges:
            for row in range(cell_range.min_row, cell_range.max_row + 1):
                for column in range(cell_range.min_col, cell_range.max_col + 1):
                    targets[(row, column)] = name
    return targets


def workbook_to_ods(workbook) -> bytes:
    """An openpyxl workbook as an .ods: what a user sees and may do in it is the same in both files."""
    document = OpenDocumentSpreadsheet()
    styles = _Styles(document)
    counter = [0]
    for worksheet in workbook.worksheets:
        attrs = {"name": clean(worksheet.title)[:31]}
        if worksheet.sheet_state != "visible":
            attrs["stylename"] = styles.hidden
        if worksheet.protection.sheet:
            attrs["protected"] = "true"
        table = Table(**attrs)
        validations = _validations(document, worksheet, counter)
        width = worksheet.max_column
        for column in range(1, width + 1):
            letter = worksheet.cell(row=1, column=column).column_letter
            dimension = worksheet.column_dimensions.get(letter)
            chars = dimension.width if dimension is not None and dimension.width else 10
            table.addElement(TableColumn(stylename=styles.column(chars * CM_PER_CHARACTER)))
        covered = {
            (row, column)
            for merged in worksheet.merged_cells.ranges
            for row in range(merged.min_row, merged.max_row + 1)
            for column in range(merged.min_col, merged.max_col + 1)
            if (row, column) != (merged.min_row, merged.min_col)
        }
        spans = {
            (m.min_row, m.min_col): (m.max_row - m.min_row + 1, m.max_col - m.min_col + 1)
            for m in worksheet.merged_cells.ranges
        }
        for row_cells in worksheet.iter_rows(min_row=1, max_row=worksheet.max_row, max_col=width):
            row = TableRow()
            for cell in row_cells:
                at = (cell.row, cell.column)
                if at in covered:
                    row.addElement(CoveredTableCell())
                    continue
                style = styles.cell(
                    bold=bool(cell.font and cell.font.b),
                    colour=_rgb(cell.font.color) if cell.font and cell.font.color else None,
                    size=cell.font.sz if cell.font and cell.font.sz and cell.font.sz != 11 else None,
                    fill=_rgb(cell.fill.fgColor) if cell.fill and cell.fill.fill_type == "solid" else None,
                    wrap=bool(cell.alignment and cell.alignment.wrap_text),
                    unlocked=bool(
                        worksheet.protection.sheet and cell.protection and not cell.protection.locked
                    ),
                    dated=isinstance(cell.value, date),
                )
                element = typed_cell(cell.value, style, styles.date_style)
                if at in validations:
                    element.setAttrNS(TABLENS, "content-validation-name", validations[at])
                if at in spans:
                    rows, columns = spans[at]
                    element.setAttrNS(TABLENS, "number-rows-spanned", str(rows))
                    element.setAttrNS(TABLENS, "number-columns-spanned", str(columns))
                row.addElement(element)
            table.addElement(row)
        document.spreadsheet.addElement(table)
    return _bytes(document)


# --- reading ---------------------------------------------------------------------------------------

_TYPES = {"float": "n", "percentage": "n", "currency": "n", "boolean": "b", "date": "d", "string": "s"}


def _value(cell) -> Cell:
    if cell.getAttrNS(TABLENS, "formula"):
        return (None, "f", "General")  # a formula is refused by type, like the .xlsx reader's
    kind = cell.getAttrNS(OFFICENS, "value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.getAttrNS(OFFICENS, "value") or "0"
        number = float(raw)
        value = int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number
        return (value, "n", "0%" if kind == "percentage" else "General")
    if kind == "boolean":
        return (cell.getAttrNS(OFFICENS, "boolean-value") == "true", "b", "General")
    if kind == "date":
        text = cell.getAttrNS(OFFICENS, "date-value")
        return (datetime.fromisoformat(text), "d", "yyyy-mm-dd")
    text = "\n".join(teletype.extractText(p) for p in cell.childNodes if p.qname[1] == "p")
    if kind in (None, "") and not text:
        return EMPTY
    return (text, "s", "General")


def _repeat(element, attribute: str) -> int:
    value = element.getAttrNS(TABLENS, attribute)
    return int(value) if value else 1


def _rows(table, width: int, max_rows: int, name: str) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    pending_empty = 0  # empty rows not yet known to be followed by data
    for element in table.getElementsByType(TableRow):
        cells: list[Cell] = []
        for cell in element.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            value = _value(cell) if cell.qname[1] == "table-cell" else EMPTY
            count = min(_repeat(cell, "number-columns-repeated"), max(width - len(cells), 0))
            cells.extend([value] * count)
            if len(cells) >= width:
                break
        cells.extend([EMPTY] * (width - len(cells)))
        repeat = _repeat(element, "number-rows-repeated")
        if all(cell == EMPTY for cell in cells):
            pending_empty += repeat
            continue
        if len(rows) + pending_empty + repeat > max_rows:
            raise TooManyRows(f"more than {max_rows} rows", name)
        rows.extend([(EMPTY,) * width] * pending_empty)
        pending_empty = 0
        rows.extend([tuple(cells)] * repeat)
    return rows


def read_sheets(
    data: bytes, widths: dict[str, int] | None, max_rows: int, width: int = 0
) -> dict[str, list[tuple[Cell, ...]]]:
    """The sheets named in ``widths``, each as rows 1… of ``widths[name]`` cells (value, type, number
    format), as ``progress.xlsx_reader.read_sheets`` gives them for an .xlsx; with ``widths`` None,
    every sheet, ``width`` cells a row."""
    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # a damaged package may fail anywhere in zipfile or the XML parser
        raise OdsError(f"unreadable spreadsheet ({type(exc).__name__}: {exc})") from None
    result = {}
    for table in document.spreadsheet.getElementsByType(Table):
        name = table.getAttrNS(TABLENS, "name")
        if widths is not None and name not in widths:
            continue
        try:
            result[name] = _rows(table, width if widths is None else widths[name], max_rows, name)
        except OdsError:
            raise
        except Exception as exc:
            raise OdsError(f"sheet {name}: unreadable ({type(exc).__name__}: {exc})", name) from None
    return result
