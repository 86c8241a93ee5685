"""Copy a whole program revision into a new ``Program`` row, with the same natural keys.

Model by model in dependency order, each in one ``bulk_create`` (SQLite ≥ 3.35 and PostgreSQL return the
new primary keys), remapping foreign keys through old → new maps: about twenty INSERTs for the whole
program, whatever its size. Bulk writes send no signals: the caller records one named action.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models, transaction

from sixcore.plan import models as plan

# (model, queryset filter to the program, foreign keys to remap {field: model they point to})
_PLAN: list[tuple[type[models.Model], str, dict[str, type[models.Model]]]] = [
    (plan.Industry, "program", {"program": plan.Program}),
    (plan.IndustryLeadAgency, "industry__program", {"industry": plan.Industry}),
    (plan.SubArea, "industry__program", {"industry": plan.Industry}),
    (plan.Strategy, "industry__program", {"industry": plan.Industry, "sub_area": plan.SubArea}),
    (plan.ScheduleTable, "industry__program", {"industry": plan.Industry}),
    (
        plan.Measure,
        "industry__program",
        {"industry": plan.Industry, "strategy": plan.Strategy, "schedule": plan.ScheduleTable},
    ),
    (plan.MeasureAgency, "measure__industry__program", {"measure": plan.Measure}),
    (plan.Task, "schedule__industry__program", {"schedule": plan.ScheduleTable}),
    (plan.Approach, "task__schedule__industry__program", {"task": plan.Task}),
    (
        plan.WorkItem,
        "schedule__industry__program",
        {"schedule": plan.ScheduleTable, "approach": plan.Approach},
    ),
    (plan.WorkItemAgency, "work_item__schedule__industry__program", {"work_item": plan.WorkItem}),
    (plan.KPI, "measure__industry__program", {"measure": plan.Measure}),
    (plan.KPIAgency, "kpi__measure__industry__program", {"kpi": plan.KPI}),
    (plan.TargetCell, "program", {"program": plan.Program}),
    (plan.AnnualTarget, "kpi__measure__industry__program", {"kpi": plan.KPI, "cell": plan.TargetCell}),
    (plan.BudgetLine, "program", {"program": plan.Program, "industry": plan.Industry}),
    (plan.BudgetStatedTotal, "program", {"program": plan.Program, "industry": plan.Industry}),
    (plan.SecurityBudgetRatio, "program", {"program": plan.Program}),
    (plan.Footnote, "program", {"program": plan.Program}),
]


def copy_program(
    program: plan.Program,
    revision: int,
    effective_from: str,
    *,
    title: str = "",
    reason: str = "",
    revision_date: date | None = None,
) -> plan.Program:
    """A new ``Program`` (``revision``, ``effective_from``) holding a full copy of ``program``'s tree."""
    with transaction.atomic():
        copy = plan.Program.objects.create(
            name=program.name,
            revision=revision,
            title=title or f"rev. {revision}",
            revision_date=revision_date or date.today(),
            start_year=program.start_year,
            end_year=program.end_year,
            effective_from=effective_from,
            reason=reason,
            source=program.source,
            total_budget_text=program.total_budget_text,
        )
        new_pk: dict[type[models.Model], dict[int, int]] = {plan.Program: {program.pk: copy.pk}}
        for model, path, remap in _PLAN:
            old_rows = list(model.objects.filter(**{path: program}).order_by("pk"))
            clones = []
            for row in old_rows:
                values: dict[str, Any] = {}
                for field in model._meta.concrete_fields:
                    if field.primary_key:
                        continue
                    value = getattr(row, field.attname)
                    if field.name in remap and value is not None:
                        value = new_pk[remap[field.name]][value]
                    values[field.attname] = value
                clones.append(model(**values))
            model.objects.bulk_create(clones, batch_size=500)
            new_pk[model] = {old.pk: new.pk for old, new in zip(old_rows, clones, strict=True)}
    return copy
