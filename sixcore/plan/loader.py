"""Write validated plan data (``datafiles.PlanData``) into the database, in one transaction.

Loading is idempotent: objects are matched by natural keys (industry code, measure code, schedule code,
work-item code, KPI code with its occurrence), changed fields are updated, new objects created and
objects no longer in the data deleted. Primary keys of unchanged objects therefore survive a reload, so
what later refers to them (submissions, revisions) stays attached.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency

from . import models as plan
from .datafiles import PlanData, read_plan_files
from .signals import plan_changed

SUB_UNIT_SEPARATOR = "("


@dataclass
class LoadStats:
    """What a load changed, per model (for the command's summary)."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    unchanged: bool = False

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())


def load_program(data: PlanData | None = None, *, force: bool = False) -> tuple[plan.Program, LoadStats]:
    """Load the data files as revision 0 of the program. Nothing is written if anything fails."""
    data = data or read_plan_files()
    stats = LoadStats()
    with transaction.atomic():
        program = plan.Program.objects.filter(revision=data.program["revision"]).first()
        if program and program.content_hash == data.content_hash and not force:
            stats.unchanged = True
            return program, stats
        agencies = _sync_agencies(data, stats)
        program = _sync(
            plan.Program,
            plan.Program.objects.filter(revision=data.program["revision"]),
            [
                {
                    "revision": data.program["revision"],
                    "name": data.program["name"],
                    "title": data.program["title"],
                    "revision_date": date.fromisoformat(data.program["revision_date"]),
                    "start_year": data.program["start_year"],
                    "end_year": data.program["end_year"],
                    "source": data.program["source"],
                    "total_budget_text": data.program["total_budget_text"],
                    "content_hash": data.content_hash,
                    "loaded_at": timezone.now(),
                }
            ],
            key=_Key("revision"),
            stats=stats,
            delete=False,
        )[(data.program["revision"],)]
        _ProgramWriter(program, agencies, stats).write(data)
        from sixcore.core.changelog import record_action

        record_action(
            program,
            "plan.load",
            message=f"created {dict(stats.created)}, updated {dict(stats.updated)}, deleted {dict(stats.deleted)}",
            postchange={"content_hash": data.content_hash},
        )
        plan_changed.send(plan.Program, since=None)
    return program, stats


class _Key:
    """Natural key of a row dict or a model instance: foreign keys by primary key, then plain fields."""

    def __init__(self, *fields: str):
        self.fields = fields

    def __call__(self, obj: Any) -> tuple:
        values = []
        for name in self.fields:
            if isinstance(obj, dict):
                value = obj[name]
                values.append(value.pk if isinstance(value, models.Model) else value)
            else:
                field = obj._meta.get_field(name)
                values.append(getattr(obj, field.attname))
        return tuple(values)


def _sync(
    model: type[models.Model],
    existing: Iterable[models.Model],
    rows: list[dict[str, Any]],
    *,
    key: Callable[[Any], Any],
    stats: LoadStats,
    delete: bool = True,
) -> dict[Any, models.Model]:
    """Make ``existing`` match ``rows`` (matched by ``key``) in a few bulk queries; return objects by key."""
    current = {key(obj): obj for obj in existing}
    result: dict[Any, models.Model] = {}
    new, changed_objs, changed_fields = [], [], set()
    name = model._meta.model_name
    for row in rows:
        k = key(row)
        obj = current.pop(k, None)
        if obj is None:
            obj = model(**row)
            new.append(obj)
        else:
            changed = [f for f, v in row.items() if f != "loaded_at" and _value(obj, f) != _value(row, f)]
            if changed:
                for f, v in row.items():
                    setattr(obj, f, v)
                changed_objs.append(obj)
                changed_fields.update(row)
        result[k] = obj
    if delete and current:
        model.objects.filter(pk__in=[o.pk for o in current.values()]).delete()
        stats.deleted[name] += len(current)
    if new:
        # SQLite ≥ 3.35 and PostgreSQL return the new primary keys from one INSERT.
        model.objects.bulk_create(new, batch_size=500)
        stats.created[name] += len(new)
    if changed_objs:
        model.objects.bulk_update(changed_objs, sorted(changed_fields), batch_size=500)
        stats.updated[name] += len(changed_objs)
    return result


def _value(obj: Any, name: str) -> Any:
    """A field's comparable value: foreign keys by primary key (without fetching the related object)."""
    if isinstance(obj, dict):
        value = obj[name]
        return value.pk if isinstance(value, models.Model) else value
    return getattr(obj, obj._meta.get_field(name).attname)


def sub_unit_code(parent_code: str, name: str) -> str:
    """A stable ASCII code for a sub-unit that the register does not name: ``moea-u1a2b3c``."""
    digest = hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]
    return f"{parent_code}-u{digest}"


def _sync_agencies(data: PlanData, stats: LoadStats) -> dict[str, Agency]:
    """Register the agencies of program.yaml and every other name the data uses; return them by name.

    Agencies are shared by all revisions and referred to by users, so they are never deleted here.
    """
    by_code = {a.code: a for a in Agency.objects.all()}
    rows = []
    for order, record in enumerate(data.agencies):
        parent = record["parent"]
        kind = AgencyKind.CORE if record["core"] else (AgencyKind.SUB_UNIT if parent else AgencyKind.MINISTRY)
        rows.append(
            {
                "code": record["code"],
                "name": record["name"],
                "full_name": record["full_name"] or record["name"],
                "kind": kind,
                "aliases": record["aliases"],
                "recognized": True,
                "order": order,
                "parent_code": parent,
            }
        )
    by_name: dict[str, Agency] = {}
    # Parents first, so sub-units can point at them.
    for row in sorted(rows, key=lambda r: r["parent_code"] is not None):
        parent_code = row.pop("parent_code")
        row["parent"] = by_code.get(parent_code) if parent_code else None
        obj = by_code.get(row["code"])
        if obj is None:
            obj = Agency.objects.create(**row)
            stats.created["agency"] += 1
        elif any(getattr(obj, f) != v for f, v in row.items()):
            for f, v in row.items():
                setattr(obj, f, v)
            obj.save()
            stats.updated["agency"] += 1
        by_code[obj.code] = obj
    for agency in by_code.values():
        by_name[agency.name] = agency
        for alias in agency.aliases:
            by_name.setdefault(alias, agency)
    order = len(rows)
    for name in sorted(data.agency_names - set(by_name)):
        order += 1
        parent_name, _, unit = name.partition(SUB_UNIT_SEPARATOR)
        parent = by_name.get(parent_name) if unit.endswith(")") else None
        if parent is not None:
            code = sub_unit_code(parent.code, name)
            defaults = {
                "name": name,
                "full_name": name,
                "parent": parent,
                "kind": AgencyKind.SUB_UNIT,
                "recognized": True,
            }
        else:
            code = sub_unit_code("x", name)
            defaults = {"name": name, "full_name": name, "kind": AgencyKind.OTHER, "recognized": False}
        obj, created = Agency.objects.get_or_create(code=code, defaults={**defaults, "order": order})
        if created:
            stats.created["agency"] += 1
        by_name[name] = obj
    return by_name


class _ProgramWriter:
    """Writes one program revision's tree level by level: a handful of bulk queries per model."""

    def __init__(self, program: plan.Program, agencies: dict[str, Agency], stats: LoadStats):
        self.program = program
        self.agencies = agencies
        self.stats = stats
        self.links: dict[type[models.Model], list[tuple[str, Any, list[str], str | None]]] = {}

    def sync(
        self, model: type[models.Model], existing: Iterable[models.Model], rows: list[dict], *keys: str
    ) -> dict:
        return _sync(model, existing, rows, key=_Key(*keys), stats=self.stats)

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
        self._write_kpis(data, industry_of, measures)
        self._write_schedules(data, industry_of, schedules)
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

    def _write_kpis(self, data: PlanData, industry_of: dict, measures: dict) -> None:
        rows, records = [], []
        for i in data.industries:
            industry = industry_of[i["code"]]
            for m in i["measures"]:
                measure = measures[(industry.pk, m["code"])]
                occurrences: Counter[str] = Counter()
                for n, k in enumerate(m["kpis"]):
                    occurrences[k["code"]] += 1
                    code = (
                        k["code"] if occurrences[k["code"]] == 1 else f"{k['code']}#{occurrences[k['code']]}"
                    )
                    rows.append(
                        {
                            "measure": measure,
                            "code": code,
                            "order": n,
                            "full_term_text": k["full_term"]["text"],
                            "full_term_target": k["full_term"]["target"],
                            "full_term_source": k["full_term"]["source"],
                            "own_agencies": bool(k["agencies"]),
                            "line": k["line"],
                            "extra_lines": k["extra_lines"],
                            "notes": k["notes"],
                        }
                    )
                    records.append((industry, m, k))
        kpis = self.sync(
            plan.KPI,
            plan.KPI.objects.filter(measure__industry__program=self.program),
            rows,
            "measure",
            "code",
        )
        kpi_by_printed: dict[tuple[int, str, str], plan.KPI] = {}
        ordered = []
        for row, (industry, m, k) in zip(rows, records, strict=True):
            kpi = kpis[(row["measure"].pk, row["code"])]
            kpi_by_printed.setdefault((industry.pk, m["code"], k["code"]), kpi)
            self.link(plan.KPIAgency, "kpi", kpi, k["agencies"] or m["agencies"])
            ordered.append((industry, kpi, k))
        self._write_annual(ordered, kpi_by_printed)

    def _write_annual(self, ordered: list, kpi_by_printed: dict) -> None:
        """Annual targets and their cells; a merged cell is one row shared by the KPIs it spans."""
        existing_targets = {
            (a.kpi_id, a.year): a
            for a in plan.AnnualTarget.objects.filter(
                kpi__measure__industry__program=self.program
            ).select_related("cell")
        }
        # A cell is identified by the KPI that carries its text (the first row of the span, in document
        # order) and the year.
        position = {kpi.pk: n for n, (_, kpi, _) in enumerate(ordered)}
        holders: dict[int, list[plan.AnnualTarget]] = {}
        for annual in existing_targets.values():
            holders.setdefault(annual.cell_id, []).append(annual)
        existing_cells: dict[tuple[int, int], plan.TargetCell] = {}
        for held in holders.values():
            first = min(held, key=lambda a: position.get(a.kpi_id, len(position)))
            existing_cells[(first.kpi_id, first.year)] = first.cell
        cell_rows, target_specs = [], []
        for industry, kpi, k in ordered:
            for year_text, cell in k["annual"].items():
                year = int(year_text)
                if cell.get("merged_with"):
                    carrier = kpi_by_printed[(industry.pk, cell["merged_with_measure"], cell["merged_with"])]
                else:
                    carrier = kpi
                    cell_rows.append(
                        {
                            "program": self.program,
                            "carrier": kpi.pk,
                            "year": year,
                            "text": cell["text"],
                            "line": kpi.line,
                        }
                    )
                target_specs.append((kpi, year, carrier.pk, cell))
        # Match cells to their carriers' current cells; create the missing ones in one INSERT.
        cells: dict[tuple[int, int], plan.TargetCell] = {}
        new_cells, changed_cells = [], []
        for row in cell_rows:
            k = (row["carrier"], row["year"])
            current = existing_cells.get(k)
            if current is not None and k not in cells:
                if current.text != row["text"] or current.line != row["line"]:
                    current.text, current.line = row["text"], row["line"]
                    changed_cells.append(current)
                cells[k] = current
            else:
                cells[k] = plan.TargetCell(program=self.program, text=row["text"], line=row["line"])
                new_cells.append(cells[k])
        plan.TargetCell.objects.bulk_create(new_cells, batch_size=500)
        if changed_cells:
            plan.TargetCell.objects.bulk_update(changed_cells, ["text", "line"], batch_size=500)
        self.stats.created["targetcell"] += len(new_cells)
        self.stats.updated["targetcell"] += len(changed_cells)
        self.sync(
            plan.AnnualTarget,
            existing_targets.values(),
            [
                {
                    "kpi": kpi,
                    "year": year,
                    "cell": cells[(carrier_pk, year)],
                    "merged": cell["merged"],
                    "target": cell["target"],
                    "source": cell["source"],
                    "part": cell.get("part") or "",
                    "reading_note": cell.get("reading_note") or "",
                }
                for kpi, year, carrier_pk, cell in target_specs
            ],
            "kpi",
            "year",
        )

    def _write_schedules(self, data: PlanData, industry_of: dict, schedules: dict) -> None:
        task_rows, approach_specs = [], []
        for i in data.industries:
            industry = industry_of[i["code"]]
            for s in i["schedules"]:
                schedule = schedules[(industry.pk, s["code"])]
                for t in s["tasks"]:
                    task_rows.append(
                        {
                            "schedule": schedule,
                            "seq": t["seq"],
                            "title": t["title"],
                            "targets": t["targets"],
                            "line": t["line"],
                            "notes": t["notes"],
                        }
                    )
                    approach_specs.append((schedule, t))
        tasks = self.sync(
            plan.Task,
            plan.Task.objects.filter(schedule__industry__program=self.program),
            task_rows,
            "schedule",
            "seq",
        )
        approach_rows, item_specs = [], []
        for schedule, t in approach_specs:
            task = tasks[(schedule.pk, t["seq"])]
            for n, a in enumerate(t["approaches"]):
                approach_rows.append(
                    {
                        "task": task,
                        "code": a["code"],
                        "title": a["title"],
                        "line": a["line"],
                        "order": n,
                        "notes": a["notes"],
                    }
                )
                item_specs.append((schedule, task, n, a))
        approaches = self.sync(
            plan.Approach,
            plan.Approach.objects.filter(task__schedule__industry__program=self.program),
            approach_rows,
            "task",
            "order",
        )
        item_rows, item_records = [], []
        occurrences: Counter[tuple[int, str]] = Counter()
        order: Counter[int] = Counter()
        for schedule, task, n, a in item_specs:
            for wi in a["work_items"]:
                occurrences[(schedule.pk, wi["code"])] += 1
                count = occurrences[(schedule.pk, wi["code"])]
                order[schedule.pk] += 1
                item_rows.append(
                    {
                        "schedule": schedule,
                        "approach": approaches[(task.pk, n)],
                        "code": wi["code"] if count == 1 else f"{wi['code']}#{count}",
                        "code_in_source": wi["code_in_source"],
                        "inferred": wi["inferred"],
                        "title": wi["title"],
                        "period_text": wi["period"],
                        "start": wi["start"],
                        "end": wi["end"],
                        "line": wi["line"],
                        "order": order[schedule.pk],
                        "notes": wi["notes"],
                    }
                )
                item_records.append(wi)
        items = self.sync(
            plan.WorkItem,
            plan.WorkItem.objects.filter(schedule__industry__program=self.program),
            item_rows,
            "schedule",
            "code",
        )
        for row, wi in zip(item_rows, item_records, strict=True):
            item = items[(row["schedule"].pk, row["code"])]
            self.link(plan.WorkItemAgency, "work_item", item, wi["lead"], role="lead")
            self.link(plan.WorkItemAgency, "work_item", item, wi["co"], role="co")

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
