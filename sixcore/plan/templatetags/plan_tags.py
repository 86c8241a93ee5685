"""Template helpers for plan pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_lazy

register = template.Library()

# plan/targets.py records in English why it read a target as it did; officers read it in their language.
BASIS_ZH = {
    "full-term default": gettext_lazy("The full-term target does not say: read as cumulative over the term"),
    "annual default": gettext_lazy("The annual target does not say: read as that year's figure"),
    "no quantity": gettext_lazy("No figure to quantify: read as a milestone"),
    "override in data file": gettext_lazy("set in the data file"),
}


@register.filter
def basis_zh(basis: str | None) -> str:
    """``keyword 累計`` → 「依「累計」判讀」; other reasons from ``BASIS_ZH``; unknown ones unchanged."""
    if not basis:
        return ""
    if basis.startswith("keyword "):
        return gettext("Read by the word %(word)s") % {"word": f"「{basis.removeprefix('keyword ')}」"}
    return str(BASIS_ZH.get(basis, basis))
