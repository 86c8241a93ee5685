"""Follow-up pages: the one list of 追蹤事項 (filters by agency, status, source, overdue) and an item's page
with its 辦理情形 by quarter and NDC's rulings. Scope from ``policy.py`` before anything else; what a user
may not see is "not found". Writes go through the model's transitions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from sixcore.progress.clock import today

from . import services
from .choices import FollowUpStatus
from .forms import FilterForm, RulingForm
from .models import FollowUp, InvalidTransition
from .origins import origin_of, related_names
from .policy import follow_up_policy as policy

PAGE_SIZE = 50


def index(request: HttpRequest) -> HttpResponse:
    """Every item the user may read, filtered; overdue ones marked."""
    items = services.visible(request.user).select_related(*related_names())
    form = FilterForm(request.GET or None)
    as_of = today()
    if form.is_valid():
        data = form.cleaned_data
        if data["agency"]:
            items = items.filter(owner=data["agency"])
        if data["status"]:
            items = items.filter(status=data["status"])
        if data["source"]:
            items = items.filter(source=data["source"])
        if data["overdue"]:
            items = items.filter(status=FollowUpStatus.TRACKED, due_date__lt=as_of)
    page = Paginator(items.order_by("status", "due_date", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    latest = services.latest_responses(page.object_list) if policy.can_read_responses(request.user) else {}
    rows = [{"item": f, "latest": latest.get(f.pk), "overdue": f.is_overdue(as_of)} for f in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "followups/index.html",
        {"form": form, "rows": rows, "page": page, "query": query.urlencode(), "today": as_of},
    )


def _page(request: HttpRequest, follow_up: FollowUp, form: RulingForm | None, status: int = 200):
    origin, registration = origin_of(follow_up)
    responses = (
        follow_up.responses.select_related("by", "period", "submission")
        if policy.can_read_responses(request.user)
        else []
    )
    return render(
        request,
        "followups/detail.html",
        {
            "follow_up": follow_up,
            "origin": origin,
            "origin_url": registration.url(origin) if origin is not None else "",
            "origin_label": registration.label(origin) if origin is not None else "",
            "responses": responses,
            "rulings": follow_up.rulings.select_related("by", "period"),
            "overdue": follow_up.is_overdue(today()),
            "can_rule": policy.can_rule(request.user),
            "form": form,
            "can_respond": policy.can_respond(request.user, follow_up),
        },
        status=status,
    )


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(
        services.visible(request.user).select_related("closed_by", "created_by"), pk=pk
    )
    form = RulingForm(initial={"version": follow_up.version}) if policy.can_rule(request.user) else None
    return _page(request, follow_up, form)


@require_POST
@login_required
def transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """close / keep / reopen / publish / unpublish (NDC); the form keeps what was typed on an error."""
    follow_up = get_object_or_404(services.visible(request.user), pk=pk)
    if not policy.can_rule(request.user):
        raise PermissionDenied(_("Only NDC rules on follow-up items."))
    form = RulingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        comment = data["comment"] or ""
        if action == "keep" and not comment.strip():
            form.add_error("comment", _("Write why the item stays tracked (繼續列管)."))
        else:
            kwargs = {"expected_version": data["version"]}
            if action == "keep":
                kwargs["new_due_date"] = data["new_due_date"]
            try:
                getattr(follow_up, action)(request.user, comment, **kwargs)
            except InvalidTransition as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Recorded."))
                return redirect("followups:detail", pk=pk)
    return _page(request, follow_up, form, status=409 if form.non_field_errors() else 400)
