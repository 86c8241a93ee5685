"""The file's columns (English or Chinese headers) and the parsing of one cell: dates (ISO, ROC or a
spreadsheet date) and quantities (non-negative, ≤ 4 decimals, ≤ 15 significant digits). Pure; the web
form and the API use the same checks and messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext, gettext_noop

from sixcore.core.dates import check_range

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


def column_label(column: str) -> str:
    """A quantity column's name in the current language."""
    return gettext(COLUMN_LABELS[column]) if column in COLUMN_LABELS else column


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
