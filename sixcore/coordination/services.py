"""Raising issues, recording meetings and decisions, and the overdue decisions others report on."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sixcore.accounts.models import Agency
from sixcore.accounts.policy import agency_scope, is_ndc
from sixcore.followups.choices import FollowUpSource, FollowUpStatus
from sixcore.followups.services import create_follow_up

from .models import CoordinationIssue, Decision, Meeting
from .policy import coordination_policy


def raise_issue(
    user, *, title: str, description: str, agencies=(), raising_agency: Agency | None = None, **fields
) -> CoordinationIssue:
    """An agency editor raises an issue for their own agency; NDC for any agency (default: its own)."""
    if not coordination_policy.can_raise(user):
        raise PermissionDenied(_("You may not raise a coordination issue."))
    agency = raising_agency or user.agency
    if agency is None or (not is_ndc(user) and agency.pk not in agency_scope(user)):
        raise PermissionDenied(_("An agency raises issues for itself."))
    with transaction.atomic():
        issue = CoordinationIssue.objects.create(
            title=title, description=description, raised_by=user, raising_agency=agency, **fields
        )
        issue.agencies.set(agencies)
    return issue


def record_meeting(user, *, date: date, title: str, attendees=(), agenda=(), minutes: str = "") -> Meeting:
    if not coordination_policy.can_manage(user):
        raise PermissionDenied(_("Only NDC records project meetings."))
    with transaction.atomic():
        meeting = Meeting.objects.create(date=date, title=title, minutes=minutes, created_by=user)
        meeting.attendees.set(attendees)
        meeting.agenda.set(agenda)
    return meeting


def add_decision(
    user, meeting: Meeting, *, text: str, owner: Agency, deadline: date, issue=None, is_demo: bool = False
) -> Decision:
    """A decision and its follow-up item (列管中 until NDC closes it), carried by the owner's quarterly
    report for the issue's industry (see ``followups.services.carrying_submission``)."""
    if not coordination_policy.can_manage(user):
        raise PermissionDenied(_("Only NDC records decisions."))
    with transaction.atomic():
        follow_up = create_follow_up(
            user,
            source=FollowUpSource.COORDINATION,
            text=text,
            owner=owner,
            due_date=deadline,
            opened_on=meeting.date,
            industry=_industry(issue),
            is_demo=is_demo,
        )
        decision = Decision.objects.create(meeting=meeting, issue=issue, follow_up=follow_up)
        if issue is not None:
            meeting.agenda.add(issue)
    return decision


def _industry(issue: CoordinationIssue | None):
    subject = issue.subject if issue is not None else None
    if subject is None:
        return None
    if hasattr(subject, "industry"):
        return subject.industry
    if hasattr(subject, "measure"):
        return subject.measure.industry
    return subject.schedule.industry


def overdue_decisions(as_of: date | None = None, user=None) -> QuerySet[Decision]:
    """Decisions still tracked (列管) whose deadline is before ``as_of`` (default: the as-of clock's today),
    oldest deadline first; within ``user``'s scope when given (the public: published ones only).

    For the "needs attention" page and the quarterly report's appendix.
    """
    from sixcore.progress.clock import today

    as_of = as_of or today()
    decisions = Decision.objects.filter(
        follow_up__status=FollowUpStatus.TRACKED, follow_up__due_date__lt=as_of
    )
    if user is not None:
        decisions = coordination_policy.decisions(user, decisions)
    return decisions.select_related("meeting", "follow_up__owner", "issue").order_by(
        "follow_up__due_date", "pk"
    )
