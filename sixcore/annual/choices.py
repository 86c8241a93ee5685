"""Choices of the year-end evaluation (年度評核): stages, the stages that score, and scoring rules."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    """Where an evaluation is: 自評 (agency) → 初核 (industry lead unit) → 複核 (NDC) → 核定 → 公告.

    ``reviewed`` is 複核 done and waiting for 核定: the reviewer who scores is not the one who approves.
    A return sends the evaluation one stage back; an NDC reopen sends a published one back to 複核.
    """

    SELF = "self", pgettext_lazy("annual stage", "Self-assessment")
    INITIAL = "initial", pgettext_lazy("annual stage", "Initial review")
    REVIEW = "review", pgettext_lazy("annual stage", "NDC review")
    REVIEWED = "reviewed", pgettext_lazy("annual stage", "Reviewed, awaiting approval")
    APPROVED = "approved", pgettext_lazy("annual stage", "Approved")
    PUBLISHED = "published", pgettext_lazy("annual stage", "Published")


class ScoreStage(models.TextChoices):
    """The three stages that score every indicator (each keeps its own scores and comments)."""

    SELF = "self", pgettext_lazy("annual score stage", "Self-assessment")
    INITIAL = "initial", pgettext_lazy("annual score stage", "Initial review")
    REVIEW = "review", pgettext_lazy("annual score stage", "NDC review")


# The evaluation stage in which each score stage is written.
SCORING_STAGE = {
    ScoreStage.SELF: Stage.SELF,
    ScoreStage.INITIAL: Stage.INITIAL,
    ScoreStage.REVIEW: Stage.REVIEW,
}


class ScoringRule(models.TextChoices):
    """How an indicator's score follows from a figure of the year's evaluation (or is given by hand)."""

    KPI_ACHIEVEMENT = "kpi_achievement", _("KPI achievement")
    SCHEDULE_LAG = "schedule_lag", _("Work-item schedule lag")
    BUDGET_EXECUTION = "budget_execution", _("Budget execution against 90 %")
    MANUAL = "manual", _("Scored by the evaluator")
