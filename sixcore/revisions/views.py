"""Revision pages: list, draft, edit (NDC), approve/reject (NDC administrators), diff, target history.

Approved revisions and revision 0 are public like the plan itself; drafts and rejected proposals exist
for NDC only (anyone else gets "not found"). Every write goes through ``services`` or a model method.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sixcore.accounts.policy import is_ndc, is_ndc_admin
from sixcore.core.uploads import UploadRefused, check_upload
from sixcore.plan import models as plan
from sixcore.plan.datafiles import DataError
from sixcore.plan.export import export_program
from sixcore.plan.models import programs_in_force
from sixcore.plan.policy import programs_visible_to

from . import services
from .diff import diff_exports
from .forms import AddKpiForm, BudgetForm, DecisionForm, DraftForm, KpiForm, UploadForm, WorkItemForm
from .history import target_chart, target_history
from .models import InvalidTransition, PlanRevision

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _revision(request: HttpRequest, number: int) -> PlanRevision:
    return get_object_or_404(services.visible_revisions(request.user), number=number)


def _program(request: HttpRequest, number: int) -> plan.Program:
    return get_object_or_404(programs_visible_to(request.user), revision=number)


def _ndc(request: HttpRequest) -> None:
    if not is_ndc(request.user):
        raise PermissionDenied(_("Only NDC may edit a plan revision."))


def revision_list(request: HttpRequest) -> HttpResponse:
    """Every revision the user may see; NDC drafts a new one here."""
    form = None
    if is_ndc(request.user):
        form = _draft_form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            base = get_object_or_404(programs_in_force(), revision=form.cleaned_data["base"])
            try:
                revision = services.draft_revision(
                    request.user,
                    base,
                    reason=form.cleaned_data["reason"],
                    effective_from=form.cleaned_data["effective_from"],
                    title=form.cleaned_data["title"],
                )
            except services.RevisionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Revision %(n)s drafted.") % {"n": revision.number})
                return redirect("revisions:detail", number=revision.number)
    elif request.method == "POST":
        raise PermissionDenied(_("Only NDC may draft a plan revision."))
    return render(
        request,
        "revisions/list.html",
        {
            "revisions": services.visible_revisions(request.user),
            "original": plan.Program.objects.filter(revision=0).first(),
            "form": form,
        },
    )


def _draft_form(data) -> DraftForm:
    form = DraftForm(data)
    form.fields["base"].choices = [
        (p.revision, f"{p.revision} {p.title}") for p in programs_in_force().order_by("-revision")
    ]
    return form


def revision_detail(request: HttpRequest, number: int) -> HttpResponse:
    """A revision: reason, status, who decided; what it changed against its base; edit forms for drafts."""
    from sixcore.core.changelog import history_context

    revision = _revision(request, number)
    changes = []
    if revision.program is not None:
        changes = diff_exports(export_program(revision.base), export_program(revision.program))
    editable = revision.is_draft and is_ndc(request.user)
    kpis = []
    if editable:
        kpis = (
            plan.KPI.objects.filter(measure__industry__program=revision.program)
            .select_related("measure")
            .order_by("measure__industry__code", "measure__order", "order")
        )
    context = {
        "revision": revision,
        "changes": changes,
        # KPIs whose targets this revision changes: their target-history pages show the step.
        "changed_kpis": sorted({c.key[:2] for c in changes if c.section == "kpis" and c.kind == "changed"}),
        "editable": editable,
        "can_decide": revision.is_draft and is_ndc_admin(request.user),
        "kpis": kpis,
        "work_item_form": WorkItemForm(),
        "budget_form": BudgetForm(),
        "add_kpi_form": AddKpiForm(),
        "upload_form": UploadForm(),
        "decision_form": DecisionForm(),
    }
    if is_ndc(request.user):
        context.update(history_context(revision))
    return render(request, "revisions/detail.html", context)


def _edit(request: HttpRequest, number: int) -> PlanRevision:
    _ndc(request)
    revision = _revision(request, number)
    if not revision.is_draft:
        messages.error(request, _("Revision %(n)s can no longer be edited.") % {"n": number})
    return revision


@login_required
def kpi_edit(request: HttpRequest, number: int, measure_code: str, code: str) -> HttpResponse:
    """Edit a KPI's targets (texts; quantified again on save) and agencies in a draft, or retire it."""
    revision = _edit(request, number)
    if not revision.is_draft:
        return redirect("revisions:detail", number=number)
    kpi = (
        plan.KPI.objects.filter(
            measure__industry__program=revision.program, measure__code=measure_code, code=code
        )
        .select_related("measure")
        .first()
    )
    if kpi is None:
        raise Http404(_("KPI not found"))
    annual = {a.year: a for a in kpi.annual_targets.select_related("cell")}
    years = sorted(annual)
    initial = {
        "full_term": kpi.full_term_text,
        "agencies": "、".join(link.agency.name for link in kpi.kpiagency_set.select_related("agency")),
        **{f"y{y}": annual[y].cell.text for y in years},
    }
    form = KpiForm(request.POST or None, initial=initial, years=years)
    if request.method == "POST" and request.POST.get("retire"):
        services.retire_kpi(revision, request.user, measure_code, code)
        messages.success(request, _("KPI %(code)s retired in this draft.") % {"code": code})
        return redirect("revisions:detail", number=number)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agencies = services.parse_agency_names(data["agencies"])
        try:
            services.edit_kpi(
                revision,
                request.user,
                measure_code,
                code,
                full_term=data["full_term"],
                annual={y: data[f"y{y}"] for y in years},
                agencies=agencies if data["agencies"] != initial["agencies"] else None,
            )
        except services.RevisionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("KPI %(code)s saved in the draft.") % {"code": code})
            return redirect("revisions:detail", number=number)
    return render(
        request,
        "revisions/kpi_edit.html",
        {"revision": revision, "kpi": kpi, "form": form, "annual": [annual[y] for y in years]},
    )


def _post_form(request, number, form_class, apply) -> HttpResponse:
    revision = _edit(request, number)
    if revision.is_draft:
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"{field}: {' '.join(errors)}")
        else:
            try:
                message = apply(revision, form.cleaned_data)
            except services.RevisionError as exc:
                messages.error(request, str(exc))
            except DataError as exc:
                for problem in exc.problems:
                    messages.error(request, str(problem))
                messages.error(request, _("Nothing was applied."))
            else:
                messages.success(request, message)
    return redirect("revisions:detail", number=number)


@require_POST
@login_required
def work_item_edit(request: HttpRequest, number: int) -> HttpResponse:
    def apply(revision, data):
        item = services.edit_work_item(
            revision, request.user, data["schedule"], data["code"], start=data["start"], end=data["end"]
        )
        return _("Work item %(code)s: %(period)s") % {"code": item.code, "period": item.period_text}

    return _post_form(request, number, WorkItemForm, apply)


@require_POST
@login_required
def budget_edit(request: HttpRequest, number: int) -> HttpResponse:
    def apply(revision, data):
        services.edit_budget(revision, request.user, data["industry"], data["year"], data["amount"])
        return _("Budget cell saved.")

    return _post_form(request, number, BudgetForm, apply)


@require_POST
@login_required
def kpi_add(request: HttpRequest, number: int) -> HttpResponse:
    def apply(revision, data):
        kpi = services.add_kpi(
            revision, request.user, data["measure"], data["code"], full_term=data["full_term"], annual={}
        )
        return _("KPI %(code)s added; give its annual targets.") % {"code": kpi.code}

    return _post_form(request, number, AddKpiForm, apply)


@require_POST
@login_required
def upload(request: HttpRequest, number: int) -> HttpResponse:
    def apply(revision, data):
        file = data["file"]
        try:
            # Size, UTF-8 text (not HTML, not a zip), no YAML anchors/aliases/tags (YAML bombs).
            content = check_upload(file, [".yaml"], MAX_UPLOAD_BYTES).content
        except UploadRefused as exc:
            raise services.RevisionError(str(exc)) from None
        result = services.upload_data_file(revision, request.user, file.name, content)
        return _("%(file)s applied: %(changes)s") % {"file": file.name, "changes": result}

    return _post_form(request, number, UploadForm, apply)


@require_POST
@login_required
def decide(request: HttpRequest, number: int, action: str) -> HttpResponse:
    """Approve or reject (NDC administrators; the model method checks role and state)."""
    revision = _revision(request, number)
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        getattr(revision, action)(request.user, comment)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, revision.get_status_display())
    return redirect("revisions:detail", number=number)


def diff_view(request: HttpRequest, a: int, b: int) -> HttpResponse:
    """What changed from revision ``a`` to revision ``b`` (any two the user may see), with the reasons."""
    old, new = _program(request, a), _program(request, b)
    reasons = services.visible_revisions(request.user).filter(number__in=[a, b]).order_by("number")
    return render(
        request,
        "revisions/diff.html",
        {
            "old": old,
            "new": new,
            "reasons": reasons,
            "changes": diff_exports(export_program(old), export_program(new)),
            "programs": programs_visible_to(request.user).order_by("revision"),
        },
    )


def kpi_targets(request: HttpRequest, measure_code: str, code: str) -> HttpResponse:
    """A KPI's annual targets through the approved revisions: the steps chart and the 目標變更 table."""
    steps = target_history(measure_code, code)
    if not steps:
        raise Http404(_("KPI not found"))
    program = programs_in_force().last()
    years = list(range(program.start_year, program.end_year + 1))
    reasons = {
        r.number: r.reason for r in PlanRevision.objects.filter(number__in=[s.revision for s in steps])
    }
    rows = [
        {
            "step": step,
            "reason": reasons.get(step.revision, program.title if step.revision == 0 else ""),
            "cells": [
                (step.annual.get(y, {}), n > 0 and step.annual.get(y) != steps[n - 1].annual.get(y))
                for y in years
            ],
        }
        for n, step in enumerate(steps)
    ]
    return render(
        request,
        "revisions/kpi_targets.html",
        {
            "measure_code": measure_code,
            "code": code,
            "years": years,
            "rows": rows,
            "chart": target_chart(steps, program.start_year, program.end_year),
        },
    )
