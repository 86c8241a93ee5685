"""Plan revisions (滾動檢討修正): a numbered, reasoned, NDC-approved change to the program.

A revision is a full snapshot: drafting copies the base revision's ``plan.Program`` tree into a new
``Program`` row (``copy.copy_program``) and edits that copy; approving makes it the plan in force from its
``effective_from`` quarter. Revision 0 (核定本) is loaded from the data files and never edited here.
Transitions are model methods: atomic, row-locked, state- and role-checked, logged as named actions.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sixcore.core.roc import parse_quarter
from sixcore.plan.models import Program, programs_in_force
from sixcore.plan.signals import plan_changed

from .choices import RevisionStatus

# The decisions as messages name them (the change log keeps the English action name).
DECISION_VERBS = {
    "approve": pgettext_lazy("plan revision action", "approve"),
    "reject": pgettext_lazy("plan revision action", "reject"),
}


class InvalidTransition(Exception):
    """The revision is not in a state that allows this step (HTTP 409)."""


class PlanRevision(models.Model):
    """One proposed change of the program, with the snapshot (``program``) it creates."""

    number = models.PositiveIntegerField(_("revision number"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"))
    effective_from = models.CharField(
        _("effective from period"), max_length=8, help_text=_("ROC quarter, e.g. 112Q1")
    )
    base = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="derived_revisions",
        verbose_name=_("base revision"),
    )
    program = models.OneToOneField(
        Program,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_revision",
        verbose_name=_("snapshot"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="proposed_revisions",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_revisions",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_draft(self) -> bool:
        return self.status == RevisionStatus.PROPOSED

    def approve(self, user, comment: str = "") -> PlanRevision:
        """NDC administrator approves: the snapshot becomes the plan in force from ``effective_from``."""
        return self._decide(user, "approve", RevisionStatus.APPROVED, comment)

    def reject(self, user, comment: str = "") -> PlanRevision:
        """NDC administrator rejects: the snapshot stays readable to NDC but never counts (see
        docs/REVISIONS.md: kept, not deleted, so what was proposed remains on record)."""
        return self._decide(user, "reject", RevisionStatus.REJECTED, comment)

    def _decide(self, user, action: str, to: str, comment: str) -> PlanRevision:
        from sixcore.accounts.policy import is_ndc_admin
        from sixcore.core.changelog import logged_transition
        from sixcore.progress.clock import now

        with transaction.atomic():
            locked = PlanRevision.objects.select_for_update().get(pk=self.pk)
            if not is_ndc_admin(user):
                raise PermissionDenied(gettext("Only an NDC administrator may decide on a revision."))
            if locked.status != RevisionStatus.PROPOSED:
                raise InvalidTransition(
                    gettext("Cannot %(action)s a revision that is %(status)s.")
                    % {"action": DECISION_VERBS[action], "status": locked.get_status_display()}
                )
            if to == RevisionStatus.APPROVED:
                latest = programs_in_force().order_by("revision").last()
                if latest is not None and latest.pk != locked.base_id:
                    raise InvalidTransition(
                        gettext(
                            "Revision %(latest)s was approved after this draft was based on revision "
                            "%(base)s: draft again from revision %(latest)s."
                        )
                        % {"latest": latest.revision, "base": locked.base.revision}
                    )
            with logged_transition(locked, f"revision.{action}", comment, related=[locked.program]):
                locked.status = to
                locked.decided_by = user
                locked.decided_at = now()
                locked.decision_comment = comment
                locked.save()
            if to == RevisionStatus.APPROVED:
                plan_changed.send(Program, since=parse_quarter(locked.effective_from))
        self.refresh_from_db()
        return self
