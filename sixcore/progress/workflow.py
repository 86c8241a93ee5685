"""Submission transitions: draft → submitted → consolidated → approved, or returned to draft.

An agency NDC lists in ``CycleSettings.internal_review_agencies`` adds an internal step inside the
draft (承辦 → 主管 before 送出): the officer sends the report to a supervisor (陳核, ``internal_review_at``
set, nobody edits it meanwhile); a supervisor (``CycleSettings.internal_reviewers``) of the agency
submits it to review or sends it back to the officer with a comment. Only supervisors submit there.

Each transition is atomic, locks the submission row, checks the actor's rights and the current state,
records who/when/comment, bumps ``version`` (so concurrent editors notice) and writes a named action to
the change log. Views, the API and commands call these; nothing else sets ``status``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from sixcore.accounts.choices import Role
from sixcore.accounts.policy import agency_scope, is_ndc, is_ndc_admin
from sixcore.plan.models import AnnualTarget
from sixcore.plan.policy import led_industry_ids

from .choices import SubmissionStatus, WorkItemStatus
from .clock import now, today
from .extensions import report_parts, schedule_rule
from .models import Submission, WorkItemReport
from .periods import CycleReads, period_writable
from .signals import status_changed

# A target cell that sets no target for the year (the document prints a dash).
NO_TARGET = frozenset({"", "-", "—", "－", "–"})


class InvalidTransition(Exception):
    """The submission is not in a state that allows this step (HTTP 409)."""


@dataclass
class IncompleteSubmission(Exception):
    """The submission cannot be submitted yet; ``problems`` lists what is missing (HTTP 400)."""

    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(self.problems)


def planned_percent(start: date | None, end: date | None, at: date) -> Decimal | None:
    """Planned percent of a work item at ``at`` (the evaluation's rule, ``extensions.schedule_rule``);
    None without dates."""
    if not start or not end:
        return None
    return schedule_rule().planned_percent(start, end, at)


def is_lagging(report, at: date) -> bool:
    """Marked lagging, or behind plan by more than the green lag threshold (evaluation rules)."""
    if report.status == WorkItemStatus.LAGGING:
        return True
    if report.percent is None or report.status in (WorkItemStatus.DONE, WorkItemStatus.SUSPENDED):
        return False
    planned = planned_percent(report.work_item.start, report.work_item.end, at)
    return planned is not None and schedule_rule().behind_plan(planned, report.percent)


def completeness_problems(
    submission: Submission,
    reports: Iterable[WorkItemReport] | None = None,
    at: date | None = None,
    *,
    measure_reports: Iterable | None = None,
    kpi_reports: Iterable | None = None,
    reads: CycleReads | None = None,
) -> list[str]:
    """What must be filled in before the agency can submit, each named as the form shows it:
    落後原因/因應對策 wherever an item lags, a completion date for a completed item and, as NDC set in
    ``CycleSettings``, 辦理情形 and 下一季重點工作, an actual for every KPI with a target this year, and
    progress for every work item under way, and (with the narratives) 辦理情形 for each open follow-up item.

    ``reports`` (with ``work_item`` loaded), ``at`` and the other lines may be passed by a caller that
    already has them (``kpi_reports`` then with ``kpi.this_year``: this year's targets with their cell),
    and ``reads``, the step's reads of the settings."""
    from .labels import field_label, line_label

    problems = []
    required = (reads or CycleReads()).settings()

    def missing(kind: str, code: str, name: str, target: str = "") -> None:
        label = f"{line_label(kind, code)} {field_label(kind, name)}"
        if target:
            problems.append(
                _("%(field)s: required before submitting (this year's target: %(target)s).")
                % {"field": label, "target": target}
            )
        else:
            problems.append(_("%(field)s: required before submitting.") % {"field": label})

    if required.require_narratives:
        if measure_reports is None:
            measure_reports = submission.measure_reports.select_related("measure")
        for report in measure_reports:
            for name in ("progress", "next_quarter"):
                if not getattr(report, name).strip():
                    missing("measures", report.measure.code, name)
    if required.require_kpi_actuals:
        if kpi_reports is None:
            kpi_reports = submission.kpi_reports.select_related("kpi__measure").prefetch_related(
                Prefetch(
                    "kpi__annual_targets",
                    queryset=AnnualTarget.objects.filter(year=submission.period.roc_year).select_related(
                        "cell"
                    ),
                    to_attr="this_year",
                )
            )
        for report in kpi_reports:
            texts = [t.cell.text.strip() for t in report.kpi.this_year]
            target = next((text for text in texts if text not in NO_TARGET), "")
            if target and report.value is None and report.done is None:
                missing("kpis", report.kpi.code, "value", target)
    if at is None:
        at = min(submission.period.end, reads.today() if reads else today())
    if reports is None:
        reports = submission.work_item_reports.select_related("work_item__schedule")
    for report in reports:
        code = f"{report.work_item.schedule.code}/{report.work_item.code}"
        if (
            required.require_work_item_progress
            and report.work_item.start
            and report.work_item.start <= submission.period.end
            and report.percent is None
            and report.status not in (WorkItemStatus.DONE, WorkItemStatus.SUSPENDED)
        ):
            missing("work_items", code, "percent")
        if is_lagging(report, at) and not (report.lag_reason.strip() and report.remedy.strip()):
            problems.append(
                _("Work item %(code)s lags: 落後原因 and 因應對策 are required.")
                % {"code": report.work_item.code}
            )
        if report.status == WorkItemStatus.DONE and report.completed_on is None:
            problems.append(
                _("Work item %(code)s is done: give its completion date.") % {"code": report.work_item.code}
            )
    if required.require_narratives:
        # The parts other apps keep (追蹤事項辦理情形) are answered in the report, like its narratives.
        for part in report_parts():
            problems.extend(part.completeness_problems(submission))
    return problems


# The transitions as messages name them (the change log keeps the English action name).
ACTIONS = {
    "submit": pgettext_lazy("submission action", "submit for review"),
    "consolidate": pgettext_lazy("submission action", "consolidate"),
    "approve": pgettext_lazy("submission action", "approve"),
    "return": pgettext_lazy("submission action", "return for revision"),
    "reopen": pgettext_lazy("submission action", "reopen"),
    "internal_review": pgettext_lazy("submission action", "send for internal review"),
    "internal_return": pgettext_lazy("submission action", "send back to the officer"),
}


def _transition(
    submission: Submission,
    user,
    action: str,
    allowed_from: tuple[str, ...],
    to: str,
    allowed: Callable[[Submission, CycleReads], bool],
    comment: str = "",
    before_save: Callable[[Submission, CycleReads], None] | None = None,
) -> Submission:
    """One step, atomic, on the submission row locked FOR UPDATE — and on nothing else.

    The step's correctness rests on the submission's own state and version: two steps of one
    submission must serialise, and they do on its row. The period and the agency are only read: a
    period's state is a function of the date, its due date and the reopening rows (inserted, never
    updated), so locking the period would add no guarantee — it only queued every approval of a
    period behind the others (``of=("self",)``: the joined period and agency rows stay unlocked).
    The rights and checks read the settings afresh here, once for the step (``reads``).
    """
    from sixcore.core.changelog import logged_transition

    with transaction.atomic():
        locked = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("period", "agency")
            .get(pk=submission.pk)
        )
        reads = CycleReads()
        if not allowed(locked, reads):
            raise PermissionDenied(_("You may not %(action)s this submission.") % {"action": ACTIONS[action]})
        if locked.status not in allowed_from:
            raise InvalidTransition(
                _("Cannot %(action)s a submission that is %(status)s.")
                % {"action": ACTIONS[action], "status": locked.get_status_display()}
            )
        if before_save:
            before_save(locked, reads)
        before = locked.status
        with logged_transition(locked, f"submission.{action}", comment):
            locked.status = to
            locked.version += 1
            locked.save()
        status_changed.send(Submission, submission=locked, before=before)
    # Its period, industry and agency come along: the API answers with this object.
    submission.refresh_from_db(
        from_queryset=Submission.objects.select_related("period", "industry", "agency")
    )
    return submission


def _own_editor(user, submission: Submission) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.role in (Role.AGENCY_EDITOR, Role.INDUSTRY_LEAD)
        and submission.agency_id in agency_scope(user)
    )


def needs_internal_review(submission: Submission, reads: CycleReads | None = None) -> bool:
    """Whether the submission's agency reviews internally (陳核) before submitting."""
    return (reads or CycleReads()).reviews_internally(submission.agency_id)


def is_supervisor(user, submission: Submission, reads: CycleReads | None = None) -> bool:
    """A supervisor (主管) of the submission's agency: an editor of it listed by NDC as a reviewer."""
    return _own_editor(user, submission) and (reads or CycleReads()).is_internal_reviewer(user.pk)


# Who may take each step (the state is checked separately, on the locked row). Callers that validate a
# body first (the API) ask ``may`` before, so that a refused caller gets 403 and never a 400 about it.
# ``r`` is the caller's ``CycleReads`` (or None: read afresh).
RIGHTS: dict[str, Callable[[object, Submission, CycleReads | None], bool]] = {
    "submit": lambda user, s, r=None: (
        _own_editor(user, s) and (not needs_internal_review(s, r) or is_supervisor(user, s, r))
    ),
    "internal_review": lambda user, s, r=None: (
        _own_editor(user, s) and needs_internal_review(s, r) and not is_supervisor(user, s, r)
    ),
    "internal_return": is_supervisor,
    "consolidate": lambda user, s, r=None: s.industry_id in led_industry_ids(user) or is_ndc(user),
    "approve": lambda user, s, r=None: is_ndc(user),
    "return": lambda user, s, r=None: (
        is_ndc(user) or (s.status == SubmissionStatus.SUBMITTED and s.industry_id in led_industry_ids(user))
    ),
    "reopen": lambda user, s, r=None: is_ndc_admin(user),
}


def may(action: str, user, submission: Submission, reads: CycleReads | None = None) -> bool:
    """Whether ``user`` has the right to take ``action`` on ``submission`` (whatever its state); ``reads``
    lets one request ask several rights for one read of the settings."""
    return RIGHTS[action](user, submission, reads)


def submit(submission: Submission, user, comment: str = "") -> Submission:
    """The agency sends its draft to review. Refused when lagging items lack a reason and remedy."""

    def check(locked: Submission, reads: CycleReads) -> None:
        if not period_writable(locked.period, locked.agency, reads):
            raise InvalidTransition(_("The period %(period)s is locked.") % {"period": locked.period.label})
        if problems := completeness_problems(locked, reads=reads):
            raise IncompleteSubmission(problems)
        locked.submitted_at, locked.submitted_by = now(), user
        locked.internal_review_at, locked.internal_review_by = None, None

    return _transition(
        submission,
        user,
        "submit",
        (SubmissionStatus.DRAFT,),
        SubmissionStatus.SUBMITTED,
        lambda s, reads: may("submit", user, s, reads),
        comment,
        check,
    )


def request_internal_review(submission: Submission, user, comment: str = "") -> Submission:
    """陳核: the officer sends the complete draft to the agency's supervisor, who submits it or sends it
    back. Refused when the report is incomplete, as 送出審查 would be, so the supervisor gets a whole one."""

    def check(locked: Submission, reads: CycleReads) -> None:
        if locked.internal_review_at is not None:
            raise InvalidTransition(_("This report is already with the supervisor (陳核中)."))
        if not period_writable(locked.period, locked.agency, reads):
            raise InvalidTransition(_("The period %(period)s is locked.") % {"period": locked.period.label})
        if problems := completeness_problems(locked, reads=reads):
            raise IncompleteSubmission(problems)
        locked.internal_review_at, locked.internal_review_by = now(), user

    return _transition(
        submission,
        user,
        "internal_review",
        (SubmissionStatus.DRAFT,),
        SubmissionStatus.DRAFT,
        lambda s, reads: may("internal_review", user, s, reads),
        comment,
        check,
    )


def return_internally(submission: Submission, user, comment: str) -> Submission:
    """The supervisor sends a report under 陳核 back to the officer, with a comment (kept in the history)."""

    def check(locked: Submission, _reads: CycleReads) -> None:
        if locked.internal_review_at is None:
            raise InvalidTransition(_("This report is not waiting for internal review."))
        if not comment.strip():
            raise IncompleteSubmission([_("A comment is required when sending a report back.")])
        locked.internal_review_at, locked.internal_review_by = None, None

    return _transition(
        submission,
        user,
        "internal_return",
        (SubmissionStatus.DRAFT,),
        SubmissionStatus.DRAFT,
        lambda s, reads: may("internal_return", user, s, reads),
        comment,
        check,
    )


def consolidate(submission: Submission, user, comment: str = "") -> Submission:
    """The industry lead unit takes the agency's report into the industry's consolidated report."""

    def stamp(locked: Submission, _reads: CycleReads) -> None:
        locked.consolidated_at, locked.consolidated_by = now(), user

    return _transition(
        submission,
        user,
        "consolidate",
        (SubmissionStatus.SUBMITTED,),
        SubmissionStatus.CONSOLIDATED,
        lambda s, reads: may("consolidate", user, s, reads),
        comment,
        stamp,
    )


def approve(submission: Submission, user, comment: str = "") -> Submission:
    """NDC approves: the data is locked and published."""

    def stamp(locked: Submission, _reads: CycleReads) -> None:
        locked.approved_at, locked.approved_by = now(), user

    return _transition(
        submission,
        user,
        "approve",
        (SubmissionStatus.SUBMITTED, SubmissionStatus.CONSOLIDATED),
        SubmissionStatus.APPROVED,
        lambda s, reads: may("approve", user, s, reads),
        comment,
        stamp,
    )


def return_for_revision(submission: Submission, user, comment: str) -> Submission:
    """NDC (or the industry lead, before consolidation) sends the report back to the agency with a comment."""

    def stamp(locked: Submission, _reads: CycleReads) -> None:
        # Checked after the rights: an unauthorised caller learns nothing from a 400.
        if not comment.strip():
            raise IncompleteSubmission([_("A comment is required when returning a submission.")])
        locked.returned_at, locked.returned_by, locked.return_comment = now(), user, comment

    return _transition(
        submission,
        user,
        "return",
        (SubmissionStatus.SUBMITTED, SubmissionStatus.CONSOLIDATED),
        SubmissionStatus.DRAFT,
        lambda s, reads: may("return", user, s, reads),
        comment,
        stamp,
    )


def reopen(submission: Submission, user, reason: str) -> Submission:
    """An NDC administrator reopens approved data for correction, with a reason."""

    def check(_locked: Submission, _reads: CycleReads) -> None:
        # Checked after the rights: an unauthorised caller learns nothing from a 400.
        if not reason.strip():
            raise IncompleteSubmission([_("A reason is required to reopen approved data.")])

    return _transition(
        submission,
        user,
        "reopen",
        (SubmissionStatus.APPROVED,),
        SubmissionStatus.DRAFT,
        lambda s, reads: may("reopen", user, s, reads),
        reason,
        check,
    )
