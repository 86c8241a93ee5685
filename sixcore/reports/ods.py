"""OpenDocument spreadsheets (.ods, ODF-CNS15251) with odfpy: typed cells, a bold header row.

Numbers are numbers (a Decimal keeps its digits in the cell's office:value), booleans booleans, dates
dates; everything else is text, never a formula (ODF keeps formulas in their own attribute, so a text
cell starting with "=" stays text; open data still neutralises such text as the CSV does).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from odf.number import DateStyle as NumberDateStyle
from odf.number import Day, Month, Text, Year
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableCellProperties, TextProperties
from odf.table import Table, TableCell, TableRow
from odf.text import P

from .xmlsafe import clean

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # name, header, rows


def _cell(value: Any, style=None, date_style=None) -> TableCell:
    kwargs = {"stylename": style} if style is not None else {}
    if value is None or value == "":
        return TableCell(**kwargs)
    if isinstance(value, bool):
        cell = TableCell(valuetype="boolean", booleanvalue="true" if value else "false", **kwargs)
        shown = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float | Decimal):
        number = format(value, "f") if isinstance(value, Decimal) else repr(value)
        cell = TableCell(valuetype="float", value=number, **kwargs)
        shown = number
    elif isinstance(value, datetime):
        cell = TableCell(valuetype="date", datevalue=value.replace(tzinfo=None).isoformat(), **kwargs)
        shown = value.isoformat()
    elif isinstance(value, date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat(), stylename=date_style or style)
        shown = value.isoformat()
    else:
        cell = TableCell(valuetype="string", **kwargs)
        shown = str(value)
    for line in clean(shown).split("\n"):
        cell.addElement(P(text=line))
    return cell


def write_sheets(sheets: Iterable[Sheet]) -> bytes:
    document = OpenDocumentSpreadsheet()
    bold = Style(name="Header", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold", fontweightasian="bold"))
    bold.addElement(TableCellProperties(backgroundcolor="#D9E2F3"))
    document.automaticstyles.addElement(bold)
    iso = NumberDateStyle(name="IsoDate")
    for part in (Year(style="long"), Text(text="-"), Month(style="long"), Text(text="-"), Day(style="long")):
        iso.addElement(part)
    document.automaticstyles.addElement(iso)
    dated = Style(name="Date", family="table-cell", datastylename=iso)
    document.automaticstyles.addElement(dated)
    for name, header, rows in sheets:
        table = Table(name=clean(name)[:31])
        head = TableRow()
        for title in header:
            head.addElement(_cell(title, bold))
        table.addElement(head)
        for values in rows:
            row = TableRow()
            for value in values:
                row.addElement(_cell(value, date_style=dated))
            table.addElement(row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()
