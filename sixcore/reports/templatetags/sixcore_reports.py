"""Filters of the report templates and the download links of the dashboard."""

from __future__ import annotations

from django import template

from ..builder import number_text, percent_text

register = template.Library()


@register.filter
def num(value):
    return number_text(value)


@register.filter
def pct(value):
    return percent_text(value)


@register.simple_tag(takes_context=True)
def quarterly_report_allowed(context, period) -> bool:
    """Whether the current user may download the period's quarterly report (see ``views.can_download``)."""
    from ..views import can_download

    request = context.get("request")
    if request is None or period is None:
        return False
    return can_download(request.user, period)
