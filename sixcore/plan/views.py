"""Public read-only pages of the program: overview, industry, measure, KPI.

The plan is the approved program document, public by nature, so these pages need no login. Each view
works in a fixed number of queries (tests assert it); pure formatting lives in ``presentation.py``.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext

from sixcore.accounts.policy import is_ndc
from sixcore.core.changelog import history_context

from . import models as plan
from .models import programs_in_force
from .policy import programs_visible_to
from .presentation import budget_table, timeline_rows


def _program(request: HttpRequest) -> plan.Program:
    """The revision asked for with ``?revision=N``; by default the latest approved one. Drafts and rejected
    proposals of a revision open for NDC only (``?revision=N``); for anyone else they do not exist."""
    revision = request.GET.get("revision")
    programs = programs_visible_to(request.user)
    if revision is None:
        program = programs_in_force().last()
    elif revision.isdigit():
        program = programs.filter(revision=int(revision)).first()
    else:
        program = None
    if program is None:
        raise Http404(gettext("No such revision of the program."))
    return program


def _context(request: HttpRequest, program: plan.Program, **extra) -> dict:
    # The picker lists the revisions in force, plus the open draft when NDC is looking at one.
    revisions = list(programs_in_force().values("revision", "title"))
    if not any(r["revision"] == program.revision for r in revisions):
        revisions.append({"revision": program.revision, "title": program.title})
    return {"program": program, "revisions": revisions, **extra}


def _count(model, path: str, outer: str = "pk"):
    """The number of ``model`` rows whose ``path`` is the outer row's ``outer``, as a subquery."""
    rows = model.objects.filter(**{path: OuterRef(outer)}).order_by().values(path)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


def overview(request: HttpRequest) -> HttpResponse:
    """Program overview: visions, lead units, budget table with totals and chart, counts."""
    program = _program(request)
    industries = list(
        program.industries.prefetch_related(
            Prefetch(
                "industryleadagency_set", queryset=plan.IndustryLeadAgency.objects.select_related("agency")
            ),
            "sub_areas",
        ).annotate(
            # One correlated count each: joining the four tables and counting DISTINCT multiplies
            # the rows (KPIs × work items per industry: seconds on a large program).
            n_measures=_count(plan.Measure, "industry"),
            n_kpis=_count(plan.KPI, "measure__industry"),
            n_schedules=_count(plan.ScheduleTable, "industry"),
            n_work_items=_count(plan.WorkItem, "schedule__industry"),
        )
    )
    budget = budget_table(
        industries,
        list(program.budget_lines.all()),
        list(program.budget_totals.all()),
        range(program.start_year, program.end_year + 1),
    )
    totals = {
        "industries": len(industries),
        "measures": sum(i.n_measures for i in industries),
        "kpis": sum(i.n_kpis for i in industries),
        "schedules": sum(i.n_schedules for i in industries),
        "work_items": sum(i.n_work_items for i in industries),
    }
    return render(
        request,
        "plan/overview.html",
        _context(
            request,
            program,
            industries=industries,
            budget=budget,
            totals=totals,
            security_ratios=list(program.security_ratios.all()),
        ),
    )


def industry_detail(request: HttpRequest, code: str) -> HttpResponse:
    """An industry: vision, lead units, strategies with their measures and KPI counts, budget."""
    program = _program(request)
    industry = get_object_or_404(
        program.industries.prefetch_related(
            Prefetch(
                "industryleadagency_set", queryset=plan.IndustryLeadAgency.objects.select_related("agency")
            ),
            "sub_areas",
        ),
        code=code,
    )
    measures = (
        industry.measures.select_related("schedule")
        .prefetch_related(
            Prefetch("measureagency_set", queryset=plan.MeasureAgency.objects.select_related("agency"))
        )
        .annotate(n_kpis=_count(plan.KPI, "measure"), n_items=_count(plan.WorkItem, "schedule", "schedule"))
    )
    by_strategy: dict[int, list] = {}
    for m in measures:
        by_strategy.setdefault(m.strategy_id, []).append(m)
    strategies = [
        (s, by_strategy.get(s.pk, [])) for s in industry.strategies.select_related("sub_area").order_by("seq")
    ]
    budget = list(industry.budget_lines.order_by("year"))
    return render(
        request,
        "plan/industry.html",
        _context(
            request,
            program,
            industry=industry,
            strategies=strategies,
            budget=budget,
            budget_total=sum(b.amount for b in budget),
        ),
    )


def measure_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A measure: its KPIs, and its schedule table's tasks and work items on a timeline."""
    program = _program(request)
    measure = get_object_or_404(
        plan.Measure.objects.filter(industry__program=program)
        .select_related("industry", "strategy__sub_area", "schedule")
        .prefetch_related(
            Prefetch("measureagency_set", queryset=plan.MeasureAgency.objects.select_related("agency"))
        ),
        code=code,
    )
    kpis = measure.kpis.prefetch_related(
        Prefetch("annual_targets", queryset=plan.AnnualTarget.objects.select_related("cell"))
    )
    tasks, items, shared_with = [], [], []
    if measure.schedule:
        tasks = list(measure.schedule.tasks.all())
        items = list(
            measure.schedule.work_items.select_related("approach__task").prefetch_related(
                Prefetch("workitemagency_set", queryset=plan.WorkItemAgency.objects.select_related("agency"))
            )
        )
        shared_with = [m for m in measure.schedule.measures.all() if m.pk != measure.pk]
    timeline = timeline_rows(items, program.start_year, program.end_year)
    task_notes = {}
    if measure.schedule:
        prefix = f"task:{measure.schedule.code}:"
        for note in program.footnotes.filter(attaches_to__startswith=prefix):
            task_notes[int(note.attaches_to.split(":")[2])] = note
    by_code = {kpi.code.split("#", 1)[0]: kpi.pk for kpi in kpis}
    kpi_notes = {
        by_code[code]: note
        for note in program.footnotes.filter(
            attaches_to__startswith="kpi:", attaches_to__endswith=":full_term"
        )
        if (code := note.attaches_to.split(":")[1]) in by_code
    }
    return render(
        request,
        "plan/measure.html",
        _context(
            request,
            program,
            measure=measure,
            kpis=kpis,
            tasks=tasks,
            timeline=timeline,
            shared_with=shared_with,
            task_notes=task_notes,
            kpi_notes=kpi_notes,
            page_notes=sorted([*task_notes.values(), *kpi_notes.values()], key=_number),
        ),
    )


def _number(note: plan.Footnote) -> int:
    return note.number


def kpi_detail(request: HttpRequest, measure_code: str, code: str) -> HttpResponse:
    """A KPI: the five target cells, verbatim and quantified."""
    program = _program(request)
    kpi = (
        plan.KPI.objects.filter(measure__industry__program=program, measure__code=measure_code)
        .filter(Q(code=code) | Q(code__startswith=f"{code}#"))
        .select_related("measure__industry")
        .prefetch_related(
            Prefetch("kpiagency_set", queryset=plan.KPIAgency.objects.select_related("agency")),
            Prefetch("annual_targets", queryset=plan.AnnualTarget.objects.select_related("cell")),
        )
        .order_by("code")
        .first()
    )
    if kpi is None:
        raise Http404(gettext("KPI not found"))
    annual = list(kpi.annual_targets.all())
    merged_cells = {a.cell_id for a in annual if a.merged}
    sharing = (
        plan.AnnualTarget.objects.filter(cell_id__in=merged_cells)
        .exclude(kpi=kpi)
        .select_related("kpi__measure")
        .order_by("year", "kpi__order")
    )
    shared = {}
    for other in sharing:
        shared.setdefault(other.year, []).append(other.kpi)
    rows = [(a, shared.get(a.year, [])) for a in annual]
    printed = kpi.code.split("#", 1)[0]
    cell_notes: dict[object, plan.Footnote] = {}
    for note in program.footnotes.filter(attaches_to__startswith=f"kpi:{printed}:"):
        cell = note.attaches_to.rsplit(":", 1)[1]
        cell_notes[cell if cell == "full_term" else int(cell)] = note
    # The KPI's history includes draft actuals of agencies: NDC only (the public sees published data).
    history = history_context(kpi) if is_ndc(request.user) else {}
    # The data file's transcription notes are NDC's working notes on the transcription, in English:
    # internal, for NDC and staff; agencies and the public read the zh-TW footnotes only.
    internal_notes = kpi.notes if is_ndc(request.user) or request.user.is_staff else ""
    return render(
        request,
        "plan/kpi.html",
        _context(
            request,
            program,
            kpi=kpi,
            rows=rows,
            cell_notes=cell_notes,
            full_term_note=cell_notes.get("full_term"),
            internal_notes=internal_notes,
            **history,
        ),
    )
