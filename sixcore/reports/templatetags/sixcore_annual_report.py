"""Filters of the annual evaluation report's print template (the figures as the docx/odt blocks print them)."""

from django import template

from sixcore.annual.rules import score_text
from sixcore.reports.annual.layout import distribution_rows

register = template.Library()


@register.filter
def score(value) -> str:
    return score_text(value)


@register.filter
def distribution(report) -> list[list[str]]:
    return distribution_rows(report)
