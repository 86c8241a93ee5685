"""Coordination pages: issues, meetings, decisions. Scope from ``policy.py``; writes through services and
model methods. What a user may not see is "not found" (its existence is not disclosed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from sixcore.followups.policy import follow_up_policy
from sixcore.plan import models as plan
from sixcore.plan.models import programs_in_force
from sixcore.progress.clock import today

from . import services
from .forms import CommentForm, DecisionForm, IssueForm, MeetingForm
from .models import CoordinationIssue, Decision, InvalidTransition, Meeting
from .policy import coordination_policy as policy


def index(request: HttpRequest) -> HttpResponse:
    """Issues, meetings and decisions within the user's scope; the public sees published decisions."""
    issues = policy.issues(request.user, CoordinationIssue.objects.select_related("raising_agency"))
    meetings = policy.meetings(request.user, Meeting.objects.all())
    decisions = policy.decisions(request.user, Decision.objects.select_related("follow_up__owner", "meeting"))
    if request.GET.get("overdue"):
        decisions = services.overdue_decisions(user=request.user)
    return render(
        request,
        "coordination/index.html",
        {
            "issues": issues,
            "meetings": meetings,
            "decisions": decisions,
            "overdue": services.overdue_decisions(user=request.user),
            "today": today(),
            "can_raise": policy.can_raise(request.user),
            "can_manage": policy.can_manage(request.user),
        },
    )


def _subject(text: str) -> dict:
    """``1.2`` → measure, ``1.2/1.2.2`` → KPI, ``1-1/1.1.1`` → work item, in the plan in force."""
    text = text.strip()
    if not text:
        return {}
    program = programs_in_force().last()
    head, _sep, tail = text.partition("/")
    if tail and "-" in head:
        item = plan.WorkItem.objects.filter(
            schedule__industry__program=program, schedule__code=head, code=tail
        ).first()
        return {"work_item": item} if item else {"error": True}
    if tail:
        kpi = plan.KPI.objects.filter(
            measure__industry__program=program, measure__code=head, code=tail
        ).first()
        return {"kpi": kpi, "measure": kpi.measure} if kpi else {"error": True}
    measure = plan.Measure.objects.filter(industry__program=program, code=head).first()
    return {"measure": measure} if measure else {"error": True}


@login_required
def issue_new(request: HttpRequest) -> HttpResponse:
    if not policy.can_raise(request.user):
        raise PermissionDenied(_("You may not raise a coordination issue."))
    form = IssueForm(request.POST or None, initial={"subject": request.GET.get("subject", "")})
    if request.method == "POST" and form.is_valid():
        subject = _subject(form.cleaned_data["subject"])
        if subject.pop("error", False):
            form.add_error("subject", _("No such measure, KPI or work item in the plan in force."))
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k not in ("subject", "agencies")}
            issue = services.raise_issue(
                request.user, agencies=form.cleaned_data["agencies"], **data, **subject
            )
            messages.success(request, _("Issue raised."))
            return redirect("coordination:issue", pk=issue.pk)
    return render(
        request, "coordination/form.html", {"form": form, "heading": _("Raise a coordination issue")}
    )


def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(
        policy.issues(
            request.user,
            CoordinationIssue.objects.select_related(
                "raising_agency", "measure", "kpi__measure", "work_item__schedule"
            ),
        ),
        pk=pk,
    )
    decisions = policy.decisions(request.user, issue.decisions.select_related("follow_up__owner", "meeting"))
    return render(
        request,
        "coordination/issue.html",
        {
            "issue": issue,
            "decisions": decisions,
            "can_manage": policy.can_manage(request.user),
            "comment_form": CommentForm(),
        },
    )


@require_POST
@login_required
def issue_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    issue = get_object_or_404(policy.issues(request.user, CoordinationIssue.objects.all()), pk=pk)
    try:
        getattr(issue, action)(request.user, request.POST.get("comment", ""))
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    return redirect("coordination:issue", pk=pk)


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if not policy.can_manage(request.user):
        raise PermissionDenied(_("Only NDC records project meetings."))
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        meeting = services.record_meeting(
            request.user,
            date=data["date"],
            title=data["title"],
            attendees=data["attendees"],
            agenda=data["agenda"],
            minutes=data["minutes"],
        )
        messages.success(request, _("Meeting recorded."))
        return redirect("coordination:meeting", pk=meeting.pk)
    return render(request, "coordination/form.html", {"form": form, "heading": _("Record a project meeting")})


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(
        policy.meetings(request.user, Meeting.objects.prefetch_related("attendees")), pk=pk
    )
    form = None
    if policy.can_manage(request.user):
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.add_decision(request.user, meeting, **form.cleaned_data)
            messages.success(request, _("Decision recorded."))
            return redirect("coordination:meeting", pk=pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Only NDC records decisions."))
    return render(
        request,
        "coordination/meeting.html",
        {
            "meeting": meeting,
            "agenda": policy.issues(request.user, meeting.agenda.all()),
            "decisions": policy.decisions(
                request.user, meeting.decisions.select_related("follow_up__owner", "issue")
            ),
            "form": form,
        },
    )


@require_safe
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision with its tracking: the follow-up item's 辦理情形 by quarter and NDC's rulings (the
    owner answers in its quarterly report; NDC closes or keeps it here or on the follow-up page)."""
    decision = get_object_or_404(
        policy.decisions(
            request.user,
            Decision.objects.select_related("follow_up__owner", "follow_up__closed_by", "meeting", "issue"),
        ),
        pk=pk,
    )
    follow_up = decision.follow_up
    # The agencies' 辦理情形 are their working record: not for the public.
    responses = (
        follow_up.responses.select_related("by", "period")
        if follow_up_policy.can_read_responses(request.user)
        else []
    )
    return render(
        request,
        "coordination/decision.html",
        {
            "decision": decision,
            "follow_up": follow_up,
            "responses": responses,
            "rulings": follow_up.rulings.select_related("by", "period"),
            "can_manage": policy.can_manage(request.user),
            "overdue": decision.is_overdue(today()),
        },
    )


@require_POST
@login_required
def decision_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    decision = get_object_or_404(policy.decisions(request.user, Decision.objects.all()), pk=pk)
    try:
        getattr(decision, action)(request.user, request.POST.get("comment", ""))
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    return redirect("coordination:decision", pk=pk)
