"""Field-verification pages: the candidates (NDC), planning a visit (NDC), the list and one visit.

Scope first (``policy.py``): a visit the user may not read is "not found". Every write goes through
``services`` / ``workflow``; a refused write re-renders the page with what the user typed and the
error beside the field it names (status 400), a stale version says so (409).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sixcore.core.changelog import history_context
from sixcore.core.roc import RocDateError
from sixcore.progress.clock import today
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.services import program_in_force

from . import selection, services, workflow
from .choices import Reason, VerificationStatus
from .forms import (
    CandidateFilterForm,
    EvidenceForm,
    FindingsForm,
    RecommendationForm,
    StepForm,
    VerificationForm,
)
from .models import Evidence, FieldVerification, Recommendation, VerifiedItem
from .policy import fieldwork_policy as policy


def _require_manager(request: HttpRequest) -> None:
    if not policy.can_manage(request.user):
        raise PermissionDenied(_("Only NDC plans and records field verifications."))


def _period(code: str) -> ReportingPeriod:
    """``code`` (111Q2), or the latest period with a submission."""
    if code:
        try:
            return ReportingPeriod.by_code(code)
        except (ReportingPeriod.DoesNotExist, RocDateError):
            raise Http404(_("No reporting period %(code)s.") % {"code": code}) from None
    latest = Submission.objects.order_by("-period__roc_year", "-period__quarter").values("period").first()
    period = ReportingPeriod.objects.filter(pk=latest["period"]).first() if latest else None
    if period is None:
        raise Http404(_("No reporting periods."))
    return period


def _criteria(form: CandidateFilterForm) -> selection.Criteria:
    default = selection.default_criteria()
    data = form.cleaned_data if form.is_valid() else {}
    return selection.Criteria(
        data.get("lag") if data.get("lag") is not None else default.lag_threshold,
        data.get("repeat") or default.repeat_threshold,
        default.lookback_quarters,
    )


def _errors_to_form(form, exc: services.FieldErrors) -> None:
    for name, errors in exc.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


# --- list and candidates ----------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    """The visits the user may read (the public: published ones)."""
    verifications = policy.verifications(
        request.user,
        FieldVerification.objects.prefetch_related("agencies").select_related("basis_period"),
    )
    status = request.GET.get("status", "")
    if status in VerificationStatus.values:
        verifications = verifications.filter(status=status)
    return render(
        request,
        "fieldwork/index.html",
        {
            "verifications": verifications,
            "statuses": VerificationStatus.choices,
            "status": status,
            "can_manage": policy.can_manage(request.user),
        },
    )


@login_required
def candidates(request: HttpRequest) -> HttpResponse:
    """Selection by exception (NDC): every candidate of a period with its reasons, filtered."""
    _require_manager(request)
    form = CandidateFilterForm(request.GET or None)
    code = form.cleaned_data.get("period", "") if form.is_valid() else ""
    period = _period(code)
    criteria = _criteria(form)
    found = selection.candidates(period, request.user, criteria)
    data = form.cleaned_data if form.is_valid() else {}
    shown = selection.filtered(
        found,
        industry=data.get("industry", ""),
        agency=data.get("agency", ""),
        reason=data.get("reason", ""),
    )
    return render(
        request,
        "fieldwork/candidates.html",
        {
            "form": form,
            "period": period,
            "periods": ReportingPeriod.objects.order_by("-roc_year", "-quarter"),
            "industries": program_in_force(period).industries.order_by("code"),
            # The candidate carries the industry's code; the table names it as a reader does.
            "industry_names": dict(program_in_force(period).industries.values_list("code", "name")),
            "agencies": sorted(
                {(a, n) for c in found for a, n in zip(c.agencies, c.agency_names, strict=True)}
            ),
            "lag_default": selection.number(criteria.lag_threshold),
            "reasons": Reason.choices,
            "criteria": criteria,
            "candidates": shown,
            "total": len(found),
            "counts": {code: sum(code in c.reason_codes for c in found) for code, _label in Reason.choices},
        },
        status=200 if form.is_valid() or not request.GET else 400,
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Plan a visit of the picked candidates (NDC)."""
    _require_manager(request)
    source = request.POST if request.method == "POST" else request.GET
    period = _period(source.get("period", ""))
    picked_keys = source.getlist("pick")
    found = selection.candidates(period, request.user)
    picked = [c for c in found if c.key in picked_keys]
    if request.method == "POST":
        form = VerificationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                verification = services.plan_verification(
                    request.user,
                    title=data["title"],
                    date=data["date"],
                    place=data["place"],
                    reviewers=data["reviewers"],
                    agencies=data["agencies"],
                    purpose=data["purpose"],
                    period=period,
                    picked=picked,
                )
            except services.FieldErrors as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Field verification planned."))
                return redirect("fieldwork:detail", pk=verification.pk)
        status = 400
    else:
        form = VerificationForm(initial=_plan_initial(period, picked))
        status = 200
    return _render_new(request, form, period, picked, picked_keys, status)


def _render_new(request, form, period, picked, picked_keys, status, add_error: str = "") -> HttpResponse:
    planned = FieldVerification.objects.filter(status=VerificationStatus.PLANNED).order_by("date", "pk")
    return render(
        request,
        "fieldwork/new.html",
        {
            "form": form,
            "period": period,
            "picked": picked,
            "missing": set(picked_keys) - {c.key for c in picked},
            "planned": planned,
            "add_error": add_error,
            "into": request.POST.get("into", ""),
        },
        status=status,
    )


@require_POST
@login_required
def items_add(request: HttpRequest) -> HttpResponse:
    """Add the picked candidates to a planned visit (NDC), from the planning page."""
    _require_manager(request)
    period = _period(request.POST.get("period", ""))
    picked_keys = request.POST.getlist("pick")
    picked = [c for c in selection.candidates(period, request.user) if c.key in picked_keys]
    into = request.POST.get("into", "")
    verification = FieldVerification.objects.filter(pk=int(into)).first() if into.isdigit() else None
    status, error = 400, _("Choose a planned field verification.")
    if verification is not None:
        try:
            # Adding is additive: no version to compare (a concurrent change is not overwritten).
            services.add_items(request.user, verification, None, period, picked)
        except services.FieldErrors as exc:
            error = str(exc)
        except (services.StaleVersion, services.InvalidTransition) as exc:
            status, error = 409, str(exc)
        else:
            messages.success(request, _("Added to %(title)s.") % {"title": verification.title})
            return redirect("fieldwork:detail", pk=verification.pk)
    form = VerificationForm(initial=_plan_initial(period, picked))
    return _render_new(request, form, period, picked, picked_keys, status, add_error=error)


def _plan_initial(period: ReportingPeriod, picked: list) -> dict:
    """A new visit's title and attending agencies (the picked items' agencies)."""
    from sixcore.accounts.models import Agency

    codes = {a for c in picked for a in c.agencies}
    return {
        "agencies": list(Agency.objects.filter(code__in=codes).values_list("pk", flat=True)),
        "title": _("Field verification, %(period)s") % {"period": period.label},
    }


# --- one visit -------------------------------------------------------------------------------------


def _visible(request: HttpRequest, pk: int) -> FieldVerification:
    return get_object_or_404(
        policy.verifications(
            request.user, FieldVerification.objects.select_related("basis_period", "created_by")
        ),
        pk=pk,
    )


def _item(verification: FieldVerification, item_pk: int) -> VerifiedItem:
    return get_object_or_404(VerifiedItem, pk=item_pk, verification=verification)


def _render_detail(
    request: HttpRequest, verification: FieldVerification, bound: dict | None = None, status=200
):
    """The visit with its items; ``bound`` holds the form a refused write re-renders, keyed by
    ``("findings"|"evidence"|"recommendation", item pk)`` or ``"edit"`` / ``"step"``."""
    bound = bound or {}
    manage = policy.can_manage(request.user) and verification.editable
    party = policy.is_party(request.user, verification)
    items = list(
        verification.items.prefetch_related(
            "evidence",
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.select_related("owner", "follow_up"),
            ),
        )
    )
    _follow_up_state(request.user, items)
    rows = []
    for item in items:
        rows.append(
            {
                "item": item,
                "findings_form": bound.get(("findings", item.pk))
                or (
                    FindingsForm(initial={"version": item.version, "findings": item.findings})
                    if manage
                    else None
                ),
                "evidence_form": bound.get(("evidence", item.pk)) or (EvidenceForm() if manage else None),
                "recommendation_form": bound.get(("recommendation", item.pk))
                or (
                    RecommendationForm(
                        prefix=f"r{item.pk}", initial={"owner": _default_owner(item, verification)}
                    )
                    if manage
                    else None
                ),
                "evidence": list(item.evidence.all()) if party else [],
            }
        )
    context = {
        "verification": verification,
        "rows": rows,
        "agencies": verification.agencies.order_by("order", "code"),
        "can_manage": policy.can_manage(request.user),
        "editable": manage,
        "party": party,
        "step_form": bound.get("step") or StepForm(initial={"version": verification.version}),
        "today": today(),
    }
    if policy.can_manage(request.user):
        context.update(history_context(verification))
    return render(request, "fieldwork/detail.html", context, status=status)


def _follow_up_state(user, items: list[VerifiedItem]) -> None:
    """Mark each recommendation overdue or not and, for signed-in users, its latest 辦理情形 (the
    agencies' responses are not for the public: followups.policy)."""
    from sixcore.followups.policy import follow_up_policy
    from sixcore.followups.services import latest_responses

    as_of = today()
    recommendations = [r for item in items for r in item.recommendations.all()]
    tracked = [r.follow_up for r in recommendations if r.follow_up_id]
    latest = latest_responses(tracked) if tracked and follow_up_policy.can_read_responses(user) else {}
    for r in recommendations:
        r.overdue = r.follow_up is not None and r.follow_up.is_overdue(as_of)
        r.latest_response = latest.get(r.follow_up_id)


def _default_owner(item: VerifiedItem, verification: FieldVerification):
    if item.agency_id:
        return item.agency_id
    first = verification.agencies.order_by("order", "code").first()
    return first.pk if first else None


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible(request, pk))


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the date, place, reviewers, agencies or focus of a planned visit (NDC)."""
    verification = _visible(request, pk)
    _require_manager(request)
    if not verification.editable:
        messages.error(
            request,
            _("The field verification is %(status)s: reopen it to change it.")
            % {"status": verification.get_status_display()},
        )
        return redirect("fieldwork:detail", pk=pk)
    initial = {
        "title": verification.title,
        "date": verification.date,
        "place": verification.place,
        "reviewers": verification.reviewers,
        "agencies": list(verification.agencies.values_list("pk", flat=True)),
        "purpose": verification.purpose,
    }
    form = VerificationForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_verification(
                    request.user, verification, request.POST.get("version", ""), **form.cleaned_data
                )
            except services.FieldErrors as exc:
                _errors_to_form(form, exc)
            except services.StaleVersion as exc:
                form.add_error(None, str(exc))
                status = 409
            except services.InvalidTransition as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("Saved."))
                return redirect("fieldwork:detail", pk=pk)
    return render(request, "fieldwork/edit.html", {"form": form, "verification": verification}, status=status)


def _write(request: HttpRequest, verification: FieldVerification, key, form, action) -> HttpResponse:
    """Run ``action`` for a valid ``form``; on refusal re-render the visit with ``form`` bound."""
    status = 400
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except services.FieldErrors as exc:
            _errors_to_form(form, exc)
        except (services.StaleVersion, services.InvalidTransition) as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            return redirect(f"{redirect('fieldwork:detail', pk=verification.pk).url}#item-{key[1]}")
    return _render_detail(request, verification, {key: form}, status)


@require_POST
@login_required
def findings(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    verification = _visible(request, pk)
    _require_manager(request)
    item = _item(verification, item_pk)
    form = FindingsForm(request.POST)

    def save(data):
        services.record_findings(request.user, item, data["version"], data["findings"])
        messages.success(request, _("Findings of %(code)s saved.") % {"code": item.code})

    return _write(request, verification, ("findings", item.pk), form, save)


@require_POST
@login_required
def evidence_upload(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    verification = _visible(request, pk)
    _require_manager(request)
    item = _item(verification, item_pk)
    form = EvidenceForm(request.POST, request.FILES)

    def save(data):
        services.add_evidence(request.user, item, data["file"])
        messages.success(request, _("Attached %(name)s.") % {"name": data["file"].name})

    return _write(request, verification, ("evidence", item.pk), form, save)


def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    """Evidence for NDC and the attending agencies only, always as a download (never rendered)."""
    verification = _visible(request, pk)
    if not policy.is_party(request.user, verification):
        raise Http404
    evidence = get_object_or_404(Evidence, pk=evidence_id, item__verification=verification)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@login_required
def recommendation_add(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    verification = _visible(request, pk)
    _require_manager(request)
    item = _item(verification, item_pk)
    form = RecommendationForm(request.POST, prefix=f"r{item.pk}")

    def save(data):
        services.add_recommendation(
            request.user, item, text=data["text"], owner=data["owner"], due_date=data["due_date"]
        )
        messages.success(request, _("Recommendation added."))

    return _write(request, verification, ("recommendation", item.pk), form, save)


@require_POST
@login_required
def recommendation_delete(request: HttpRequest, pk: int, recommendation_id: int) -> HttpResponse:
    verification = _visible(request, pk)
    _require_manager(request)
    recommendation = get_object_or_404(Recommendation, pk=recommendation_id, item__verification=verification)
    try:
        services.delete_recommendation(request.user, recommendation)
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recommendation withdrawn."))
    return redirect("fieldwork:detail", pk=pk)


@require_POST
@login_required
def step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    verification = _visible(request, pk)
    _require_manager(request)
    form = StepForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            workflow.STEPS[action](
                verification, request.user, form.cleaned_data["version"], form.cleaned_data["reason"]
            )
        except services.FieldErrors as exc:
            _errors_to_form(form, exc)
        except (services.StaleVersion, services.InvalidTransition) as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(
                request,
                _("Field verification is now %(status)s.") % {"status": verification.get_status_display()},
            )
            return redirect("fieldwork:detail", pk=pk)
    return _render_detail(request, verification, {"step": form}, status)
