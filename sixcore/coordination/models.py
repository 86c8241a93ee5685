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
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.plan.models import KPI, Measure, WorkItem

from .choices import DecisionStatus, IssueStatus

# The actions on a decision as messages name them (the change log keeps the English action name).
DECISION_ACTIONS = {
    "close": pgettext_lazy("decision action", "close"),
    "reopen": pgettext_lazy("decision action", "track again"),
    "publish": pgettext_lazy("decision action", "publish"),
    "unpublish": pgettext_lazy("decision action", "unpublish"),
}


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
    """A 決議 of a meeting: what was decided, which agency must carry it out, by when."""

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
    text = models.TextField(_("decision"))
    owner = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="owned_decisions", verbose_name=_("owner agency")
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=8, choices=DecisionStatus.choices, default=DecisionStatus.TRACKED
    )
    published = models.BooleanField(_("published"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.text[:60]

    def is_overdue(self, as_of) -> bool:
        return self.status == DecisionStatus.TRACKED and self.deadline < as_of

    def close(self, user, comment: str = "") -> Decision:
        """解除列管 (NDC)."""
        from sixcore.progress.clock import now

        def closing(d: Decision) -> None:
            d.status, d.closed_at, d.closed_by = DecisionStatus.CLOSED, now(), user

        return self._transition(user, "close", DecisionStatus.TRACKED, closing, comment)

    def reopen(self, user, comment: str = "") -> Decision:
        """Back to 列管 (NDC)."""

        def reopening(d: Decision) -> None:
            d.status, d.closed_at, d.closed_by = DecisionStatus.TRACKED, None, None

        return self._transition(user, "reopen", DecisionStatus.CLOSED, reopening, comment)

    def publish(self, user, comment: str = "") -> Decision:
        """Make the decision public (NDC); the public sees published decisions only."""

        def publishing(d: Decision) -> None:
            if d.published:
                raise InvalidTransition(gettext("The decision is already published."))
            d.published = True

        return self._transition(user, "publish", None, publishing, comment)

    def unpublish(self, user, comment: str = "") -> Decision:
        def unpublishing(d: Decision) -> None:
            if not d.published:
                raise InvalidTransition(gettext("The decision is not published."))
            d.published = False

        return self._transition(user, "unpublish", None, unpublishing, comment)

    def _transition(self, user, action: str, allowed_from, change, comment: str) -> Decision:
        from sixcore.accounts.policy import is_ndc
        from sixcore.core.changelog import logged_transition

        with transaction.atomic():
            locked = Decision.objects.select_for_update().get(pk=self.pk)
            if not is_ndc(user):
                raise PermissionDenied(
                    gettext("Only NDC may %(action)s a decision.") % {"action": DECISION_ACTIONS[action]}
                )
            if allowed_from is not None and locked.status != allowed_from:
                raise InvalidTransition(
                    gettext("Cannot %(action)s a decision that is %(status)s.")
                    % {"action": DECISION_ACTIONS[action], "status": locked.get_status_display()}
                )
            with logged_transition(
                locked, f"decision.{action}", comment, related=[locked.meeting, locked.issue]
            ):
                change(locked)
                locked.save()
        self.refresh_from_db()
        return self

    def add_progress(self, user, note: str) -> DecisionProgress:
        """A progress note by the owner agency's editor (or NDC) while the decision is tracked."""
        from .policy import coordination_policy

        with transaction.atomic():
            locked = Decision.objects.select_for_update().get(pk=self.pk)
            if not coordination_policy.can_add_progress(user, locked):
                raise PermissionDenied(gettext("Only the owner agency's editors or NDC may report progress."))
            if locked.status != DecisionStatus.TRACKED:
                raise InvalidTransition(gettext("The decision is closed (解除列管)."))
            if not note.strip():
                raise InvalidTransition(gettext("Write the progress note."))
            return DecisionProgress.objects.create(decision=locked, note=note.strip(), by=user)


class DecisionProgress(models.Model):
    """A progress note on a tracked decision (辦理情形)."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="progress", verbose_name=_("decision")
    )
    note = models.TextField(_("progress note"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision progress note")
        verbose_name_plural = _("decision progress notes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.note[:60]
