from django import template
from django.utils.safestring import mark_safe

from ..highlight import excerpt

register = template.Library()


@register.simple_tag
def highlighted(text: str, terms: list[str]) -> str:
    """``excerpt`` escapes every character of ``text`` itself; only its own <mark> tags are markup."""
    return mark_safe(excerpt(text or "", terms))  # noqa: S308
