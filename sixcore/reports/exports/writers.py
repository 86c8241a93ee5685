"""The formats of a dataset: CSV (a zip of UTF-8-with-BOM files plus ``data_dictionary.csv``), XLSX and
ODS (one sheet per table plus the dictionary) and JSON. Pure: tables in, bytes out; CSV, XLSX and ODS
cells neutralised against formula injection.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sixcore.evaluation.export import BOM, neutralise

from .tables import Table

FORMATS = ("csv", "ods", "xlsx", "json")


def dictionary(tables: list[Table]) -> Table:
    return Table(
        "data_dictionary",
        "資料說明",
        [
            ("table", "資料表"),
            ("table_description", "資料表說明"),
            ("column", "欄位"),
            ("description", "欄位說明"),
        ],
        [[t.name, t.description, c, d] for t in tables for c, d in t.columns],
    )


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_csv_zip(tables: list[Table], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in [*tables, dictionary(tables)]:
            archive.writestr(f"{prefix}/{table.name}.csv", table_csv(table))
    return buffer.getvalue()


def to_xlsx(tables: list[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    for table in [dictionary(tables), *tables]:
        ws = wb.create_sheet(table.name[:31])
        ws.append(table.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([neutralise(v) for v in row])
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_ods(tables: list[Table]) -> bytes:
    """The same sheets as ``to_xlsx`` as an OpenDocument spreadsheet (the government's standard)."""
    from sixcore.core.opendocument import write_sheets

    return write_sheets(
        (table.name, table.header, ([neutralise(v) for v in row] for row in table.rows))
        for table in [dictionary(tables), *tables]
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def to_json(tables: list[Table]) -> bytes:
    payload = {
        "dictionary": {t.name: {"description": t.description, "columns": dict(t.columns)} for t in tables},
        "tables": {t.name: [dict(zip(t.header, row, strict=True)) for row in t.rows] for t in tables},
    }
    return json.dumps(payload, ensure_ascii=False, indent=1, default=_json_default).encode("utf-8")


CONTENT_TYPES = {
    "csv": "application/zip",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


def render_dataset(tables: list[Table], fmt: str, prefix: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a dataset in ``fmt``."""
    if fmt == "csv":
        return to_csv_zip(tables, prefix), CONTENT_TYPES[fmt], f"{prefix}-csv.zip"
    if fmt == "ods":
        return to_ods(tables), CONTENT_TYPES[fmt], f"{prefix}.ods"
    if fmt == "xlsx":
        return to_xlsx(tables), CONTENT_TYPES[fmt], f"{prefix}.xlsx"
    if fmt == "json":
        return to_json(tables), CONTENT_TYPES[fmt], f"{prefix}.json"
    raise ValueError(f"unknown format {fmt!r}")
