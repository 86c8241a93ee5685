"""Who may see and do what with submissions — the one policy used by every view, API endpoint and command
that touches the quarterly cycle (in the manner of Wagtail's permission policies).

Rules (issue #3):
- NDC administrators and reviewers see everything; reviewers approve and return; administrators also
  reopen periods and approved submissions.
- Agency editors read and write their own agency's submissions (their agency and its sub-units), only
  while a submission is a draft and the period is open for them. Agency viewers only read them.
- An industry lead unit works as an editor for its own agency and also reads and consolidates every
  submission of the industries its agency leads.
- Anyone, anonymous included, reads approved (published) submissions; nobody outside the owning agency,
  its industry lead and NDC reads a draft.

It lives with submissions, built on the primitives of ``accounts.policy`` and ``plan.policy``. The
answers about one submission take an optional ``reads`` (``periods.CycleReads``), so that a request
asking several of them reads the cycle's settings once.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, is_ndc, is_ndc_admin
from sixcore.plan.policy import led_industry_ids

from . import workflow
from .choices import SubmissionStatus
from .periods import CycleReads, period_writable


class SubmissionPolicy:
    """Permission answers for submissions."""

    def visible(self, user, queryset: QuerySet) -> QuerySet:
        """The submissions a user may read."""
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

    def _own_open_draft(self, user, submission, reads: CycleReads | None = None) -> bool:
        return (
            getattr(user, "is_authenticated", False)
            and user.role in EDITOR_ROLES
            and submission.agency_id in agency_scope(user)
            and submission.status == SubmissionStatus.DRAFT
            and period_writable(submission.period, submission.agency, reads)
        )

    def can_edit(self, user, submission, reads: CycleReads | None = None) -> bool:
        """Write the report lines: own agency, editor role, draft not with the supervisor (陳核中),
        period open for the agency."""
        return submission.internal_review_at is None and self._own_open_draft(user, submission, reads)

    def can_submit(self, user, submission, reads: CycleReads | None = None) -> bool:
        """送出審查: an editor of an open draft, and where the agency reviews internally its supervisor."""
        return self._own_open_draft(user, submission, reads) and workflow.may(
            "submit", user, submission, reads
        )

    def can_request_internal_review(self, user, submission, reads: CycleReads | None = None) -> bool:
        """陳核: an officer of an agency that reviews internally, on an editable draft."""
        return self.can_edit(user, submission, reads) and workflow.may(
            "internal_review", user, submission, reads
        )

    def can_return_internally(self, user, submission, reads: CycleReads | None = None) -> bool:
        return (
            submission.internal_review_at is not None
            and self._own_open_draft(user, submission, reads)
            and workflow.may("internal_return", user, submission, reads)
        )

    def can_consolidate(self, user, submission) -> bool:
        return submission.status == SubmissionStatus.SUBMITTED and submission.industry_id in led_industry_ids(
            user
        )

    def can_review(self, user, submission) -> bool:
        """Approve or return: NDC, once the agency has submitted."""
        return is_ndc(user) and submission.status in (
            SubmissionStatus.SUBMITTED,
            SubmissionStatus.CONSOLIDATED,
        )

    def can_reopen(self, user, submission) -> bool:
        return is_ndc_admin(user) and submission.status == SubmissionStatus.APPROVED


submission_policy = SubmissionPolicy()
