"""The quarterly cycle: reporting periods, agency submissions and their report lines.

A submission is one agency's report for one industry and one period (an agency such as 經濟部 reports
separately for each industry it works in, so each industry lead unit consolidates its own industry).
Its lines are narratives per measure, KPI actuals, work-item progress and budget execution.
Status changes only through the transition methods on ``Submission`` (see ``workflow.py``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.core.roc import format_quarter, format_quarter_zh, parse_quarter, quarter_bounds
from sixcore.plan.models import KPI, Industry, Measure, WorkItem

from .choices import BudgetUnit, PeriodState, SubmissionStatus, WorkItemStatus

THOUSANDS_PER_HUNDRED_MILLION = Decimal(100_000)


class CycleSettings(models.Model):
    """Singleton settings of the reporting cycle that NDC can change at run time."""

    as_of = models.DateField(
        _("as-of date"),
        null=True,
        blank=True,
        help_text=_("Judge deadlines as if today were this date (the program ran 110–113)."),
    )
    grace_days = models.PositiveSmallIntegerField(_("grace days after the due date"), default=7)
    # Completeness before 送出審查 (workflow.completeness_problems): web, API and Excel all obey them.
    require_narratives = models.BooleanField(
        _("require 辦理情形 and 下一季重點工作 before submitting"), default=True
    )
    require_kpi_actuals = models.BooleanField(
        _("require an actual for every KPI with a target this year"), default=True
    )
    require_work_item_progress = models.BooleanField(
        _("require progress for every work item under way"), default=True
    )
    # The optional internal step of issue #17 (承辦 → 主管 before 送出): agencies listed here send a
    # report to a supervisor (陳核) and only a supervisor of the agency submits it to review.
    internal_review_agencies = models.ManyToManyField(
        "accounts.Agency",
        verbose_name=_("agencies whose reports pass an internal review (陳核) before submitting"),
        blank=True,
        related_name="+",
    )
    internal_reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisors (主管) who submit reports sent to them for internal review"),
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("cycle settings")
        verbose_name_plural = _("cycle settings")

    def __str__(self) -> str:
        return f"as of {self.as_of or 'today'}"

    @classmethod
    def get(cls) -> CycleSettings:
        """The singleton, created (and logged) on first use."""
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class ReportingPeriod(models.Model):
    """A quarter of the program (110Q1 … 113Q4), with its due date; reports are due in Jan/Apr/Jul/Oct."""

    roc_year = models.PositiveSmallIntegerField(_("year (ROC)"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    due_date = models.DateField(_("due date"))
    grace_days = models.PositiveSmallIntegerField(
        _("grace days"), null=True, blank=True, help_text=_("Blank: the cycle default.")
    )
    closed = models.BooleanField(_("closed by NDC"), default=False)

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["roc_year", "quarter"]
        constraints = [models.UniqueConstraint(fields=["roc_year", "quarter"], name="period_unique_quarter")]

    def __str__(self) -> str:
        return self.label

    @property
    def code(self) -> str:
        return format_quarter(self.roc_year, self.quarter)

    @property
    def label(self) -> str:
        return format_quarter_zh(self.roc_year, self.quarter)

    @property
    def start(self) -> date:
        return quarter_bounds(self.roc_year, self.quarter)[0]

    @property
    def end(self) -> date:
        return quarter_bounds(self.roc_year, self.quarter)[1]

    @classmethod
    def default_due_date(cls, roc_year: int, quarter: int) -> date:
        """The 15th of the month after the quarter (reports due in Jan/Apr/Jul/Oct)."""
        return quarter_bounds(roc_year, quarter)[1] + timedelta(days=15)

    @classmethod
    def by_code(cls, code: str) -> ReportingPeriod:
        """``111Q2`` or ``2022Q2`` → the period (``DoesNotExist`` if there is none, ``RocDateError`` if malformed)."""
        roc_year, quarter = parse_quarter(code)
        return cls.objects.get(roc_year=roc_year, quarter=quarter)

    def lock_date(self, default_grace: int) -> date:
        return self.due_date + timedelta(
            days=self.grace_days if self.grace_days is not None else default_grace
        )

    def state_on(self, today: date, default_grace: int = 7, reopened: bool = False) -> PeriodState:
        """Open from the quarter's last month on; locked after due date + grace unless reopened."""
        if reopened:
            return PeriodState.OPEN
        if self.closed or today > self.lock_date(default_grace):
            return PeriodState.LOCKED
        if today < self.end.replace(day=1):
            return PeriodState.NOT_YET_OPEN
        if today > self.due_date:
            return PeriodState.GRACE
        return PeriodState.OPEN


class PeriodReopening(models.Model):
    """NDC reopens a locked period for one agency, with a reason, until a date."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="reopenings")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="period_reopenings")
    reason = models.TextField(_("reason"))
    until = models.DateField(_("open until"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("period reopening")
        verbose_name_plural = _("period reopenings")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.period} {self.agency} → {self.until}"


class Submission(models.Model):
    """One agency's quarterly report for one industry. ``version`` guards against lost updates."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="submissions"
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), on_delete=models.PROTECT, related_name="submissions"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="submissions"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    is_demo = models.BooleanField(_("demo data (示範資料)"), default=False)
    # verbose names: the history tab names these fields as people do (送出時間, 送出人 …).
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consolidated_at = models.DateTimeField(_("consolidated at"), null=True, blank=True)
    consolidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consolidated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    return_comment = models.TextField(_("comment when returned"), blank=True)
    # Set while the report waits for the agency's supervisor (陳核中); cleared when the supervisor
    # submits it or sends it back to the officer. The change log keeps every step.
    internal_review_at = models.DateTimeField(_("sent for internal review (陳核) at"), null=True, blank=True)
    internal_review_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent for internal review (陳核) by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["period", "industry__code", "agency__order"]
        constraints = [
            models.UniqueConstraint(fields=["period", "industry", "agency"], name="submission_unique_unit"),
        ]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.period.code} {self.industry.code} {self.agency.name}"

    @property
    def is_returned(self) -> bool:
        """A draft sent back by the reviewer (已退回): the workflow keeps such a report in ``draft`` (the
        agency edits it again), but people must see that it was returned. The only other way back to
        draft is reopening approved data (then ``approved_at`` is the later stamp). Not compared with
        ``submitted_at``: under an as-of clock a return can be stamped before the submission."""
        return bool(
            self.status == SubmissionStatus.DRAFT
            and self.returned_at
            and (self.approved_at is None or self.returned_at >= self.approved_at)
        )

    @property
    def in_internal_review(self) -> bool:
        """陳核中: a draft the officer sent to the agency's supervisor; nobody edits it meanwhile."""
        return self.status == SubmissionStatus.DRAFT and self.internal_review_at is not None

    @property
    def submitted_late(self) -> bool:
        return bool(self.submitted_at and self.submitted_at.date() > self.period.due_date)

    # Transitions are model methods (the rules live in workflow.py); nothing else sets ``status``.
    def submit(self, user, comment: str = "") -> Submission:
        from . import workflow

        return workflow.submit(self, user, comment)

    def consolidate(self, user, comment: str = "") -> Submission:
        from . import workflow

        return workflow.consolidate(self, user, comment)

    def approve(self, user, comment: str = "") -> Submission:
        from . import workflow

        return workflow.approve(self, user, comment)

    def return_for_revision(self, user, comment: str) -> Submission:
        from . import workflow

        return workflow.return_for_revision(self, user, comment)

    def request_internal_review(self, user, comment: str = "") -> Submission:
        from . import workflow

        return workflow.request_internal_review(self, user, comment)

    def return_internally(self, user, comment: str) -> Submission:
        from . import workflow

        return workflow.return_internally(self, user, comment)

    def reopen(self, user, reason: str) -> Submission:
        from . import workflow

        return workflow.reopen(self, user, reason)


class IndustryReport(models.Model):
    """The industry lead unit's consolidated narrative for a period (the quarterly report's chapter)."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="industry_reports")
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="industry_reports")
    progress = models.TextField(_("辦理情形"), blank=True)
    highlights = models.TextField(_("重要執行亮點"), blank=True)
    next_quarter = models.TextField(_("下一季重點工作"), blank=True)
    version = models.PositiveIntegerField(default=1)
    is_demo = models.BooleanField(_("demo data (示範資料)"), default=False)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("industry report")
        verbose_name_plural = _("industry reports")
        constraints = [models.UniqueConstraint(fields=["period", "industry"], name="industry_report_unique")]

    def __str__(self) -> str:
        return f"{self.period.code} {self.industry.name}"


class MeasureReport(models.Model):
    """Narrative for one measure in a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="measure_reports")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="reports")
    progress = models.TextField(_("辦理情形"), blank=True)
    highlights = models.TextField(_("重要執行亮點"), blank=True)
    next_quarter = models.TextField(_("下一季重點工作"), blank=True)

    class Meta:
        verbose_name = _("measure report")
        verbose_name_plural = _("measure reports")
        ordering = ["measure__order"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "measure"], name="measure_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.measure.code}"


class KPIReport(models.Model):
    """A KPI's actual for the period: a number (cumulative or for the period, as its target's kind says)
    or, for a milestone, done / not done with evidence."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="kpi_reports")
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="reports")
    value = models.DecimalField(_("actual"), max_digits=16, decimal_places=4, null=True, blank=True)
    done = models.BooleanField(_("milestone done"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("KPI actual")
        verbose_name_plural = _("KPI actuals")
        ordering = ["kpi__measure__order", "kpi__order"]
        constraints = [models.UniqueConstraint(fields=["submission", "kpi"], name="kpi_report_unique")]

    def __str__(self) -> str:
        return f"{self.submission} {self.kpi.code}"  # the values are the change's before/after


class WorkItemReport(models.Model):
    """Progress of a work item; 落後原因 and 因應對策 are required when it lags."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="work_item_reports")
    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="reports")
    percent = models.DecimalField(
        _("percent complete"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    status = models.CharField(_("status"), max_length=16, choices=WorkItemStatus.choices, blank=True)
    lag_reason = models.TextField(_("落後原因"), blank=True)
    remedy = models.TextField(_("因應對策"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("work-item progress")
        verbose_name_plural = _("work-item progress")
        ordering = ["work_item__schedule__order", "work_item__order"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "work_item"], name="work_item_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.work_item.code}: {self.percent}%"


class BudgetReport(models.Model):
    """Allocated and executed budget of a measure for the year to date, in the unit the agency stated."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="budget_reports")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="budget_reports")
    unit = models.CharField(
        _("unit"), max_length=4, choices=BudgetUnit.choices, default=BudgetUnit.HUNDRED_MILLION
    )
    allocated = models.DecimalField(
        _("allocated to date"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    executed = models.DecimalField(
        _("executed to date"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    annual_budget = models.DecimalField(
        _("annual budget"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("budget execution")
        verbose_name_plural = _("budget execution")
        ordering = ["measure__order"]
        constraints = [models.UniqueConstraint(fields=["submission", "measure"], name="budget_report_unique")]

    def __str__(self) -> str:
        return f"{self.submission} {self.measure.code}: {self.executed}/{self.allocated} {self.unit}"

    def in_hundred_million(self, amount: Decimal | None) -> Decimal | None:
        """An amount of this line in 億元, the program's unit."""
        if amount is None:
            return None
        return amount / THOUSANDS_PER_HUNDRED_MILLION if self.unit == BudgetUnit.THOUSAND else amount


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the original name is kept in the row, never used on disk.
    return f"attachments/{instance.submission.period.code}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """Evidence for a submission (pdf, docx, xlsx, images); type and size checked before storing."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
