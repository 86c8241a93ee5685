"""CSV export that Excel opens correctly and safely.

UTF-8 with a byte-order mark, because Excel otherwise reads UTF-8 as the local code page (Big5 on
zh-TW Windows) and garbles the Chinese.  Text cells that start with ``= + - @``, a tab or a carriage
return are prefixed with an apostrophe, because a spreadsheet would run them as formulas (CSV
injection, OWASP); numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse

BOM = "\ufeff"
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell value safe for spreadsheets: formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The CSV document, BOM first, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return BOM + buffer.getvalue()


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    response = HttpResponse(csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
