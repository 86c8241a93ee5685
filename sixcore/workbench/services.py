"""What each signed-in user has to do, read through the permission policies of the apps that own the
data (submission_policy, coordination_policy, follow_up_policy): never another agency's drafts.

Each function runs a fixed number of queries, whatever the number of submissions (tests count them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet

from sixcore.accounts.choices import Role
from sixcore.accounts.policy import agency_scope, is_ndc
from sixcore.coordination.choices import IssueStatus
from sixcore.coordination.models import CoordinationIssue
from sixcore.coordination.policy import coordination_policy
from sixcore.fieldwork.choices import VerificationStatus
from sixcore.fieldwork.models import FieldVerification
from sixcore.fieldwork.policy import fieldwork_policy
from sixcore.followups.models import FollowUp
from sixcore.followups.services import DUE_WITHIN, due_follow_ups
from sixcore.plan.policy import led_industry_ids
from sixcore.progress.choices import PeriodState, SubmissionStatus
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.periods import period_states
from sixcore.progress.policy import submission_policy

RED_LIGHTS_SHOWN = 10
VISIT_SOON = timedelta(days=14)  # a planned field verification this close is listed to prepare


@dataclass
class OfficerWork:
    """An agency's own drafts, each in one group: with the supervisor (陳核中, the supervisor's work),
    returned (with the reviewer's comment), past its due date, or to fill in an open period."""

    internal_review: list[Submission] = field(default_factory=list)
    returned: list[Submission] = field(default_factory=list)
    overdue: list[Submission] = field(default_factory=list)
    to_fill: list[Submission] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.internal_review or self.returned or self.overdue or self.to_fill)


@dataclass
class LateAgency:
    """An agency that has not submitted every report of a period whose due date has passed."""

    period: ReportingPeriod
    agency_name: str
    agency_code: str
    industries: list[str]


@dataclass
class NdcWork:
    to_review: list[Submission]
    late: list[LateAgency]
    red_period: ReportingPeriod | None
    red_lights: list
    red_total: int
    issues: list[CoordinationIssue]
    follow_ups: list[FollowUp]
    visits: VisitWork = field(default_factory=lambda: VisitWork())


@dataclass
class VisitWork:
    """Field verifications (實地查證) waiting for NDC: planned visits coming up (to prepare), planned
    ones whose date has passed (findings to record, then 完成), completed ones not yet published.
    Each carries ``without_findings``: its verified items with no findings yet."""

    upcoming: list[FieldVerification] = field(default_factory=list)
    to_complete: list[FieldVerification] = field(default_factory=list)
    to_publish: list[FieldVerification] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upcoming or self.to_complete or self.to_publish)

    def __len__(self) -> int:
        return len(self.upcoming) + len(self.to_complete) + len(self.to_publish)


def visit_work(user, today: date) -> VisitWork:
    """The field verifications needing NDC's action, in one query."""
    work = VisitWork()
    pending = Q(status=VerificationStatus.PLANNED, date__lte=today + VISIT_SOON) | Q(
        status=VerificationStatus.COMPLETED
    )
    visits = (
        fieldwork_policy.verifications(user, FieldVerification.objects.filter(pending))
        .annotate(without_findings=Count("items", filter=Q(items__findings="")))
        .order_by("date", "pk")
    )
    for visit in visits:
        if visit.status == VerificationStatus.COMPLETED:
            work.to_publish.append(visit)
        elif visit.date < today:
            work.to_complete.append(visit)
        else:
            work.upcoming.append(visit)
    return work


def _submissions(user, queryset: QuerySet) -> QuerySet:
    return (
        submission_policy.visible(user, queryset)
        .select_related("period", "industry", "agency", "returned_by")
        .order_by("period__roc_year", "period__quarter", "industry__code", "agency__order")
    )


def officer_work(user, today: date) -> OfficerWork:
    """The drafts of the user's own agency (and sub-units) in periods that have opened."""
    scope = agency_scope(user)
    work = OfficerWork()
    if not scope:
        return work
    drafts = list(
        _submissions(user, Submission.objects.filter(agency__in=scope, status=SubmissionStatus.DRAFT))
    )
    periods = list({s.period_id: s.period for s in drafts}.values())
    states = period_states(periods, user.agency) if periods else {}
    for submission in drafts:
        state = states[submission.period_id]
        if state == PeriodState.NOT_YET_OPEN:
            continue
        submission.period_state = state
        submission.writable = state in (PeriodState.OPEN, PeriodState.GRACE)
        if submission.internal_review_at is not None:
            work.internal_review.append(submission)
        elif submission.returned_at is not None:
            work.returned.append(submission)
        elif today > submission.period.due_date:
            work.overdue.append(submission)
        else:
            work.to_fill.append(submission)
    return work


def to_consolidate(user) -> list[Submission]:
    """Industry leads: submitted reports of the industries their agency leads."""
    industries = led_industry_ids(user)
    if not industries:
        return []
    return list(
        _submissions(
            user, Submission.objects.filter(industry__in=industries, status=SubmissionStatus.SUBMITTED)
        )
    )


def ndc_work(user, today: date) -> NdcWork:
    """NDC: reports to review, agencies late with a report, red lights of the latest period whose
    reports were due, open coordination issues, follow-up items due (or overdue, those of field
    verifications' recommendations and meeting decisions alike) and field verifications to act on."""
    to_review = list(
        _submissions(
            user,
            Submission.objects.filter(status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.CONSOLIDATED]),
        )
    )
    late: dict[tuple[int, int], LateAgency] = {}
    for s in _submissions(
        user, Submission.objects.filter(status=SubmissionStatus.DRAFT, period__due_date__lt=today)
    ):
        key = (s.period_id, s.agency_id)
        if key not in late:
            late[key] = LateAgency(s.period, s.agency.name, s.agency.code, [])
        late[key].industries.append(s.industry.name)
    red_period, red, red_total = _red_lights(user, today)
    issues = list(
        coordination_policy.issues(
            user, CoordinationIssue.objects.filter(status=IssueStatus.OPEN).select_related("raising_agency")
        ).order_by("due_date", "pk")
    )
    follow_ups = list(due_follow_ups(user, today, DUE_WITHIN))
    return NdcWork(
        to_review=to_review,
        late=sorted(late.values(), key=lambda a: (-a.period.roc_year, -a.period.quarter, a.agency_code)),
        red_period=red_period,
        red_lights=red[:RED_LIGHTS_SHOWN],
        red_total=len(red),
        issues=issues,
        follow_ups=follow_ups,
        visits=visit_work(user, today),
    )


def _red_lights(user, today: date):
    """The red KPIs of the latest period whose reports were due by ``today``."""
    from sixcore.evaluation.read import evaluation_for
    from sixcore.plan.models import Program

    period = (
        ReportingPeriod.objects.filter(due_date__lt=today, submissions__isnull=False)
        .order_by("-roc_year", "-quarter")
        .first()
    )
    if period is None:
        return None, [], 0
    try:
        evaluation = evaluation_for(period, user)
    except Program.DoesNotExist:
        return period, [], 0
    red = [k for k in evaluation.kpis if str(k.light) == "red"]
    return period, red, len(red)


def home_for(user, today: date) -> dict:
    """Everything the 待辦事項 page shows for this user, by role."""
    from sixcore.annual.todo import annual_work

    context: dict = {"today": today, "is_ndc": is_ndc(user), "is_lead": user.role == Role.INDUSTRY_LEAD}
    context["annual"] = annual_work(user, today)
    if is_ndc(user):
        context["ndc"] = ndc_work(user, today)
    else:
        context["officer"] = officer_work(user, today)
        if context["is_lead"]:
            context["consolidate"] = to_consolidate(user)
        # The agency's own items (not those it merely reads as a party or an industry lead).
        context["follow_ups"] = list(
            due_follow_ups(user, today, DUE_WITHIN).filter(owner__in=agency_scope(user))
        )
    return context
