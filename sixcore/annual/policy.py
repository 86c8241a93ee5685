"""Who may see and do what in the year-end evaluation — one place, used by every view, endpoint and
service (the rules of ``progress.policy.SubmissionPolicy``, applied to 年度評核):

- Published (公告) evaluations are public, anonymous users included.
- Until then an evaluation is read by its own agency (and the agency's sub-units), by the lead unit
  of its industry and by NDC — scoped like quarterly reports; anyone else is told "not found".
- 自評: the agency's editors (and an industry lead for its own agency) score and submit.
- 初核: the industry lead unit of the evaluation's industry scores and completes it, or returns it.
- 複核: NDC (administrators and reviewers) score, complete or return; 核定, 公告 and reopening a
  published evaluation are for NDC administrators.
- Indicators, grade thresholds and the calendar are NDC's (administrators).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, is_ndc, is_ndc_admin
from sixcore.plan.policy import led_industry_ids

from .choices import ScoreStage, Stage


def _authenticated(user) -> bool:
    return getattr(user, "is_authenticated", False)


class AnnualEvaluationPolicy:
    """Permission answers for year-end evaluations, in the manner of ``SubmissionPolicy``."""

    def visible(self, user, queryset: QuerySet) -> QuerySet:
        """The evaluations a user may read."""
        if is_ndc(user):
            return queryset
        published = Q(stage=Stage.PUBLISHED)
        if not _authenticated(user):
            return queryset.filter(published)
        return queryset.filter(
            published | Q(agency__in=agency_scope(user)) | Q(industry__in=led_industry_ids(user))
        )

    def can_view(self, user, evaluation) -> bool:
        return self.visible(user, type(evaluation).objects.filter(pk=evaluation.pk)).exists()

    # --- rights, whatever the stage (the services check the stage on the locked row) ---------------

    def is_own_editor(self, user, evaluation) -> bool:
        return (
            _authenticated(user) and user.role in EDITOR_ROLES and evaluation.agency_id in agency_scope(user)
        )

    def is_industry_lead(self, user, evaluation) -> bool:
        return evaluation.industry_id in led_industry_ids(user)

    def may(self, action: str, user, evaluation) -> bool:
        """Whether ``user`` has the right to take ``action`` on ``evaluation`` (whatever its stage).

        Asked before a body is validated, so that a refused caller gets 403 and never a 400 about it.
        """
        rights = {
            "submit_self": lambda: self.is_own_editor(user, evaluation),
            "complete_initial": lambda: self.is_industry_lead(user, evaluation),
            "complete_review": lambda: is_ndc(user),
            "approve": lambda: is_ndc_admin(user),
            "publish": lambda: is_ndc_admin(user),
            "reopen": lambda: is_ndc_admin(user),
            "extend": lambda: is_ndc(user),
            "return": lambda: self.may_return(user, evaluation),
            "improvements": lambda: is_ndc(user),
        }
        return rights[action]()

    def may_return(self, user, evaluation) -> bool:
        """初核 goes back to 自評 by the industry lead (or NDC); later stages go back by NDC."""
        if evaluation.stage == Stage.INITIAL:
            return self.is_industry_lead(user, evaluation) or is_ndc(user)
        return is_ndc(user)

    def may_score(self, user, evaluation, stage: str) -> bool:
        """The right to write ``stage``'s scores (whatever the evaluation's stage)."""
        if stage == ScoreStage.SELF:
            return self.is_own_editor(user, evaluation)
        if stage == ScoreStage.INITIAL:
            return self.is_industry_lead(user, evaluation)
        if stage == ScoreStage.REVIEW:
            return is_ndc(user)
        return False

    # --- rights in the current stage (what the pages show as buttons) ------------------------------

    def can_score(self, user, evaluation, stage: str) -> bool:
        from .choices import SCORING_STAGE

        return evaluation.stage == SCORING_STAGE.get(stage) and self.may_score(user, evaluation, stage)

    def can_submit_self(self, user, evaluation) -> bool:
        return evaluation.stage == Stage.SELF and self.may("submit_self", user, evaluation)

    def can_complete_initial(self, user, evaluation) -> bool:
        return evaluation.stage == Stage.INITIAL and self.may("complete_initial", user, evaluation)

    def can_complete_review(self, user, evaluation) -> bool:
        return evaluation.stage == Stage.REVIEW and self.may("complete_review", user, evaluation)

    def can_approve(self, user, evaluation) -> bool:
        return evaluation.stage == Stage.REVIEWED and self.may("approve", user, evaluation)

    def can_publish(self, user, evaluation) -> bool:
        return evaluation.stage == Stage.APPROVED and self.may("publish", user, evaluation)

    def can_return(self, user, evaluation) -> bool:
        return evaluation.stage in RETURNS_TO and self.may_return(user, evaluation)

    def can_reopen(self, user, evaluation) -> bool:
        return evaluation.stage == Stage.PUBLISHED and self.may("reopen", user, evaluation)

    def can_manage_indicators(self, user) -> bool:
        return is_ndc_admin(user)


# Each stage a return sends back to (自評 cannot be returned; a published one is reopened instead).
RETURNS_TO = {
    Stage.INITIAL: Stage.SELF,
    Stage.REVIEW: Stage.INITIAL,
    Stage.REVIEWED: Stage.REVIEW,
    Stage.APPROVED: Stage.REVIEW,
}

annual_policy = AnnualEvaluationPolicy()
