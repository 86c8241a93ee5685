"""The year-end evaluation (年度評核, issue #20): indicators, grade thresholds and deadlines as data per
year, one evaluation per (year, industry, agency) reporting unit, and its scores per indicator and stage.

The unit is the quarterly report's (``progress.Submission``): an agency such as 經濟部 is evaluated
separately for each industry it works in, so each industry lead unit does the 初核 of its own industry.
The stage changes only through ``services`` (atomic, row-locked, policy-checked, logged); scores are
written only through ``services.save_scores``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.plan.models import Industry

from .choices import ScoreStage, ScoringRule, Stage

SCORE = {"max_digits": 6, "decimal_places": 2}
YEAR_VALIDATORS = [MinValueValidator(100), MaxValueValidator(200)]


# The indicator fields NDC edits per year: the set-up page, copying a year and the API read the same.
INDICATOR_FIELDS = (
    "code",
    "category",
    "name",
    "description",
    "weight",
    "rule",
    "min_score",
    "max_score",
    "full_at",
    "zero_at",
)


class Indicator(models.Model):
    """An evaluation indicator of one year (評核指標), maintained by NDC; a year's weights sum to 100.

    Versioned per year: each year has its own rows (copied from the previous year and then edited), so
    changing next year's indicators never rewrites a published year. ``category`` groups indicators as
    the form prints them (計畫作業, 目標達成). A rule-based indicator's score is pre-filled from the
    year's evaluation: the figure is mapped linearly from ``zero_at`` (lowest score) to ``full_at``
    (highest score) and clamped to the range; ``manual`` indicators are scored by the evaluator.
    """

    year = models.PositiveSmallIntegerField(_("year (ROC)"), validators=YEAR_VALIDATORS)
    code = models.SlugField(_("code"), max_length=32)
    category = models.CharField(_("category"), max_length=50)
    name = models.CharField(_("indicator"), max_length=100)
    description = models.TextField(pgettext_lazy("annual indicator", "description"), blank=True)
    weight = models.DecimalField(
        _("weight"), **SCORE, validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
    )
    rule = models.CharField(_("scoring rule"), max_length=20, choices=ScoringRule.choices)
    min_score = models.DecimalField(_("lowest score"), **SCORE, default=Decimal(0))
    max_score = models.DecimalField(_("highest score"), **SCORE, default=Decimal(100))
    full_at = models.DecimalField(
        _("figure for the highest score"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Blank: the rule's default (achievement 100 %, lag 0 points, execution 90 %)."),
    )
    zero_at = models.DecimalField(
        _("figure for the lowest score"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Blank: the rule's default (achievement 0 %, lag 50 points, execution 0 %)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("evaluation indicator")
        verbose_name_plural = _("evaluation indicators")
        ordering = ["year", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="annual_indicator_unique_code")]

    def __str__(self) -> str:
        return f"{self.year} {self.category} {self.name}"


class GradeThreshold(models.Model):
    """A grade of one year (優等, 甲等 …) and the lowest final score that earns it; data NDC maintains.

    The grade of a score is the one with the highest ``min_score`` not above it; a year's lowest grade
    starts at 0 so every score has one.
    """

    year = models.PositiveSmallIntegerField(_("year (ROC)"), validators=YEAR_VALIDATORS)
    label = models.CharField(_("grade"), max_length=20)
    min_score = models.DecimalField(
        _("lowest score"),
        **SCORE,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("grade threshold")
        verbose_name_plural = _("grade thresholds")
        ordering = ["year", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["year", "label"], name="annual_grade_unique_label"),
            models.UniqueConstraint(fields=["year", "min_score"], name="annual_grade_unique_min"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.label} ≥ {self.min_score}"


class AnnualCycle(models.Model):
    """One year's evaluation calendar: when 自評 opens and each stage's deadline (NDC sets them).

    Defaults follow the Executive Yuan's rules for controlled programs: 自評 1/10–3/25 of the next year,
    初核 by 4/15, then 複核 and 核定. A stage acted on after its deadline is refused unless NDC gave the
    evaluation an extension (``AnnualEvaluation.extended_until``).
    """

    year = models.PositiveSmallIntegerField(_("year (ROC)"), unique=True, validators=YEAR_VALIDATORS)
    self_opens = models.DateField(_("self-assessment opens"))
    self_due = models.DateField(_("self-assessment due"))
    initial_due = models.DateField(_("initial review due"))
    review_due = models.DateField(_("NDC review due"))
    approval_due = models.DateField(_("approval due"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(_("demo data (示範資料)"), default=False)

    class Meta:
        verbose_name = _("year-end evaluation cycle")
        verbose_name_plural = _("year-end evaluation cycles")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)

    @staticmethod
    def default_dates(year: int) -> dict[str, date]:
        """The usual calendar for ROC ``year`` (the evaluation happens early in the next year)."""
        after = year + 1911 + 1
        return {
            "self_opens": date(after, 1, 10),
            "self_due": date(after, 3, 25),
            "initial_due": date(after, 4, 15),
            "review_due": date(after, 5, 15),
            "approval_due": date(after, 5, 31),
        }

    def due_for(self, stage: str) -> date | None:
        """The deadline of the work done in ``stage`` (None: no deadline)."""
        return {
            Stage.SELF: self.self_due,
            Stage.INITIAL: self.initial_due,
            Stage.REVIEW: self.review_due,
            Stage.REVIEWED: self.approval_due,
        }.get(stage)


class AnnualEvaluation(models.Model):
    """The year-end evaluation of one reporting unit (year, industry, agency). ``version`` guards
    against lost updates, as on ``Submission``; ``final_score`` and ``grade`` are set at 核定."""

    year = models.PositiveSmallIntegerField(_("year (ROC)"), validators=YEAR_VALIDATORS)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), on_delete=models.PROTECT, related_name="annual_evaluations"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="annual_evaluations"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.SELF)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_demo = models.BooleanField(_("demo data (示範資料)"), default=False)
    final_score = models.DecimalField(_("final score"), **SCORE, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    self_summary = models.TextField(_("self-assessment summary"), blank=True)
    initial_opinion = models.TextField(_("initial review opinion"), blank=True)
    review_opinion = models.TextField(_("NDC review opinion"), blank=True)
    improvement_items = models.TextField(_("improvement items (改進事項)"), blank=True)
    prefilled_from = models.CharField(_("pre-filled from period"), max_length=8, blank=True)
    prefilled_at = models.DateTimeField(_("pre-filled at"), null=True, blank=True)
    extended_until = models.DateField(
        _("current stage extended until"),
        null=True,
        blank=True,
        help_text=_("Set when a stage is returned or NDC extends it; cleared when the stage changes."),
    )
    self_submitted_at = models.DateTimeField(_("self-assessment submitted at"), null=True, blank=True)
    self_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("self-assessment submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    initial_at = models.DateTimeField(_("initial review done at"), null=True, blank=True)
    initial_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("initial review done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("NDC review done at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("NDC review done by"),
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
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
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
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reopened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        verbose_name = _("year-end evaluation")
        verbose_name_plural = _("year-end evaluations")
        ordering = ["-year", "industry__code", "agency__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "industry", "agency"], name="annual_evaluation_unique_unit"
            ),
        ]
        indexes = [models.Index(fields=["year", "stage"], name="annual_eval_year_stage")]

    def __str__(self) -> str:
        # As the history and admin show it: 111 年度評核 1 資訊及數位產業／經濟部 (no internal codes).
        return gettext("%(year)s year-end evaluation %(industry)s / %(agency)s") % {
            "year": self.year,
            "industry": self.industry,
            "agency": self.agency.name,
        }

    @property
    def is_published(self) -> bool:
        return self.stage == Stage.PUBLISHED

    @property
    def is_returned(self) -> bool:
        """Sent back to this stage by the next one (shown as 已退回 until the stage is completed again)."""
        stamps = [self.self_submitted_at, self.initial_at, self.reviewed_at, self.approved_at]
        return bool(self.returned_at and all(s is None or self.returned_at >= s for s in stamps))

    # Steps are model methods delegating to ``services`` (the rules live there); nothing else sets
    # ``stage``.
    def submit_self(self, user, comment: str = "") -> AnnualEvaluation:
        from . import services

        return services.submit_self(self, user, comment)

    def complete_initial(self, user, comment: str = "") -> AnnualEvaluation:
        from . import services

        return services.complete_initial(self, user, comment)

    def complete_review(self, user, comment: str = "") -> AnnualEvaluation:
        from . import services

        return services.complete_review(self, user, comment)

    def approve(self, user, comment: str = "") -> AnnualEvaluation:
        from . import services

        return services.approve(self, user, comment)

    def publish(self, user, comment: str = "") -> AnnualEvaluation:
        from . import services

        return services.publish(self, user, comment)

    def return_to_previous(self, user, comment: str, until: date | None = None) -> AnnualEvaluation:
        from . import services

        return services.return_to_previous(self, user, comment, until)

    def reopen(self, user, reason: str) -> AnnualEvaluation:
        from . import services

        return services.reopen(self, user, reason)


class IndicatorScore(models.Model):
    """One indicator's score given by one stage (自評, 初核 or 複核) of an evaluation.

    ``prefilled_value`` is the figure from the year's evaluation the rule scored (a percent, or lag in
    points) and ``prefill_source`` says where it came from (period, what was averaged); the self stage
    may argue another score (``argued_score`` with ``argued_reason``). ``effective_score`` is what the
    stage's weighted total counts.
    """

    evaluation = models.ForeignKey(
        AnnualEvaluation,
        verbose_name=_("year-end evaluation"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("evaluation indicator"), on_delete=models.PROTECT, related_name="scores"
    )
    stage = models.CharField(_("stage"), max_length=8, choices=ScoreStage.choices)
    score = models.DecimalField(_("score"), **SCORE, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    prefilled_value = models.DecimalField(
        _("pre-filled figure"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    prefilled_score = models.DecimalField(_("score by the rule"), **SCORE, null=True, blank=True)
    prefill_source = models.CharField(_("source of the figure"), max_length=300, blank=True)
    argued_score = models.DecimalField(_("argued score"), **SCORE, null=True, blank=True)
    argued_reason = models.TextField(_("reason for the argued score"), blank=True)

    class Meta:
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        ordering = ["evaluation", "indicator__order", "stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "indicator", "stage"], name="annual_score_unique_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} {self.indicator.name}（{self.get_stage_display()}）"

    @property
    def effective_score(self) -> Decimal | None:
        """The argued score when the stage argued one, else the score."""
        return self.argued_score if self.argued_score is not None else self.score
