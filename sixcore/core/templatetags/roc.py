"""Template filters that show ISO dates in the ROC calendar (``113/12``)."""

from __future__ import annotations

from datetime import date

from django import template

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
    return f"{value} 年" if value else ""
