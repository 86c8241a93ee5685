"""Cross-agency coordination: issues (議題), project meetings (專案會議) and their decisions (決議).

An agency or NDC raises an issue on a measure, KPI or work item; NDC puts issues on a meeting's agenda
and records decisions, each owned by an agency with a deadline. A decision is tracked (列管) until NDC
closes it (解除列管); its owner adds progress notes meanwhile. Transitions are model methods: atomic,
row-locked, state- and role-checked (``policy.py``), logged as named actions.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.plan.models import KPI, Measure, WorkItem

from .choices import IssueStatus


class InvalidTransition(Exception):
    """Not allowed in the object's current state (HTTP 409)."""


class CoordinationIssue(models.Model):
    """A 議題: what needs deciding between agencies, on a measure, a KPI or a work item (or in general)."""

    title = models.CharField(_("title"), max_length=200)
    measure = models.ForeignKey(
        Measure, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("measure")
    )
    kpi = models.ForeignKey(KPI, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("KPI"))
    work_item = models.ForeignKey(
        WorkItem, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("work item")
    )
    description = models.TextField(_("description"))
    requested_decision = models.TextField(_("requested decision"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raising_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="raised_issues", verbose_name=_("raising agency")
    )
    agencies = models.ManyToManyField(
        Agency, related_name="coordination_issues", blank=True, verbose_name=_("agencies involved")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=IssueStatus.choices, default=IssueStatus.OPEN
    )
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coordination issue")
        verbose_name_plural = _("coordination issues")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def subject(self):
        return self.kpi or self.work_item or self.measure

    def close(self, user, comment: str = "") -> CoordinationIssue:
        return self._transition(user, "issue.close", IssueStatus.OPEN, IssueStatus.CLOSED, comment)

    def reopen(self, user, comment: str = "") -> CoordinationIssue:
        return self._transition(user, "issue.reopen", IssueStatus.CLOSED, IssueStatus.OPEN, comment)

    def _transition(self, user, action: str, allowed_from: str, to: str, comment: str):
        from sixcore.accounts.policy import is_ndc
        from sixcore.core.changelog import logged_transition

        with transaction.atomic():
            locked = CoordinationIssue.objects.select_for_update().get(pk=self.pk)
            if not is_ndc(user):
                raise PermissionDenied(gettext("Only NDC may close or reopen an issue."))
            if locked.status != allowed_from:
                raise InvalidTransition(
                    gettext("The issue is already %(s)s.") % {"s": locked.get_status_display()}
                )
            with logged_transition(locked, f"coordination.{action}", comment):
                locked.status = to
                locked.save()
        self.refresh_from_db()
        return self


class Meeting(models.Model):
    """A 專案會議 recorded by NDC: who attended, which issues were on the agenda, the minutes."""

    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    attendees = models.ManyToManyField(
        Agency, related_name="meetings", blank=True, verbose_name=_("attending agencies")
    )
    agenda = models.ManyToManyField(
        CoordinationIssue, related_name="meetings", blank=True, verbose_name=_("agenda")
    )
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("project meeting")
        verbose_name_plural = _("project meetings")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class Decision(models.Model):
    """A 決議 of a meeting on an issue. Its tracking — the owner agency, the deadline, 列管 until NDC
    closes it, publication, the owner's 辦理情形 — is the decision's follow-up item (``followups``), the
    same mechanism as field-verification recommendations: one list, one reminder path."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("meeting")
    )
    issue = models.ForeignKey(
        CoordinationIssue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("issue"),
    )
    follow_up = models.OneToOneField(
        "followups.FollowUp",
        on_delete=models.PROTECT,
        related_name="coordination_decision",
        verbose_name=_("follow-up item"),
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["follow_up__due_date", "pk"]

    def __str__(self) -> str:
        return self.text[:60]

    # The decision's words and tracking, read from its follow-up item (templates and the report use them).
    @property
    def text(self) -> str:
        return self.follow_up.text

    @property
    def owner(self) -> Agency:
        return self.follow_up.owner

    @property
    def deadline(self):
        return self.follow_up.due_date

    @property
    def status(self) -> str:
        return self.follow_up.status

    def get_status_display(self) -> str:
        return self.follow_up.get_status_display()

    @property
    def published(self) -> bool:
        return self.follow_up.published

    @property
    def closed_at(self):
        return self.follow_up.closed_at

    @property
    def closed_by(self):
        return self.follow_up.closed_by

    def is_overdue(self, as_of) -> bool:
        return self.follow_up.is_overdue(as_of)

    # Transitions are the follow-up item's (NDC: close, track again, publish, unpublish).
    def close(self, user, comment: str = "") -> Decision:
        """解除列管 (NDC)."""
        return self._delegate("close", user, comment)

    def reopen(self, user, comment: str = "") -> Decision:
        """Back to 列管 (NDC)."""
        return self._delegate("reopen", user, comment)

    def publish(self, user, comment: str = "") -> Decision:
        """Make the decision public (NDC); the public sees published decisions only."""
        return self._delegate("publish", user, comment)

    def unpublish(self, user, comment: str = "") -> Decision:
        return self._delegate("unpublish", user, comment)

    def _delegate(self, action: str, user, comment: str) -> Decision:
        from sixcore.followups.models import InvalidTransition as FollowUpInvalid

        try:
            getattr(self.follow_up, action)(user, comment)
        except FollowUpInvalid as exc:
            raise InvalidTransition(str(exc)) from exc
        return self
