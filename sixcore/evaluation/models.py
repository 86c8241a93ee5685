"""The evaluation as a maintained read model: every period's results, stored.

Pages, the API, reports and ``sixcore evaluate`` read these rows instead of evaluating on each
request.  The write that changes an input (a saved report, a transition into or out of 核定, a plan
load or an approved revision) refreshes the rows it affects in its own transaction
(``evaluation.store``), so a read after a commit is never stale and there is nothing to invalidate.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sixcore.progress.models import ReportingPeriod


class ResultView(models.TextChoices):
    """Whose evaluation: the public's (approved submissions only) or the reviewers' (every submission)."""

    PUBLISHED = "published", _("Published (approved reports)")
    WORKING = "working", _("Working (every report, drafts included)")


class ResultKind(models.TextChoices):
    KPI = "kpi", _("KPI")
    WORK_ITEM = "work_item", _("Work item")
    BUDGET = "budget", _("Budget")
    RISK = "risk", _("Early warning")
    FLAG = "flag", _("Data quality")


class StoredResult(models.Model):
    """One result of a period's evaluation in one view: a KPI, a work item, a measure's budget
    execution, a measure's early warning or a data-quality flag.

    ``group`` is the unit refreshed together (a measure's KPIs, budget, warning and KPI flags; a
    schedule's work items and their flags): a write recomputes the groups it touched.  ``data`` is
    the result as ``evaluation.store`` encodes it (decimals as text, so nothing is rounded);
    ``position`` its place in the plan as sortable text, so a page of a long table is read in plan
    order without decoding the rest.
    """

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="+", verbose_name=_("reporting period")
    )
    view = models.CharField(_("view"), max_length=10, choices=ResultView.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=ResultKind.choices)
    group = models.CharField(_("group"), max_length=80)
    key = models.CharField(_("key"), max_length=200)
    light = models.CharField(_("light"), max_length=8, blank=True)
    position = models.CharField(_("place in the plan"), max_length=120, blank=True, default="")
    is_demo = models.BooleanField(_("demo data"), default=False)
    data = models.JSONField(_("result"))

    class Meta:
        verbose_name = _("stored evaluation result")
        verbose_name_plural = _("stored evaluation results")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "view", "kind", "key"], name="evaluation_storedresult_unique"
            )
        ]
        indexes = [
            models.Index(fields=["period", "view", "group"], name="evaluation_result_group"),
            models.Index(fields=["period", "view", "kind", "position"], name="evaluation_result_position"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.view} {self.kind} {self.key}"


class StoredRollUp(models.Model):
    """The roll-up sums (``rules.roll_up_sums``) of one measure's KPIs in a period and view, kept with
    the measure's KPI rows in the same write.  A measure sits in one industry and one strategy, so an
    industry's roll-up is the sum of its measures' rows (``read.stored_rollups``: one aggregate query
    instead of decoding every KPI).  ``total`` is Σ min(achievement, cap) in ten-thousandths:
    achievements have four places, so the sums are exact integers on every database.
    """

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="+", verbose_name=_("reporting period")
    )
    view = models.CharField(_("view"), max_length=10, choices=ResultView.choices)
    measure = models.CharField(_("measure"), max_length=40)
    industry = models.CharField(_("industry"), max_length=40)
    strategy = models.CharField(_("strategy"), max_length=40)
    green = models.IntegerField(_("green"))
    yellow = models.IntegerField(_("yellow"))
    red = models.IntegerField(_("red"))
    white = models.IntegerField(_("white"))
    items = models.IntegerField(_("KPIs"))
    weight = models.IntegerField(_("KPIs with an achievement"))
    total = models.BigIntegerField(_("sum of capped achievements (1/10,000)"))

    class Meta:
        verbose_name = _("stored roll-up")
        verbose_name_plural = _("stored roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["period", "view", "measure"], name="evaluation_rollup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.view} {self.measure}"


class RefreshLock(models.Model):
    """One row per refresh group, locked ``FOR UPDATE`` by a write before it recomputes the group.

    On PostgreSQL two writers touching the same measure would otherwise each compute it from a
    snapshot missing the other's uncommitted lines, and the later commit would store a result that
    ignores the earlier one.  Taking the lock first makes the second writer wait, then read (READ
    COMMITTED: each statement sees what committed before it) the first writer's lines.  A rebuild
    locks every group.
    """

    name = models.CharField(_("group"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("evaluation refresh lock")
        verbose_name_plural = _("evaluation refresh locks")

    def __str__(self) -> str:
        return self.name
