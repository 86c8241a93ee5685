"""Who may see and do what — the one permission policy used by every view, API endpoint and command.

Rules (issue #3):
- NDC administrators and reviewers see everything; reviewers approve and return; administrators also
  reopen periods and approved submissions.
- Agency editors read and write their own agency's submissions (their agency and its sub-units), only
  while a submission is a draft and the period is open for them. Agency viewers only read them.
- An industry lead unit works as an editor for its own agency and also reads and consolidates every
  submission of the industries its agency leads.
- Anyone, anonymous included, reads approved (published) submissions; nobody outside the owning agency,
  its industry lead and NDC reads a draft.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .choices import Role
from .models import Agency

EDITOR_ROLES = (Role.AGENCY_EDITOR, Role.INDUSTRY_LEAD)


def _descendants(agency_id: int, parents: dict[int, int | None]) -> frozenset[int]:
    ids = {agency_id}
    frontier = [agency_id]
    while frontier:
        frontier = [pk for pk, parent in parents.items() if parent in frontier and pk not in ids]
        ids.update(frontier)
    return frozenset(ids)


def agency_scope(user) -> frozenset[int]:
    """Ids of the agencies a user acts for: their agency and its sub-units, plus the ministry a sub-unit
    belongs to — reports are filed by the ministry (經濟部 files for 經濟部(工業局)), so an officer of a
    sub-unit works on the ministry's report. Empty for anonymous users and users without an agency."""
    if not getattr(user, "is_authenticated", False) or not user.agency_id:
        return frozenset()
    # Memoised on the user object, i.e. for one request: a process-wide cache would go stale when an
    # agency is re-parented (and differ between app servers). The agency tree is a few dozen rows.
    cached = getattr(user, "_sixcore_agency_scope", None)
    if cached is not None and cached[0] == user.agency_id:
        return cached[1]
    parents = dict(Agency.objects.values_list("pk", "parent_id"))
    scope = _descendants(user.agency_id, parents)
    top = user.agency_id
    while parents.get(top) is not None:
        top = parents[top]
    scope = scope | {top}
    user._sixcore_agency_scope = (user.agency_id, scope)
    return scope


def is_ndc(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in (Role.NDC_ADMIN, Role.NDC_REVIEWER)


def is_ndc_admin(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role == Role.NDC_ADMIN


def led_industry_ids(user) -> frozenset[int]:
    """Industries (of any revision) whose lead units include the user's agency, for industry leads."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.INDUSTRY_LEAD or not user.agency_id:
        return frozenset()
    from sixcore.plan.models import Industry

    return frozenset(
        Industry.objects.filter(lead_agencies__in=agency_scope(user)).values_list("pk", flat=True)
    )


class SubmissionPolicy:
    """Permission answers for submissions, in the manner of Wagtail's permission policies."""

    def visible(self, user, queryset: QuerySet) -> QuerySet:
        """The submissions a user may read."""
        from sixcore.progress.choices import SubmissionStatus

        if is_ndc(user):
            return queryset
        published = Q(status=SubmissionStatus.APPROVED)
        if not getattr(user, "is_authenticated", False):
            return queryset.filter(published)
        return queryset.filter(
            published | Q(agency__in=agency_scope(user)) | Q(industry__in=led_industry_ids(user))
        )

    def can_view(self, user, submission) -> bool:
        return self.visible(user, type(submission).objects.filter(pk=submission.pk)).exists()

    def _own_open_draft(self, user, submission) -> bool:
        from sixcore.progress.choices import SubmissionStatus
        from sixcore.progress.periods import period_writable

        return (
            getattr(user, "is_authenticated", False)
            and user.role in EDITOR_ROLES
            and submission.agency_id in agency_scope(user)
            and submission.status == SubmissionStatus.DRAFT
            and period_writable(submission.period, submission.agency)
        )

    def can_edit(self, user, submission) -> bool:
        """Write the report lines: own agency, editor role, draft not with the supervisor (陳核中),
        period open for the agency."""
        return submission.internal_review_at is None and self._own_open_draft(user, submission)

    def can_submit(self, user, submission) -> bool:
        """送出審查: an editor of an open draft, and where the agency reviews internally its supervisor."""
        from sixcore.progress import workflow

        return self._own_open_draft(user, submission) and workflow.may("submit", user, submission)

    def can_request_internal_review(self, user, submission) -> bool:
        """陳核: an officer of an agency that reviews internally, on an editable draft."""
        from sixcore.progress import workflow

        return self.can_edit(user, submission) and workflow.may("internal_review", user, submission)

    def can_return_internally(self, user, submission) -> bool:
        from sixcore.progress import workflow

        return (
            submission.internal_review_at is not None
            and self._own_open_draft(user, submission)
            and workflow.may("internal_return", user, submission)
        )

    def can_consolidate(self, user, submission) -> bool:
        from sixcore.progress.choices import SubmissionStatus

        return submission.status == SubmissionStatus.SUBMITTED and submission.industry_id in led_industry_ids(
            user
        )

    def can_review(self, user, submission) -> bool:
        """Approve or return: NDC, once the agency has submitted."""
        from sixcore.progress.choices import SubmissionStatus

        return is_ndc(user) and submission.status in (
            SubmissionStatus.SUBMITTED,
            SubmissionStatus.CONSOLIDATED,
        )

    def can_reopen(self, user, submission) -> bool:
        from sixcore.progress.choices import SubmissionStatus

        return is_ndc_admin(user) and submission.status == SubmissionStatus.APPROVED


submission_policy = SubmissionPolicy()
