"""Template helpers for plan pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from sixcore.plan.export import printed_code
from sixcore.plan.typeset import strip_marker, typeset

register = template.Library()

# plan/targets.py records in English why it read a target as it did; officers read it in their language.
BASIS_ZH = {
    "full-term default": gettext_lazy("The full-term target does not say: read as cumulative over the term"),
    "annual default": gettext_lazy("The annual target does not say: read as that year's figure"),
    "no quantity": gettext_lazy("No figure to quantify: read as a milestone"),
    "override in data file": gettext_lazy("set in the data file"),
    "row: the annual figures add up to the full-term figure": gettext_lazy(
        "The annual figures add up to the full-term figure: read as each year's own amount"
    ),
    "row: the annual figures rise to the full-term figure": gettext_lazy(
        "The annual figures rise to the full-term figure: read as the total to date"
    ),
    "row: the annual figures rise and a cell says 累計": gettext_lazy(
        "The annual figures rise and a later cell says 累計: read as the total to date"
    ),
    "row: the same figure each year adds up to the stated total": gettext_lazy(
        "The same figure each year adds up to the stated total: read as each year's own amount"
    ),
    "row: the same figure every year, the full-term figure": gettext_lazy(
        "The same figure every year, equal to the full-term figure: read as the same items to date"
    ),
    "row: the full-term target is per year": gettext_lazy(
        "The full-term target is stated per year: read as each year's own amount"
    ),
}

KIND_LABELS = {
    "cumulative": gettext_lazy("cumulative"),
    "per_period": gettext_lazy("per period"),
    "level": pgettext_lazy("target kind", "level"),
    "milestone": gettext_lazy("milestone"),
}


@register.filter
def basis_zh(basis: str | None) -> str:
    """``keyword 累計`` → 「依「累計」判讀」; other reasons from ``BASIS_ZH``; unknown ones unchanged."""
    if not basis:
        return ""
    # 「row: …; part of the cell (…): reason」 and 「…; unit of the full-term target」: the first clause.
    head = basis.split(";", 1)[0].split(" (", 1)[0] if basis.startswith(("row:", "part of")) else basis
    head = head.removesuffix("; unit of the full-term target")
    if head.startswith("keyword "):
        return gettext("Read by the word %(word)s") % {"word": f"「{head.removeprefix('keyword ')}」"}
    if head.startswith("part of the cell"):
        return gettext("Read on the part of the shared cell about this KPI")
    if head.startswith("override in data file"):
        return str(BASIS_ZH["override in data file"])
    return str(BASIS_ZH.get(head, head))


@register.filter
def kind_label(kind: str | None) -> str:
    """The target kind in the reader's words (累計、每期、水準、里程碑)."""
    return str(KIND_LABELS.get(kind or "", "—"))


@register.filter
def shown(text: str | None, footnote: object = None) -> str:
    """A text of the document as a person reads it: typeset, without the footnote marker the
    footnote carries (the verbatim text stays in the data and the export)."""
    marker = getattr(footnote, "marker", "") or ""
    return typeset(strip_marker(text or "", marker))


@register.filter
def printed(code: str | None) -> str:
    """A code as the document prints it (a code printed twice is stored as ``CODE#2``)."""
    return printed_code(code or "")


@register.filter
def lookup(mapping: dict | None, key: object) -> object:
    """``mapping[key]`` in a template (None when absent)."""
    return (mapping or {}).get(key)
