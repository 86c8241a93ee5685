from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevisionsConfig(AppConfig):
    name = "sixcore.revisions"
    label = "revisions"
    verbose_name = _("Plan revisions")

    def ready(self) -> None:
        # Transitions (propose, edit, upload, approve, reject) are named actions; plain saves of a
        # revision's own fields are recorded too, and belong to the snapshot they describe.
        from sixcore.core.changelog import track_changes

        from .models import PlanRevision

        track_changes(PlanRevision, related=lambda r: [r.program, r.base])
