"""Field verification (實地查證): NDC visits, by exception, what the evaluation shows far behind.

A ``FieldVerification`` is one visit: when, where, who verifies, which agencies attend, and the
``VerifiedItem``\\ s picked from the candidate list (``selection.py``), each keeping the reasons it was
picked. Per item NDC records the findings (查證結果), uploads evidence (``Evidence``, checked as the
quarterly cycle's attachments are) and writes recommendations (建議事項). Completing the visit turns
every recommendation into a follow-up item (``sixcore.followups``) owned by an agency with a due date,
answered in that agency's quarterly reports until NDC closes it. Transitions live in ``workflow.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sixcore.accounts.models import Agency
from sixcore.plan.models import KPI, Industry, Measure, WorkItem
from sixcore.progress.clock import now
from sixcore.progress.models import ReportingPeriod

from .choices import ItemKind, VerificationStatus


class SelectionSettings(models.Model):
    """The thresholds of selection by exception, as data NDC maintains (one row; defaults below)."""

    lag_threshold = models.DecimalField(
        _("lag threshold (percentage points)"),
        max_digits=5,
        decimal_places=2,
        default=20,
        help_text=_("A work item lagging more than this many points is a candidate."),
    )
    repeat_threshold = models.PositiveSmallIntegerField(
        _("late or returned reports (times)"),
        default=2,
        help_text=_("A reporting unit late or returned at least this many times is a candidate."),
    )
    lookback_quarters = models.PositiveSmallIntegerField(
        _("quarters looked back"),
        default=4,
        help_text=_("How many quarters, up to the selected one, count for late and returned reports."),
    )

    class Meta:
        verbose_name = _("field verification selection settings")
        verbose_name_plural = _("field verification selection settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def get(cls) -> SelectionSettings:
        """The row, created on first use (for NDC's edit in the admin)."""
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row

    @classmethod
    def current(cls) -> SelectionSettings:
        """The thresholds in force, without writing: a read (the candidate list) never inserts."""
        return cls.objects.filter(pk=1).first() or cls()


class FieldVerification(models.Model):
    """One visit (實地查證). ``version`` guards against lost updates, as a submission's does."""

    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("verification date"))
    place = models.CharField(_("place"), max_length=200)
    basis_period = models.ForeignKey(
        ReportingPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("selected from period"),
    )
    reviewers = models.CharField(_("reviewers"), max_length=300)
    agencies = models.ManyToManyField(
        Agency, related_name="field_verifications", verbose_name=_("agencies to attend")
    )
    purpose = models.TextField(_("focus of the verification"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.PLANNED
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    is_demo = models.BooleanField(_("demo data (示範資料)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by")
    )
    created_at = models.DateTimeField(_("planned at"), default=now)  # the as-of clock, as workflow stamps
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("field verification")
        verbose_name_plural = _("field verifications")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        """Items, findings, evidence and recommendations change only while the visit is planned."""
        return self.status == VerificationStatus.PLANNED


class VerifiedItem(models.Model):
    """What a visit verifies: a KPI, a work item, a measure or a reporting unit, with the reasons it was
    picked (as the candidate list stated them that day) and the findings (查證結果)."""

    verification = models.ForeignKey(
        FieldVerification,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("field verification"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ItemKind.choices)
    code = models.CharField(_("code"), max_length=40)
    label = models.CharField(pgettext_lazy("field verification", "Item"), max_length=300)
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reasons = models.TextField(_("reasons for selection"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("verified item")
        verbose_name_plural = _("verified items")
        ordering = ["verification", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["verification", "kind", "code"], name="fieldwork_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def reason_list(self) -> list[str]:
        return [line for line in self.reasons.splitlines() if line.strip()]


def evidence_path(instance: Evidence, filename: str) -> str:
    # Stored under its digest, never under the uploaded name (kept in the row), as progress attachments.
    return f"fieldwork/{instance.item.verification_id}/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(models.Model):
    """A photo or document supporting the findings of a verified item (pdf, docx, xlsx, odt, png, jpg)."""

    item = models.ForeignKey(
        VerifiedItem, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("verified item")
    )
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.original_name.lower().endswith((".png", ".jpg", ".jpeg"))


class Recommendation(models.Model):
    """A 建議事項 on a verified item: what an agency should do, by when. Completing the visit makes it a
    follow-up item (``follow_up``), tracked until NDC closes it."""

    item = models.ForeignKey(
        VerifiedItem,
        on_delete=models.CASCADE,
        related_name="recommendations",
        verbose_name=_("verified item"),
    )
    text = models.TextField(_("recommendation"))
    owner = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner agency")
    )
    due_date = models.DateField(_("due date"))
    follow_up = models.OneToOneField(
        "followups.FollowUp",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="field_recommendation",
        verbose_name=_("follow-up item"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
