from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevisionsConfig(AppConfig):
    name = "sixcore.revisions"
    label = "revisions"
    verbose_name = _("Plan revisions")

    def ready(self) -> None:
        # Transitions (propose, edit, upload, approve, reject) are named actions; plain saves of a
        # revision's own fields are recorded too, and belong to the snapshot they describe.
        from django.db.models import Q

        from sixcore.core.changelog import track_changes
        from sixcore.plan.models import register_not_in_force

        from .choices import NOT_IN_FORCE
        from .models import PlanRevision

        track_changes(PlanRevision, related=lambda r: [r.program, r.base])
        # Drafts and rejected proposals are snapshots, not the plan: plan's programs_in_force() leaves
        # them out (plan cannot import this app, which is built on it).
        register_not_in_force(Q(plan_revision__status__in=NOT_IN_FORCE))
