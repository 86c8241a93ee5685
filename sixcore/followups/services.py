"""Creating follow-up items, answering them in quarterly reports, and the lists others report on.

The one write path for 辦理情形 is :func:`save_responses`: the report form, the Excel upload and the API
call it with the report (``Submission``) the responses belong to; it is refused once the report has
been submitted (the responses are locked with the report) and writes all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sixcore.accounts.models import Agency
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.policy import submission_policy

from .choices import FollowUpSource, FollowUpStatus
from .models import FollowUp, FollowUpResponse
from .policy import follow_up_policy

# Tracked items due within this many days show on 待辦 and in reminders before they are overdue.
DUE_WITHIN = timedelta(days=30)


def create_follow_up(
    user,
    *,
    source: str,
    text: str,
    owner: Agency,
    due_date: date,
    opened_on: date | None = None,
    industry=None,
    published: bool = False,
    is_demo: bool = False,
) -> FollowUp:
    """A new 追蹤事項 (NDC). The origin (decision, recommendation) then points at it."""
    from sixcore.progress.clock import today

    if not follow_up_policy.can_create(user):
        raise PermissionDenied(_("Only NDC assigns follow-up items."))
    if source not in FollowUpSource.values:
        raise ValueError(f"unknown follow-up source {source!r}")
    if not text.strip():
        raise ValueError(_("Write the recommendation or decision."))
    return FollowUp.objects.create(
        source=source,
        text=text.strip(),
        owner=owner,
        due_date=due_date,
        opened_on=opened_on or today(),
        industry=industry,
        published=published,
        is_demo=is_demo,
        created_by=user,
    )


def visible(user, queryset: QuerySet | None = None) -> QuerySet[FollowUp]:
    queryset = FollowUp.objects.all() if queryset is None else queryset
    return follow_up_policy.visible(user, queryset).select_related("owner", "industry")


def due_follow_ups(
    user=None, as_of: date | None = None, within: timedelta = DUE_WITHIN
) -> QuerySet[FollowUp]:
    """Tracked items due by ``as_of + within`` (overdue ones included), oldest due date first, within
    ``user``'s scope when given. For 待辦, the needs-attention page and the reminders."""
    from sixcore.progress.clock import today

    as_of = as_of or today()
    items = FollowUp.objects.filter(status=FollowUpStatus.TRACKED, due_date__lte=as_of + within)
    if user is not None:
        items = follow_up_policy.visible(user, items)
    return items.select_related("owner", "industry").order_by("due_date", "pk")


def overdue_follow_ups(user=None, as_of: date | None = None) -> QuerySet[FollowUp]:
    """Tracked items whose due date is before ``as_of`` (default: the as-of clock's today)."""
    from sixcore.progress.clock import today

    as_of = as_of or today()
    return due_follow_ups(user, as_of, within=timedelta(days=-1))


def open_follow_ups(as_of: date, user=None) -> QuerySet[FollowUp]:
    """Items tracked at ``as_of``: assigned by then and not closed by then (for the quarterly report)."""
    items = FollowUp.objects.filter(opened_on__lte=as_of).filter(
        Q(status=FollowUpStatus.TRACKED) | Q(closed_at__date__gt=as_of)
    )
    if user is not None:
        items = follow_up_policy.visible(user, items)
    return items.select_related("owner", "industry").order_by("due_date", "pk")


def latest_responses(follow_ups, as_of: date | None = None) -> dict[int, FollowUpResponse]:
    """Each item's latest 辦理情形 (of a period ending by ``as_of`` when given), one query."""
    responses = FollowUpResponse.objects.filter(follow_up__in=list(follow_ups)).select_related(
        "period", "submission"
    )
    latest: dict[int, FollowUpResponse] = {}
    for r in responses:
        if as_of is not None and r.period is not None and r.period.start > as_of:
            continue
        key = (r.period.roc_year, r.period.quarter) if r.period else (0, 0)
        current = latest.get(r.follow_up_id)
        if current is None:
            latest[r.follow_up_id] = r
            continue
        ckey = (current.period.roc_year, current.period.quarter) if current.period else (0, 0)
        if (key, r.at) >= (ckey, current.at):
            latest[r.follow_up_id] = r
    return latest


# --- the quarterly report ------------------------------------------------------------------------


def _reporter(agency: Agency) -> Agency | None:
    from sixcore.progress.services import reporting_agency

    return reporting_agency(agency)


def _carrier(follow_up: FollowUp, reports: list[tuple[str, int]]) -> int | None:
    """Of the owner's reports of a quarter, ``[(industry code, id)]`` in industry order, the one that
    carries the item: its industry's, else the first."""
    if not reports:
        return None
    if follow_up.industry_id is not None:
        code = follow_up.industry.code
        own = next((pk for industry, pk in reports if industry == code), None)
        if own is not None:
            return own
    return reports[0][1]


def carrying_submission(follow_up: FollowUp, period: ReportingPeriod) -> Submission | None:
    """The quarterly report in which the owner answers the item for ``period``: the owner's (ministry's)
    report for the item's industry; for an item without an industry (or whose industry the owner does
    not report on) the owner's first report of the quarter in industry order."""
    reporter = _reporter(follow_up.owner)
    if reporter is None:
        return None
    reports = list(
        Submission.objects.filter(period=period, agency=reporter)
        .order_by("industry__code", "pk")
        .values_list("industry__code", "pk")
    )
    pk = _carrier(follow_up, reports)
    return Submission.objects.get(pk=pk) if pk is not None else None


@dataclass
class ReportItem:
    """One follow-up item in a quarterly report, with the response of that quarter (if any)."""

    follow_up: FollowUp
    response: FollowUpResponse | None

    @property
    def text(self) -> str:
        return self.response.text if self.response else ""


def report_items(submission: Submission) -> list[ReportItem]:
    """The items a report carries: those answered in it, and the owner's items tracked now and assigned by
    the quarter's end that route to it (see :func:`carrying_submission`)."""
    period = submission.period
    answered = {
        r.follow_up_id: r
        for r in FollowUpResponse.objects.filter(period=period, submission=submission).select_related(
            "follow_up__owner", "follow_up__industry", "by"
        )
    }
    agency = submission.agency_id
    candidates = (
        FollowUp.objects.filter(status=FollowUpStatus.TRACKED, opened_on__lte=period.end)
        .filter(Q(owner=agency) | Q(owner__parent=agency) | Q(owner__parent__parent=agency))
        .select_related("owner__parent", "industry")
    )
    others = FollowUpResponse.objects.filter(period=period).exclude(submission=submission)
    answered_elsewhere = set(others.values_list("follow_up_id", flat=True))
    items = {fu_id: ReportItem(r.follow_up, r) for fu_id, r in answered.items()}
    # The agency's reports of the quarter by industry code: which of them carries each item.
    reports = list(
        Submission.objects.filter(period=period, agency=submission.agency_id)
        .order_by("industry__code", "pk")
        .values_list("industry__code", "pk")
    )
    for fu in candidates:
        if fu.pk in items or fu.pk in answered_elsewhere:
            continue
        reporter = _reporter(fu.owner)
        if reporter is None or reporter.pk != submission.agency_id:
            continue
        if _carrier(fu, reports) == submission.pk:
            items[fu.pk] = ReportItem(fu, None)
    return sorted(items.values(), key=lambda i: (i.follow_up.due_date, i.follow_up.pk))


class ResponseErrors(Exception):
    """Bad 辦理情形 answers as ``(item id, message)``; nothing was written. ``str()`` names each item as
    the user sees it (追蹤事項 #12 辦理情形：…)."""

    def __init__(self, errors: list[tuple[int | None, str]]):
        self.errors = errors
        super().__init__(
            "; ".join(
                f"{_('Follow-up item #%(id)s progress (辦理情形)') % {'id': i}}：{m}" for i, m in errors
            )
        )


MAX_RESPONSE_CHARS = 4000


def save_responses(user, submission: Submission, texts: dict[int, str]) -> int:
    """Write the report's 辦理情形 ``{follow-up id: text}``, all or nothing; returns how many changed.

    Refused (PermissionDenied) unless the user may edit the report (own agency's draft, period open):
    the responses are locked with the report. An id the report does not carry is an error; a blank text
    removes that quarter's response. Call inside the transaction that locked the submission when it
    also saves report lines.
    """
    from sixcore.progress.services import lock_submissions

    with transaction.atomic():
        locked = lock_submissions([submission.pk]).get(submission.pk)
        if locked is None or not submission_policy.can_edit(user, locked):
            raise PermissionDenied(
                _("You may not edit this submission (not your agency's draft, or the period is locked).")
            )
        items = {i.follow_up.pk: i for i in report_items(locked)}
        errors: list[tuple[int | None, str]] = []
        for fu_id, text in texts.items():
            item = items.get(fu_id)
            if item is None:
                errors.append((fu_id, _("not carried by this report")))
            elif len(text or "") > MAX_RESPONSE_CHARS:
                errors.append((fu_id, _("at most %(n)s characters") % {"n": MAX_RESPONSE_CHARS}))
            elif not follow_up_policy.can_respond(user, item.follow_up):
                errors.append((fu_id, _("not your agency's follow-up item")))
        if errors:
            raise ResponseErrors(errors)
        locked_items = {f.pk: f for f in FollowUp.objects.select_for_update().filter(pk__in=list(texts))}
        changed = 0
        for fu_id, text in texts.items():
            text = (text or "").strip()
            response = items[fu_id].response
            if response is None and text:
                if locked_items[fu_id].status != FollowUpStatus.TRACKED:
                    raise ResponseErrors([(fu_id, _("the item is closed (解除列管)"))])
                FollowUpResponse.objects.create(
                    follow_up=locked_items[fu_id], period=locked.period, submission=locked, text=text, by=user
                )
                changed += 1
            elif response is not None and not text:
                response.delete()
                changed += 1
            elif response is not None and response.text != text:
                response.text, response.by = text, user
                response.save()
                changed += 1
        if changed:
            # The report's one version guards its answers too: a colleague's open form becomes stale.
            Submission.objects.filter(pk=locked.pk).update(
                version=F("version") + 1, modified_at=timezone.now()
            )
    submission.refresh_from_db(fields=["version", "modified_at"])
    return changed
