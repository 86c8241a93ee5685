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
    the result as ``evaluation.store`` encodes it (decimals as text, so nothing is rounded).
    """

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="+", verbose_name=_("reporting period")
    )
    view = models.CharField(_("view"), max_length=10, choices=ResultView.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=ResultKind.choices)
    group = models.CharField(_("group"), max_length=80)
    key = models.CharField(_("key"), max_length=200)
    light = models.CharField(_("light"), max_length=8, blank=True)
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
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.view} {self.kind} {self.key}"


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
