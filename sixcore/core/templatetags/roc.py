"""Template filters that show ISO dates in the ROC calendar (``113/12``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.translation import gettext

from sixcore.core import roc as roc_calendar

register = template.Library()


@register.filter
def roc_month(value: date | None) -> str:
    """``date(2024, 12, 1)`` → ``113/12``."""
    return roc_calendar.format_roc_month(value) if value else ""


@register.filter
def roc_date(value: date | None) -> str:
    """``date(2024, 12, 31)`` → ``113/12/31``."""
    return roc_calendar.format_roc_date(value) if value else ""


@register.filter
def roc_year(value: int | None) -> str:
    """ROC year number → ``113 年``."""
    return gettext("ROC year %(year)s") % {"year": value} if value else ""


@register.filter
def amount(value: Decimal | float | int | None) -> str:
    """A figure as the document prints it: ``14.20`` → ``14.2``, ``1131.86`` → ``1,131.86``."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    decimals = max(-number.as_tuple().exponent, 0)
    return f"{number:,.{decimals}f}"
