"""The whole program revision as one JSON-ready dict (``sixcore plan export``).

The shape is the contract of issue #2 (program, budget, industries, measures, work_items, kpis) with more
keys (strategies, schedules, tasks, agencies, stated budget totals, 表 2, seed line numbers, footnotes,
``inferred`` marks, and a typeset ``display`` text beside each verbatim target text). Output is
deterministic — no timestamps, stable order — so two exports of the same revision are byte-identical.
A fixed number of queries, whatever the size of the program.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from sixcore.accounts.models import Agency

from . import models as plan
from .typeset import strip_marker, typeset


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _month(value: date | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def printed_code(code: str) -> str:
    """KPI and work-item codes printed twice in one table are stored as ``CODE#2``; show them as printed."""
    return code.split("#", 1)[0]


def export_program(program: plan.Program) -> dict[str, Any]:
    """Everything of one revision of the program, as the document states it."""
    industries = list(
        program.industries.prefetch_related(
            Prefetch(
                "industryleadagency_set", queryset=plan.IndustryLeadAgency.objects.select_related("agency")
            ),
            "sub_areas",
        )
    )
    industry_codes = {i.pk: i.code for i in industries}
    strategies = list(
        plan.Strategy.objects.filter(industry__program=program).select_related("industry", "sub_area")
    )
    strategy_codes = {s.pk: s.code for s in strategies}
    schedules = list(plan.ScheduleTable.objects.filter(industry__program=program).select_related("industry"))
    measures = list(
        plan.Measure.objects.filter(industry__program=program)
        .select_related("industry", "schedule", "strategy__sub_area")
        .prefetch_related(
            Prefetch("measureagency_set", queryset=plan.MeasureAgency.objects.select_related("agency"))
        )
        .order_by("industry__code", "order")
    )
    measures_of_schedule: dict[int, list[str]] = defaultdict(list)
    for m in measures:
        if m.schedule_id:
            measures_of_schedule[m.schedule_id].append(m.code)
    tasks = list(plan.Task.objects.filter(schedule__industry__program=program).select_related("schedule"))
    items = list(
        plan.WorkItem.objects.filter(schedule__industry__program=program)
        .select_related("schedule__industry", "approach__task")
        .prefetch_related(
            Prefetch("workitemagency_set", queryset=plan.WorkItemAgency.objects.select_related("agency"))
        )
        .order_by("schedule__industry__code", "schedule__order", "order")
    )
    kpis = list(
        plan.KPI.objects.filter(measure__industry__program=program)
        .select_related("measure__industry")
        .prefetch_related(
            Prefetch("kpiagency_set", queryset=plan.KPIAgency.objects.select_related("agency")),
            Prefetch("annual_targets", queryset=plan.AnnualTarget.objects.select_related("cell")),
        )
        .order_by("measure__industry__code", "measure__order", "order")
    )
    merged_with = _merge_carriers(kpis)
    footnotes = list(program.footnotes.all())
    markers = {note.attaches_to: note.marker for note in footnotes if note.attaches_to}
    used_agency_ids = {link.agency_id for i in industries for link in i.industryleadagency_set.all()}
    used_agency_ids |= {link.agency_id for m in measures for link in m.measureagency_set.all()}
    used_agency_ids |= {link.agency_id for w in items for link in w.workitemagency_set.all()}
    used_agency_ids |= {link.agency_id for k in kpis for link in k.kpiagency_set.all()}
    agencies = (
        Agency.objects.filter(pk__in=used_agency_ids).select_related("parent").order_by("order", "code")
    )

    return {
        "program": {
            "name": program.name,
            "revision": program.revision,
            "title": program.title,
            "revision_date": program.revision_date.isoformat(),
            "effective_from": program.effective_from or None,
            "start_year": program.start_year,
            "end_year": program.end_year,
            "source": program.source,
            "total_budget_text": program.total_budget_text,
        },
        "agencies": [
            {
                "code": a.code,
                "name": a.name,
                "full_name": a.full_name,
                "parent": a.parent.code if a.parent else None,
                "kind": a.kind,
                "recognized": a.recognized,
            }
            for a in agencies
        ],
        "budget": [
            {"industry": b.industry.code, "year": b.year, "amount": _number(b.amount), "line": b.line}
            for b in program.budget_lines.select_related("industry").order_by("industry__code", "year")
        ],
        "budget_stated_totals": [
            {
                "kind": t.kind,
                "industry": t.industry.code if t.industry else None,
                "year": t.year,
                "amount": _number(t.amount),
                "line": t.line,
            }
            for t in program.budget_totals.select_related("industry").order_by(
                "kind", "industry__code", "year"
            )
        ],
        "security_budget_ratios": [
            {
                "year": r.year_label,
                "tier": r.tier,
                "text": r.text,
                "percent": _number(r.percent),
                "basis": r.basis,
                "line": r.line,
            }
            for r in program.security_ratios.order_by("order")
        ],
        "industries": [
            {
                "code": i.code,
                "name": i.name,
                "vision": i.vision,
                "lead_agencies": [link.agency.name for link in i.industryleadagency_set.all()],
                "kpi_table_heading": i.kpi_table_heading,
                "framework_strategies": i.framework_strategies,
                "sub_areas": [
                    {
                        "code": s.code,
                        "name": s.name,
                        "vision": s.vision,
                        "lead_agencies": s.lead_agency_names,
                        "kpi_table_heading": s.kpi_table_heading,
                        "line": s.line,
                    }
                    for s in i.sub_areas.all()
                ],
                "line": i.line,
                "vision_line": i.vision_line,
            }
            for i in industries
        ],
        "strategies": [
            {
                "code": s.code,
                "industry": s.industry.code,
                "seq": s.seq,
                "label": s.label,
                "name": s.name,
                "sub_area": s.sub_area.code if s.sub_area else None,
                "line": s.line,
            }
            for s in sorted(strategies, key=lambda s: (s.industry.code, s.seq))
        ],
        "schedules": [
            {
                "code": s.code,
                "industry": s.industry.code,
                "title": s.title,
                "heading_agencies": s.heading_agency_names,
                "measures": measures_of_schedule.get(s.pk, []),
                "line": s.line,
            }
            for s in sorted(schedules, key=lambda s: (s.industry.code, s.order))
        ],
        "tasks": [
            {
                "schedule": t.schedule.code,
                "seq": t.seq,
                "title": t.title,
                "targets": t.targets,
                "targets_display": [
                    _display(text, markers.get(f"task:{t.schedule.code}:{t.seq}:target", ""))
                    for text in t.targets
                ],
                "line": t.line,
            }
            for t in sorted(tasks, key=lambda t: (t.schedule.industry_id, t.schedule.order, t.seq))
        ],
        "measures": [
            {
                "code": m.code,
                "code_as_written": m.code_as_written,
                "schedule_code": m.schedule.code if m.schedule else None,
                "industry": industry_codes[m.industry_id],
                "strategy": strategy_codes[m.strategy_id],
                "sub_area": m.strategy.sub_area.code if m.strategy.sub_area else None,
                "name": m.name,
                "agencies": [link.agency.name for link in m.measureagency_set.all()],
                "line": m.line,
            }
            for m in measures
        ],
        "work_items": [_work_item(w, measures_of_schedule) for w in items],
        "kpis": [_kpi(k, merged_with, markers) for k in kpis],
        "footnotes": [
            {
                "number": note.number,
                "text": note.text,
                "attaches_to": _cell_ref(note.attaches_to),
                "marker": note.marker or None,
                "line": note.line,
                "marker_line": note.marker_line,
            }
            for note in footnotes
        ],
    }


def _cell_ref(attaches_to: str) -> dict[str, Any] | None:
    """``kpi:5.3.2:full_term`` → {"kind": "kpi", "code": "5.3.2", "cell": "full_term"};
    ``task:5-3:2:target`` → {"kind": "task", "schedule": "5-3", "seq": 2, "cell": "target"}."""
    if not attaches_to:
        return None
    parts = attaches_to.split(":")
    if parts[0] == "kpi":
        return {"kind": "kpi", "code": parts[1], "cell": parts[2]}
    return {"kind": "task", "schedule": parts[1], "seq": int(parts[2]), "cell": parts[3]}


def _display(text: str, marker: str = "") -> str:
    """What a person reads: typeset, without the footnote marker (the footnote carries it)."""
    return typeset(strip_marker(text, marker))


def _work_item(item: plan.WorkItem, measures_of_schedule: dict[int, list[str]]) -> dict[str, Any]:
    links = list(item.workitemagency_set.all())
    lead = [link.agency.name for link in links if link.role == "lead"]
    co = [link.agency.name for link in links if link.role == "co"]
    covered = measures_of_schedule.get(item.schedule_id, [])
    return {
        "measure": covered[0] if covered else None,
        "schedule": item.schedule.code,
        "code": printed_code(item.code),
        "code_in_source": item.code_in_source,
        "task": item.approach.task.title,
        "task_seq": item.approach.task.seq,
        "approach": item.approach.title,
        "approach_code": item.approach.code or None,
        "title": item.title,
        "title_display": typeset(item.title),
        "period": item.period_text,
        "start": _month(item.start),
        "end": _month(item.end),
        "agencies": lead + [name for name in co if name not in lead],
        "lead_agencies": lead,
        "co_agencies": co,
        "inferred": item.inferred,
        "line": item.line,
    }


def _merge_carriers(kpis: list[plan.KPI]) -> dict[tuple[int, int], str]:
    """For a merged cell, the code of the KPI that carries its text (the first row it spans)."""
    first_holder: dict[int, str] = {}
    carriers = {}
    for kpi in kpis:
        for annual in kpi.annual_targets.all():
            if annual.cell_id in first_holder:
                carriers[(kpi.pk, annual.year)] = first_holder[annual.cell_id]
            else:
                first_holder[annual.cell_id] = printed_code(kpi.code)
    return carriers


def _kpi(kpi: plan.KPI, merged_with: dict[tuple[int, int], str], markers: dict[str, str]) -> dict[str, Any]:
    code = printed_code(kpi.code)
    annual = {}
    for a in kpi.annual_targets.all():
        annual[str(a.year)] = {
            "text": a.cell.text,
            "display": _display(a.cell.text, markers.get(f"kpi:{code}:{a.year}", "")),
            "target": a.target,
            "source": a.source,
            "merged": a.merged,
            "merged_with": merged_with.get((kpi.pk, a.year)),
            "part": a.part or None,
            "reading_note": a.reading_note or None,
        }
    return {
        "code": code,
        "measure": kpi.measure.code,
        "industry": kpi.measure.industry.code,
        "agencies": [link.agency.name for link in kpi.kpiagency_set.all()],
        "own_agencies": kpi.own_agencies,
        "full_term": {
            "text": kpi.full_term_text,
            "display": _display(kpi.full_term_text, markers.get(f"kpi:{code}:full_term", "")),
            "target": kpi.full_term_target,
            "source": kpi.full_term_source,
        },
        "annual": annual,
        "line": kpi.line,
        "extra_lines": kpi.extra_lines,
    }
