from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "sixcore.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        # The stored evaluation follows every write of its inputs, in the write's transaction.
        from sixcore.accounts.signals import reporters_changed
        from sixcore.plan.signals import plan_changed
        from sixcore.progress import extensions
        from sixcore.progress.signals import batch_finished, lines_saved, status_changed

        from . import rules, store

        lines_saved.connect(store.on_lines_saved, dispatch_uid="evaluation.lines_saved")
        status_changed.connect(store.on_status_changed, dispatch_uid="evaluation.status_changed")
        batch_finished.connect(store.on_batch_finished, dispatch_uid="evaluation.batch_finished")
        plan_changed.connect(store.on_plan_changed, dispatch_uid="evaluation.plan_changed")
        reporters_changed.connect(store.on_reporters_changed, dispatch_uid="evaluation.reporters_changed")
        # The report form, the workbook and the completeness check judge lag by these rules.
        extensions.register_schedule_rule(extensions.ScheduleRule(rules.planned_percent, rules.behind_plan))
