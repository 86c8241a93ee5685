"""Filters of the year-end evaluation pages: scores as people write them (87.5, 90, —)."""

from django import template

from sixcore.annual.rules import score_text

register = template.Library()


@register.filter
def score(value) -> str:
    return score_text(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
