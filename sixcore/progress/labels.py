"""How the report form's lines and fields are named to people, and which KPI actuals may be negative.

Messages from ``save_lines`` and the completeness check name a field as the form shows it
(``績效指標 2.1.14 實際值``), never by its internal key (``kpis 2.1/2.1.14 value``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy

from .models import BudgetReport, KPIReport, MeasureReport, WorkItemReport

LINE_MODELS = {
    "measures": MeasureReport,
    "kpis": KPIReport,
    "work_items": WorkItemReport,
    "budget": BudgetReport,
}

# What a person calls each kind of line (the form's headings), for messages that name a field.
KIND_LABELS = {
    "measures": gettext_lazy("Measure"),
    "kpis": gettext_lazy("KPI"),
    "work_items": gettext_lazy("Work item"),
    "budget": gettext_lazy("Budget"),
}


def line_label(kind: str, code: str) -> str:
    """``績效指標 2.1.14``: a KPI is named by its own code (the form's ``2.1/2.1.14`` is internal)."""
    shown = code.rsplit("/", 1)[-1] if kind == "kpis" else code
    return f"{KIND_LABELS.get(kind, kind)} {shown}"


def field_label(kind: str, name: str) -> str:
    """The field's verbose name (``實際值``, ``累計執行數``), as the form's column headings say it."""
    model = LINE_MODELS.get(kind)
    if model is None or not name:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


# A KPI counts things (件, 家, 案, 人次 …) or amounts that cannot fall below zero, unless it measures a
# change: then its target text says so, and a negative actual (a decrease) is a true report.
CHANGE_WORDS = ("增加", "成長", "增減", "變動", "減少", "降低", "差額", "變化")


def negative_allowed(target_texts: Iterable[str]) -> bool:
    """Whether a KPI's actual may be negative: only when one of its target texts (the year's cell or
    the full-term target) describes a change (CHANGE_WORDS)."""
    return any(word in (text or "") for text in target_texts for word in CHANGE_WORDS)
