"""Follow-up items (追蹤事項): one mechanism for field-verification recommendations and coordination
decisions (issue #20).

An item is assigned to an owner agency with a due date and stays 列管中 until NDC closes it (解除列管).
Each quarter the owner agency reports what it did (辦理情形) in its quarterly report — one response per
reporting period, locked with the report — and NDC reads it and either keeps the item (繼續列管, recorded
as a ruling, possibly with a new due date) or closes it. Transitions are model methods: atomic,
row-locked, version-checked, role- and state-checked through ``policy.py``, logged as named actions.
The origin (a meeting's decision, a verification's recommendation) points at the item, never the reverse.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.plan.models import Industry
from sixcore.progress.models import ReportingPeriod, Submission

from .choices import FollowUpSource, FollowUpStatus, RulingKind

# The actions as messages name them (the change log keeps the English action name).
ACTIONS = {
    "close": pgettext_lazy("follow-up action", "close"),
    "keep": pgettext_lazy("follow-up action", "keep tracking"),
    "reopen": pgettext_lazy("follow-up action", "track again"),
    "publish": pgettext_lazy("follow-up action", "publish"),
    "unpublish": pgettext_lazy("follow-up action", "unpublish"),
}


class InvalidTransition(Exception):
    """Not allowed in the item's current state (HTTP 409)."""


class StaleVersion(InvalidTransition):
    """Someone changed the item since the user loaded it (HTTP 409)."""


class FollowUp(models.Model):
    """A 追蹤事項: what an agency must do (a recommendation or a decision), by when, tracked until closed."""

    source = models.CharField(_("source"), max_length=24, choices=FollowUpSource.choices)
    text = models.TextField(_("recommendation or decision"))
    owner = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("owner agency")
    )
    # The quarterly report that carries the item: the owner's report for this industry (by code, so a
    # plan revision does not lose it); none: the owner's first report of the quarter in industry order.
    industry = models.ForeignKey(
        Industry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("industry"),
    )
    # When it was assigned (the meeting's or the verification's date): the quarterly reports of quarters
    # ending on or after it carry the item.
    opened_on = models.DateField(_("assigned on"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.TRACKED
    )
    published = models.BooleanField(_("published"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_demo = models.BooleanField(_("demo data (示範資料)"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up item")
        verbose_name_plural = _("follow-up items")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="followup_status_due")]

    def __str__(self) -> str:
        return self.text[:60]

    def is_overdue(self, as_of: date) -> bool:
        return self.status == FollowUpStatus.TRACKED and self.due_date < as_of

    @property
    def origin(self):
        from .origins import origin_of

        return origin_of(self)[0]

    # --- NDC's transitions ---------------------------------------------------------------------

    def close(self, user, comment: str = "", *, period=None, expected_version: int | None = None):
        """解除列管 (NDC), recorded as a ruling with its comment."""
        from sixcore.progress.clock import now

        def closing(f: FollowUp) -> None:
            f.status, f.closed_at, f.closed_by = FollowUpStatus.CLOSED, now(), user

        return self._rule(
            user, RulingKind.CLOSE, FollowUpStatus.TRACKED, closing, comment, period, expected_version
        )

    def keep(
        self,
        user,
        comment: str = "",
        *,
        new_due_date: date | None = None,
        period=None,
        expected_version: int | None = None,
    ):
        """繼續列管 (NDC): the item stays tracked; the ruling records why, and a new due date if given."""

        def keeping(f: FollowUp) -> None:
            if new_due_date is not None:
                f.due_date = new_due_date

        return self._rule(
            user,
            RulingKind.KEEP,
            FollowUpStatus.TRACKED,
            keeping,
            comment,
            period,
            expected_version,
            new_due_date,
        )

    def reopen(self, user, comment: str = "", *, expected_version: int | None = None):
        """Back to 列管 (NDC), e.g. closed too early."""

        def reopening(f: FollowUp) -> None:
            f.status, f.closed_at, f.closed_by = FollowUpStatus.TRACKED, None, None

        return self._rule(
            user, RulingKind.REOPEN, FollowUpStatus.CLOSED, reopening, comment, None, expected_version
        )

    def publish(self, user, comment: str = "", *, expected_version: int | None = None):
        """Make the item public (NDC); the public sees published items only."""

        def publishing(f: FollowUp) -> None:
            if f.published:
                raise InvalidTransition(gettext("The follow-up item is already published."))
            f.published = True

        return self._transition(user, "publish", None, publishing, comment, expected_version)

    def unpublish(self, user, comment: str = "", *, expected_version: int | None = None):
        def unpublishing(f: FollowUp) -> None:
            if not f.published:
                raise InvalidTransition(gettext("The follow-up item is not published."))
            f.published = False

        return self._transition(user, "unpublish", None, unpublishing, comment, expected_version)

    def _rule(self, user, kind, allowed_from, change, comment, period, expected_version, new_due_date=None):
        def ruling(f: FollowUp) -> None:
            change(f)
            FollowUpRuling.objects.create(
                follow_up=f,
                kind=kind,
                comment=comment.strip(),
                period=period,
                new_due_date=new_due_date,
                by=user,
            )

        return self._transition(user, str(kind), allowed_from, ruling, comment, expected_version)

    def _transition(self, user, action: str, allowed_from, change, comment: str, expected_version):
        from sixcore.core.changelog import logged_transition

        from .policy import follow_up_policy

        with transaction.atomic():
            locked = FollowUp.objects.select_for_update().get(pk=self.pk)
            if not follow_up_policy.can_rule(user):
                raise PermissionDenied(
                    gettext("Only NDC may %(action)s a follow-up item.") % {"action": ACTIONS[action]}
                )
            if expected_version is not None and locked.version != expected_version:
                raise StaleVersion(
                    gettext("Someone changed this follow-up item meanwhile: reload the page and try again.")
                )
            if allowed_from is not None and locked.status != allowed_from:
                raise InvalidTransition(
                    gettext("Cannot %(action)s a follow-up item that is %(status)s.")
                    % {"action": ACTIONS[action], "status": locked.get_status_display()}
                )
            with logged_transition(locked, f"followup.{action}", comment, related=[locked.owner]):
                change(locked)
                locked.version += 1
                locked.save()
        self.refresh_from_db()
        return self


class FollowUpResponse(models.Model):
    """The owner agency's 辦理情形 for one reporting period, written in (and locked with) its quarterly
    report. ``period`` is empty for notes recorded before follow-ups were part of the quarterly cycle
    (coordination progress notes carried over by migration)."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="responses", verbose_name=_("follow-up item")
    )
    period = models.ForeignKey(
        ReportingPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_responses",
        verbose_name=_("period"),
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_up_responses",
        verbose_name=_("quarterly report"),
    )
    text = models.TextField(_("progress (辦理情形)"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up response")
        verbose_name_plural = _("follow-up responses")
        ordering = ["period__roc_year", "period__quarter", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "period"],
                condition=models.Q(period__isnull=False),
                name="followup_one_response_per_period",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class FollowUpRuling(models.Model):
    """NDC's decision on a follow-up item: close (解除列管), keep (繼續列管) or track again, with a comment."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="rulings", verbose_name=_("follow-up item")
    )
    kind = models.CharField(_("decision"), max_length=8, choices=RulingKind.choices)
    comment = models.TextField(_("comment"), blank=True)
    period = models.ForeignKey(
        ReportingPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("period"),
    )
    new_due_date = models.DateField(_("new due date"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking decision")
        verbose_name_plural = _("tracking decisions")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.comment[:40]}"
