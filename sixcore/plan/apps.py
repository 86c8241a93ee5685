from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanConfig(AppConfig):
    name = "sixcore.plan"
    label = "plan"
    verbose_name = _("Program plan")

    def ready(self) -> None:
        # Edits of the plan (admin, later revisions) are audited; ``plan load`` writes in bulk and
        # records one ``plan.load`` action with its counts instead of thousands of rows.
        from sixcore.core.changelog import track_changes

        from . import models as plan

        track_changes(plan.Program, exclude=("loaded_at",))
        for model in (plan.Industry, plan.Strategy, plan.ScheduleTable, plan.SubArea):
            track_changes(model)
        track_changes(plan.Measure, related=lambda m: [m.industry])
        track_changes(plan.KPI, related=lambda k: [k.measure])
        track_changes(plan.AnnualTarget, related=lambda a: [a.kpi])
        track_changes(plan.TargetCell)
        track_changes(plan.WorkItem, related=lambda w: [w.schedule])
        track_changes(plan.Task, related=lambda t: [t.schedule])
        track_changes(plan.Approach)
        track_changes(plan.Footnote, related=lambda f: [f.program])
        track_changes(plan.BudgetLine, related=lambda b: [b.industry])
        # Editable in the admin like the budget lines (issue #18: nothing escapes the log).
        track_changes(plan.BudgetStatedTotal, related=lambda t: [t.industry])
        track_changes(plan.SecurityBudgetRatio)
        # Which agency leads an industry decides what its officers may see (plan/policy.py): a
        # change must move the page cache's data version like any other.
        track_changes(plan.IndustryLeadAgency, related=lambda lead: [lead.industry])
