"""Drafting and editing plan revisions: the one write path for the web pages and the upload.

Every function here takes the acting user, locks the revision row, refuses anything but an NDC user on a
proposed (draft) revision, writes inside one transaction and records a named action on the revision
(``revision.propose``, ``revision.edit``, ``revision.upload``). The plan objects' own saves are audited
by the plan app's change tracking, so each changed cell also appears in its KPI's or work item's history.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sixcore.accounts.models import Agency
from sixcore.accounts.policy import is_ndc
from sixcore.core.roc import RocDateError, format_quarter, format_roc_month, parse_quarter
from sixcore.plan import models as plan
from sixcore.plan.datafiles import DATA_DIR, DataError, PlanData, Problem, quantify, read_plan_files
from sixcore.plan.models import programs_in_force

from .choices import RevisionStatus
from .copy import copy_program
from .models import InvalidTransition, PlanRevision

DATA_FILE_NAME = re.compile(r"^(program|kpis_[1-6]|schedules_[1-6])\.yaml$")
NAME_SEPARATORS = re.compile(r"[、,，;；\n]+")


class RevisionError(ValueError):
    """An edit that cannot be applied (unknown KPI, bad quarter…); the message says why."""


def normalize_quarter(text: str, program: plan.Program) -> str:
    """``112q1`` / ``112 年第 1 季`` → ``112Q1``, inside the program's years."""
    try:
        year, quarter = parse_quarter(text)
    except RocDateError as exc:
        raise RevisionError(_("Not a quarter like 112Q1: %(text)s") % {"text": text}) from exc
    if not program.start_year <= year <= program.end_year:
        raise RevisionError(
            _("The effective period must fall within %(start)s–%(end)s.")
            % {"start": program.start_year, "end": program.end_year}
        )
    return format_quarter(year, quarter)


def draft_revision(
    user, base: plan.Program, *, reason: str, effective_from: str, title: str = ""
) -> PlanRevision:
    """NDC drafts a revision: a full copy of ``base`` as the next revision number, status proposed."""
    from sixcore.core.changelog import record_action
    from sixcore.progress.clock import now

    if not is_ndc(user):
        raise PermissionDenied(_("Only NDC may draft a plan revision."))
    if not reason.strip():
        raise RevisionError(_("Give the reason for the revision."))
    if not programs_in_force().filter(pk=base.pk).exists():
        raise RevisionError(_("A revision is based on revision 0 or an approved revision."))
    effective_from = normalize_quarter(effective_from, base)
    if base.effective_from and parse_quarter(effective_from) < parse_quarter(base.effective_from):
        raise RevisionError(
            _("A revision cannot take effect before its base revision (%(quarter)s).")
            % {"quarter": base.effective_from}
        )
    with transaction.atomic():
        # Lock the base so that two drafts do not take the same number at once.
        plan.Program.objects.select_for_update().get(pk=base.pk)
        number = (plan.Program.objects.aggregate(n=Max("revision"))["n"] or 0) + 1
        title = title.strip() or _("Revision %(n)s") % {"n": number}
        program = copy_program(
            base, number, effective_from, title=title, reason=reason, revision_date=now().date()
        )
        revision = PlanRevision.objects.create(
            number=number,
            title=title,
            reason=reason,
            effective_from=effective_from,
            base=base,
            program=program,
            proposed_by=user,
        )
        record_action(
            revision,
            "revision.propose",
            message=reason,
            postchange={"number": number, "base": base.revision, "effective_from": effective_from},
            related=[program],
        )
    return revision


@contextmanager
def editing(
    revision: PlanRevision, user, message: str, action: str = "revision.edit"
) -> Iterator[plan.Program]:
    """Lock a draft revision for an edit by NDC; yields its snapshot; records ``action`` on success."""
    from sixcore.core.changelog import record_action

    with transaction.atomic():
        # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
        locked = PlanRevision.objects.select_for_update().get(pk=revision.pk)
        if not is_ndc(user):
            raise PermissionDenied(_("Only NDC may edit a plan revision."))
        if locked.status != RevisionStatus.PROPOSED or locked.program is None:
            raise InvalidTransition(
                _("Revision %(n)s is %(status)s: it can no longer be edited.")
                % {"n": locked.number, "status": locked.get_status_display()}
            )
        yield locked.program
        record_action(locked, action, message=message, related=[locked.program])


# --- edits from the web -----------------------------------------------------------------------------


def _kpi(program: plan.Program, measure_code: str, code: str) -> plan.KPI:
    kpi = plan.KPI.objects.filter(
        measure__industry__program=program, measure__code=measure_code, code=code
    ).first()
    if kpi is None:
        raise RevisionError(_("KPI %(m)s / %(c)s is not in this revision.") % {"m": measure_code, "c": code})
    return kpi


def _assign(obj: models.Model, **values: Any) -> bool:
    """Set the fields that differ; save (audited) only if something changed. Returns whether it did."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed or obj.pk is None:
        obj.save()
        return True
    return False


def agencies_by_name() -> dict[str, Agency]:
    by_name: dict[str, Agency] = {}
    for agency in Agency.objects.all():
        by_name[agency.name] = agency
        for alias in agency.aliases or []:
            by_name.setdefault(alias, agency)
    return by_name


def parse_agency_names(text: str) -> list[str]:
    """``經濟部、科技部`` → names (separated by 、 , ; or new lines)."""
    return [name.strip() for name in NAME_SEPARATORS.split(text) if name.strip()]


def _agency_ids(names: list[str], by_name: dict[str, Agency]) -> list[int]:
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise RevisionError(_("Unknown agencies: %(names)s") % {"names": "、".join(unknown)})
    ids: list[int] = []
    for name in names:
        if by_name[name].pk not in ids:
            ids.append(by_name[name].pk)
    return ids


def _set_links(model, owner_field: str, owner, agency_ids: list[int], role: str | None = None) -> bool:
    """Replace an owner's agency links when they differ (links carry no identity of their own)."""
    links = model.objects.filter(**{owner_field: owner}, **({"role": role} if role else {})).order_by("order")
    if [link.agency_id for link in links] == agency_ids:
        return False
    links.delete()
    extra = {"role": role} if role else {}
    model.objects.bulk_create(
        [model(**{owner_field: owner}, agency_id=a, order=n, **extra) for n, a in enumerate(agency_ids)]
    )
    return True


def _set_annual_text(program: plan.Program, annual: plan.AnnualTarget, text: str) -> None:
    """A new text for one KPI's year. A merged cell is split off: the revision changes this KPI only."""
    target = quantify(text, "annual")
    source = "parsed" if target else "none"
    cell = annual.cell
    others = list(plan.AnnualTarget.objects.filter(cell=cell).exclude(pk=annual.pk))
    if others:
        cell = plan.TargetCell.objects.create(program=program, text=text, line=annual.kpi.line)
        if len(others) == 1:
            _assign(others[0], merged=False)
    else:
        _assign(cell, text=text)
    _assign(annual, cell=cell, merged=False, target=target, source=source)


def edit_kpi(
    revision: PlanRevision,
    user,
    measure_code: str,
    code: str,
    *,
    full_term: str | None = None,
    annual: dict[int, str] | None = None,
    agencies: list[str] | None = None,
) -> plan.KPI:
    """Change a KPI's full-term and annual target texts (re-quantified) and its agencies in a draft."""
    with editing(revision, user, f"KPI {measure_code}/{code}") as program:
        kpi = _kpi(program, measure_code, code)
        if full_term is not None and full_term != kpi.full_term_text:
            target = quantify(full_term, "full_term")
            _assign(
                kpi,
                full_term_text=full_term,
                full_term_target=target,
                full_term_source="parsed" if target else "none",
            )
        for annual_target in kpi.annual_targets.select_related("cell", "kpi"):
            text = (annual or {}).get(annual_target.year)
            if text is not None and text != annual_target.cell.text:
                _set_annual_text(program, annual_target, text)
        if agencies is not None:
            ids = _agency_ids(agencies, agencies_by_name())
            if _set_links(plan.KPIAgency, "kpi", kpi, ids):
                _assign(kpi, own_agencies=True)
        program.target_cells.filter(annual_targets__isnull=True).delete()
    return kpi


def add_kpi(
    revision: PlanRevision, user, measure_code: str, code: str, *, full_term: str, annual: dict[int, str]
) -> plan.KPI:
    """A new KPI in a draft, under an existing measure, with the measure's agencies."""
    with editing(revision, user, f"add KPI {measure_code}/{code}") as program:
        measure = plan.Measure.objects.filter(industry__program=program, code=measure_code).first()
        if measure is None:
            raise RevisionError(_("Measure %(m)s is not in this revision.") % {"m": measure_code})
        if measure.kpis.filter(code=code).exists():
            raise RevisionError(_("KPI %(c)s already exists under %(m)s.") % {"c": code, "m": measure_code})
        target = quantify(full_term, "full_term")
        kpi = plan.KPI.objects.create(
            measure=measure,
            code=code,
            order=(measure.kpis.aggregate(n=Max("order"))["n"] or 0) + 1,
            full_term_text=full_term,
            full_term_target=target,
            full_term_source="parsed" if target else "none",
        )
        for year in range(program.start_year, program.end_year + 1):
            text = annual.get(year, "")
            cell = plan.TargetCell.objects.create(program=program, text=text)
            target = quantify(text, "annual")
            plan.AnnualTarget.objects.create(
                kpi=kpi, year=year, cell=cell, target=target, source="parsed" if target else "none"
            )
        _set_links(
            plan.KPIAgency,
            "kpi",
            kpi,
            list(measure.measureagency_set.order_by("order").values_list("agency_id", flat=True)),
        )
    return kpi


def retire_kpi(revision: PlanRevision, user, measure_code: str, code: str) -> None:
    """Remove a KPI from a draft (it stays in every earlier revision)."""
    with editing(revision, user, f"retire KPI {measure_code}/{code}") as program:
        kpi = _kpi(program, measure_code, code)
        for annual_target in kpi.annual_targets.all():
            others = plan.AnnualTarget.objects.filter(cell_id=annual_target.cell_id).exclude(kpi=kpi)
            if others.count() == 1:
                _assign(others.get(), merged=False)
        kpi.delete()
        program.target_cells.filter(annual_targets__isnull=True).delete()


def edit_work_item(
    revision: PlanRevision,
    user,
    schedule_code: str,
    code: str,
    *,
    start: date | None,
    end: date | None,
    lead: list[str] | None = None,
    co: list[str] | None = None,
) -> plan.WorkItem:
    """New 起訖時程 (months) and, optionally, 主辦/協辦 agencies of a work item in a draft."""
    if start and end and start > end:
        raise RevisionError(_("The start month is after the end month."))
    with editing(revision, user, f"work item {schedule_code}/{code}") as program:
        item = plan.WorkItem.objects.filter(
            schedule__industry__program=program, schedule__code=schedule_code, code=code
        ).first()
        if item is None:
            raise RevisionError(
                _("Work item %(s)s / %(c)s is not in this revision.") % {"s": schedule_code, "c": code}
            )
        start = start.replace(day=1) if start else None
        end = end.replace(day=1) if end else None
        if (start, end) != (item.start, item.end):
            period = "~".join(format_roc_month(d) for d in (start, end) if d)
            _assign(item, start=start, end=end, period_text=period)
        by_name = agencies_by_name()
        for role, names in (("lead", lead), ("co", co)):
            if names is not None:
                _set_links(plan.WorkItemAgency, "work_item", item, _agency_ids(names, by_name), role)
    return item


def edit_budget(
    revision: PlanRevision, user, industry_code: str, year: int, amount: Decimal
) -> plan.BudgetLine:
    """A new amount (億元) for one cell of 表 3 in a draft. The stated 小計 cells stay as the document has them."""
    with editing(revision, user, f"budget {industry_code} {year}") as program:
        line = program.budget_lines.filter(industry__code=industry_code, year=year).first()
        if line is None:
            industry = program.industries.filter(code=industry_code).first()
            if industry is None or not program.start_year <= year <= program.end_year:
                raise RevisionError(_("No such budget cell."))
            line = plan.BudgetLine(program=program, industry=industry, year=year)
        _assign(line, amount=amount)
    return line


# --- upload of a changed data file ------------------------------------------------------------------


@dataclass
class UploadResult:
    """What an upload changed, per kind of object."""

    file: str
    changes: Counter

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items())) or _("no changes")


def validate_data_file(name: str, content: bytes, data_dir: Path = DATA_DIR) -> PlanData:
    """Validate an uploaded ``program.yaml`` / ``kpis_N.yaml`` / ``schedules_N.yaml`` exactly as ``plan load``
    does — with the other data files beside it — or raise ``DataError`` naming file and line."""
    if not DATA_FILE_NAME.match(name):
        raise DataError([Problem(name, None, _("expected program.yaml, kpis_N.yaml or schedules_N.yaml"))])
    with tempfile.TemporaryDirectory(prefix="sixcore-revision-") as tmp:
        folder = Path(tmp)
        for path in data_dir.glob("*.yaml"):
            shutil.copyfile(path, folder / path.name)
        (folder / name).write_bytes(content)
        try:
            return read_plan_files(folder)
        except DataError as exc:
            # The temporary directory means nothing to the user: name the files as they know them.
            raise DataError([Problem(Path(p.file).name, p.line, p.message) for p in exc.problems]) from None


def upload_data_file(revision: PlanRevision, user, name: str, content: bytes) -> UploadResult:
    """Replace, in a draft, what one data file says about the revisable parts of the plan.

    ``kpis_N.yaml``: industry N's KPIs (targets, agencies; KPIs missing from the file are retired, new
    ones added under existing measures). ``schedules_N.yaml``: industry N's work items (dates, agencies,
    titles; added/retired under existing approaches). ``program.yaml``: the budget cells of 表 3. Nothing
    is written unless the file validates and every reference resolves (``DataError`` otherwise).
    """
    if not is_ndc(user):
        raise PermissionDenied(_("Only NDC may edit a plan revision."))
    data = validate_data_file(name, content)
    stem = name.removesuffix(".yaml")
    changes: Counter = Counter()
    with editing(revision, user, f"upload {name}", action="revision.upload") as program:
        if stem == "program":
            _apply_budget(program, data, changes)
        else:
            kind, _sep, industry_code = stem.partition("_")
            industry = next(i for i in data.industries if i["code"] == industry_code)
            if kind == "kpis":
                _apply_kpis(program, industry, name, changes)
            else:
                _apply_schedules(program, industry, name, changes)
    return UploadResult(name, changes)


def _apply_budget(program: plan.Program, data: PlanData, changes: Counter) -> None:
    industries = {i.code: i for i in program.industries.all()}
    existing = {(b.industry.code, b.year): b for b in program.budget_lines.select_related("industry")}
    for cell in data.budget["cells"]:
        line = existing.get((cell["industry"], cell["year"])) or plan.BudgetLine(
            program=program, industry=industries[cell["industry"]], year=cell["year"], line=cell["line"]
        )
        if _assign(line, amount=Decimal(str(cell["amount"]))):
            changes["budget"] += 1


def _apply_kpis(program: plan.Program, industry: dict, name: str, changes: Counter) -> None:
    measures = {
        m.code: m
        for m in plan.Measure.objects.filter(industry__program=program, industry__code=industry["code"])
    }
    missing = [m["code"] for m in industry["measures"] if m["code"] not in measures]
    if missing:
        raise DataError(
            [
                Problem(
                    name,
                    None,
                    _("measure %(m)s is not in this revision: a revision file changes KPIs, not measures")
                    % {"m": m},
                )
                for m in missing
            ]
        )
    by_name = agencies_by_name()
    existing = {
        (k.measure.code, k.code): k
        for k in plan.KPI.objects.filter(measure__in=measures.values()).select_related("measure")
    }
    ordered: list[tuple[plan.KPI, dict]] = []
    by_printed: dict[tuple[str, str], plan.KPI] = {}
    problems = []
    for m in industry["measures"]:
        occurrences: Counter[str] = Counter()
        for n, k in enumerate(m["kpis"]):
            occurrences[k["code"]] += 1
            code = k["code"] if occurrences[k["code"]] == 1 else f"{k['code']}#{occurrences[k['code']]}"
            names = k["agencies"] or m["agencies"]
            unknown = [a for a in names if a not in by_name]
            if unknown:
                problems.append(
                    Problem(
                        name,
                        None,
                        _("kpi %(c)s: unknown agencies %(names)s")
                        % {"c": k["code"], "names": "、".join(unknown)},
                    )
                )
                continue
            kpi = existing.pop((m["code"], code), None) or plan.KPI(measure=measures[m["code"]], code=code)
            created = kpi.pk is None
            if _assign(
                kpi,
                order=n,
                full_term_text=k["full_term"]["text"],
                full_term_target=k["full_term"]["target"],
                full_term_source=k["full_term"]["source"],
                own_agencies=bool(k["agencies"]),
                line=k["line"],
                extra_lines=k["extra_lines"],
                notes=k["notes"],
            ):
                changes["kpi added" if created else "kpi"] += 1
            if _set_links(plan.KPIAgency, "kpi", kpi, _agency_ids(names, by_name)):
                changes["kpi agencies"] += 1
            by_printed.setdefault((m["code"], k["code"]), kpi)
            ordered.append((kpi, k))
    if problems:
        raise DataError(problems)
    for kpi in existing.values():
        kpi.delete()
        changes["kpi retired"] += 1
    annual_existing = {
        (a.kpi_id, a.year): a
        for a in plan.AnnualTarget.objects.filter(kpi__in=[kpi for kpi, _k in ordered]).select_related("cell")
    }
    cell_of: dict[tuple[int, int], plan.TargetCell] = {}
    claimed: set[int] = set()
    for kpi, k in ordered:
        for year_text, cell in k["annual"].items():
            year = int(year_text)
            carrier = (
                by_printed[(cell["merged_with_measure"], cell["merged_with"])]
                if cell.get("merged_with")
                else kpi
            )
            key = (carrier.pk, year)
            if key not in cell_of:
                current = annual_existing.get(key)
                if current is not None and current.cell_id not in claimed:
                    target_cell = current.cell
                else:
                    target_cell = plan.TargetCell(program=program, line=carrier.line)
                if _assign(target_cell, text=cell["text"]):
                    changes["target cell"] += 1
                claimed.add(target_cell.pk)
                cell_of[key] = target_cell
            annual = annual_existing.get((kpi.pk, year)) or plan.AnnualTarget(kpi=kpi, year=year)
            if _assign(
                annual, cell=cell_of[key], merged=cell["merged"], target=cell["target"], source=cell["source"]
            ):
                changes["annual target"] += 1
    program.target_cells.filter(annual_targets__isnull=True).delete()


def _apply_schedules(program: plan.Program, industry: dict, name: str, changes: Counter) -> None:
    schedules = {
        s.code: s
        for s in plan.ScheduleTable.objects.filter(industry__program=program, industry__code=industry["code"])
    }
    approaches = {
        (a.task.schedule.code, a.task.seq, a.order): a
        for a in plan.Approach.objects.filter(task__schedule__in=schedules.values()).select_related(
            "task__schedule"
        )
    }
    by_name = agencies_by_name()
    problems, wanted = [], []
    order: Counter[str] = Counter()
    occurrences: Counter[tuple[str, str]] = Counter()
    for s in industry["schedules"]:
        if s["code"] not in schedules:
            problems.append(
                Problem(name, None, _("schedule %(s)s is not in this revision") % {"s": s["code"]})
            )
            continue
        for t in s["tasks"]:
            for n, a in enumerate(t["approaches"]):
                approach = approaches.get((s["code"], t["seq"], n))
                if approach is None:
                    problems.append(
                        Problem(
                            name,
                            None,
                            _("schedule %(s)s task %(t)s approach %(a)s is not in this revision")
                            % {"s": s["code"], "t": t["seq"], "a": n + 1},
                        )
                    )
                    continue
                for wi in a["work_items"]:
                    occurrences[(s["code"], wi["code"])] += 1
                    count = occurrences[(s["code"], wi["code"])]
                    order[s["code"]] += 1
                    unknown = [x for x in wi["lead"] + wi["co"] if x not in by_name]
                    if unknown:
                        problems.append(
                            Problem(
                                name,
                                None,
                                _("work item %(c)s: unknown agencies %(names)s")
                                % {"c": wi["code"], "names": "、".join(unknown)},
                            )
                        )
                    code = wi["code"] if count == 1 else f"{wi['code']}#{count}"
                    wanted.append((schedules[s["code"]], approach, code, order[s["code"]], wi))
    if problems:
        raise DataError(problems)
    existing = {
        (w.schedule_id, w.code): w for w in plan.WorkItem.objects.filter(schedule__in=schedules.values())
    }
    for schedule, approach, code, n, wi in wanted:
        item = existing.pop((schedule.pk, code), None) or plan.WorkItem(schedule=schedule, code=code)
        created = item.pk is None
        if _assign(
            item,
            approach=approach,
            code_in_source=wi["code_in_source"],
            title=wi["title"],
            period_text=wi["period"],
            start=wi["start"],
            end=wi["end"],
            line=wi["line"],
            order=n,
            notes=wi["notes"],
        ):
            changes["work item added" if created else "work item"] += 1
        for role in ("lead", "co"):
            if _set_links(plan.WorkItemAgency, "work_item", item, _agency_ids(wi[role], by_name), role):
                changes["work item agencies"] += 1
    for item in existing.values():
        item.delete()
        changes["work item retired"] += 1


def visible_revisions(user) -> models.QuerySet[PlanRevision]:
    """Revisions a user may read: NDC all, everyone else the approved ones."""
    revisions = PlanRevision.objects.select_related("base", "program", "proposed_by", "decided_by")
    return revisions if is_ndc(user) else revisions.filter(status=RevisionStatus.APPROVED)


__all__ = [
    "RevisionError",
    "add_kpi",
    "draft_revision",
    "edit_budget",
    "edit_kpi",
    "edit_work_item",
    "retire_kpi",
    "upload_data_file",
    "validate_data_file",
]
