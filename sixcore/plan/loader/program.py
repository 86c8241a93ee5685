"""One program revision's tree written level by level (industries, sub-areas, strategies, schedule tables,
measures, budget, security ratios, footnotes) and the agency links of every level, queued and written
together. The KPIs and the schedules' contents are written by ``kpis`` and ``schedules``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from sixcore.accounts.models import Agency

from .. import models as plan
from ..datafiles import PlanData
from .kpis import write_kpis
from .schedules import write_schedules
from .sync import Key, LoadStats, sync


class ProgramWriter:
    """Writes one program revision's tree level by level: a handful of bulk queries per model."""

    def __init__(self, program: plan.Program, agencies: dict[str, Agency], stats: LoadStats):
        self.program = program
        self.agencies = agencies
        self.stats = stats
        self.links: dict[type[models.Model], list[tuple[str, Any, list[str], str | None]]] = {}

    def sync(
        self, model: type[models.Model], existing: Iterable[models.Model], rows: list[dict], *keys: str
    ) -> dict:
        return sync(model, existing, rows, key=Key(*keys), stats=self.stats)

    def write(self, data: PlanData) -> None:
        program = self.program
        industries = self.sync(
            plan.Industry,
            program.industries.all(),
            [
                {
                    "program": program,
                    "code": i["code"],
                    "name": i["name"],
                    "vision": i["vision"],
                    "vision_line": i["vision_line"],
                    "kpi_table_heading": i["kpi_table_heading"],
                    "framework_strategies": i["framework_strategies"],
                    "line": i["line"],
                }
                for i in data.industries
            ],
            "program",
            "code",
        )
        industry_of = {i["code"]: industries[(program.pk, i["code"])] for i in data.industries}
        for record in data.industries:
            self.link(
                plan.IndustryLeadAgency, "industry", industry_of[record["code"]], record["lead_agencies"]
            )

        sub_areas = self.sync(
            plan.SubArea,
            plan.SubArea.objects.filter(industry__program=program),
            [
                {
                    "industry": industry_of[i["code"]],
                    "code": s["code"],
                    "name": s["name"],
                    "vision": s["vision"],
                    "kpi_table_heading": s["kpi_table_heading"],
                    "lead_agency_names": s["lead_agencies"],
                    "line": s.get("kpi_table_line") or s["line"],
                    "order": n,
                }
                for i in data.industries
                for n, s in enumerate(i["sub_areas"])
            ],
            "industry",
            "code",
        )
        strategies = self.sync(
            plan.Strategy,
            plan.Strategy.objects.filter(industry__program=program),
            [
                {
                    "industry": industry_of[i["code"]],
                    "seq": s["seq"],
                    "label": s["label"],
                    "name": s["name"],
                    "sub_area": sub_areas[(industry_of[i["code"]].pk, s["sub_area"])]
                    if s["sub_area"]
                    else None,
                    "line": s["line"],
                    "notes": s["notes"],
                }
                for i in data.industries
                for s in i["strategies"]
            ],
            "industry",
            "seq",
        )
        schedules = self.sync(
            plan.ScheduleTable,
            plan.ScheduleTable.objects.filter(industry__program=program),
            [
                {
                    "industry": industry_of[i["code"]],
                    "code": s["code"],
                    "title": s["title"],
                    "heading_agency_names": s["heading_agencies"],
                    "line": s["line"],
                    "order": n,
                    "notes": s["notes"],
                }
                for i in data.industries
                for n, s in enumerate(i["schedules"])
            ],
            "industry",
            "code",
        )
        measure_rows = []
        for i in data.industries:
            industry = industry_of[i["code"]]
            for n, m in enumerate(i["measures"]):
                measure_rows.append(
                    {
                        "industry": industry,
                        "strategy": strategies[(industry.pk, m["strategy_seq"])],
                        "code": m["code"],
                        "code_as_written": m["code_as_written"],
                        "name": m["name"],
                        "schedule": schedules[(industry.pk, m["schedule"])] if m["schedule"] else None,
                        "line": m["line"],
                        "order": n,
                        "notes": m["notes"],
                    }
                )
        measures = self.sync(
            plan.Measure,
            plan.Measure.objects.filter(industry__program=program),
            measure_rows,
            "industry",
            "code",
        )
        for i in data.industries:
            for m in i["measures"]:
                self.link(
                    plan.MeasureAgency,
                    "measure",
                    measures[(industry_of[i["code"]].pk, m["code"])],
                    m["agencies"],
                )
        write_kpis(self, data, industry_of, measures)
        write_schedules(self, data, industry_of, schedules)
        self._write_budget(data, industry_of)
        self.sync(
            plan.SecurityBudgetRatio,
            program.security_ratios.all(),
            [
                {
                    "program": program,
                    "year_label": r["year"],
                    "tier": r["tier"],
                    "text": r["text"],
                    "percent": r["percent"],
                    "basis": r["basis"],
                    "line": r["line"],
                    "order": n,
                }
                for n, r in enumerate(data.security_ratios)
            ],
            "program",
            "order",
        )
        self.sync(
            plan.Footnote,
            program.footnotes.all(),
            [{"program": program, **note} for note in data.footnotes],
            "program",
            "number",
        )
        self._write_links()
        # Cells no longer used by any annual target (after a reload that changed merges).
        deleted, _ = program.target_cells.filter(annual_targets__isnull=True).delete()
        if deleted:
            self.stats.deleted["targetcell"] += deleted

    def link(
        self,
        model: type[models.Model],
        owner_field: str,
        owner: Any,
        names: list[str],
        role: str | None = None,
    ) -> None:
        """Queue an owner's agency links; written together by ``_write_links``."""
        self.links.setdefault(model, []).append((owner_field, owner, names, role))

    def _write_links(self) -> None:
        """Replace the agency links that differ from the data (links carry no identity of their own)."""
        for model, wanted_links in self.links.items():
            owner_field = wanted_links[0][0]
            owner_attr = model._meta.get_field(owner_field).attname
            owner_ids = [owner.pk for _, owner, _, _ in wanted_links]
            existing: dict[tuple, list[int]] = {}
            rows_of: dict[tuple, list[int]] = {}
            has_role = any(role for *_, role in wanted_links)
            for link in model.objects.filter(**{f"{owner_attr}__in": owner_ids}).order_by("order"):
                k = (getattr(link, owner_attr), getattr(link, "role", None) if has_role else None)
                existing.setdefault(k, []).append(link.agency_id)
                rows_of.setdefault(k, []).append(link.pk)
            stale, new = [], []
            for _, owner, names, role in wanted_links:
                agency_ids = []
                for name in names:
                    agency_id = self.agencies[name].pk
                    if agency_id not in agency_ids:  # 4.4 lists 科技部 twice
                        agency_ids.append(agency_id)
                k = (owner.pk, role)
                if existing.get(k, []) == agency_ids:
                    continue
                stale += rows_of.get(k, [])
                extra = {"role": role} if role else {}
                new += [
                    model(**{owner_field: owner}, agency_id=a, order=n, **extra)
                    for n, a in enumerate(agency_ids)
                ]
            if stale:
                model.objects.filter(pk__in=stale).delete()
            if new:
                model.objects.bulk_create(new, batch_size=500)
            name = model._meta.model_name
            if stale:
                self.stats.deleted[name] += len(stale)
            if new:
                self.stats.created[name] += len(new)

    def _write_budget(self, data: PlanData, industry_of: dict) -> None:
        self.sync(
            plan.BudgetLine,
            plan.BudgetLine.objects.filter(program=self.program),
            [
                {
                    "program": self.program,
                    "industry": industry_of[c["industry"]],
                    "year": c["year"],
                    "amount": c["amount"],
                    "line": c["line"],
                }
                for c in data.budget["cells"]
            ],
            "industry",
            "year",
        )
        self.sync(
            plan.BudgetStatedTotal,
            plan.BudgetStatedTotal.objects.filter(program=self.program),
            [
                {
                    "program": self.program,
                    "kind": t["kind"],
                    "industry": industry_of[t["industry"]] if t["industry"] else None,
                    "year": t["year"],
                    "amount": t["amount"],
                    "line": t["line"],
                }
                for t in data.budget["stated_totals"]
            ],
            "kind",
            "industry",
            "year",
        )
