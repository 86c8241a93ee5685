from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "sixcore.coordination"
    label = "coordination"
    verbose_name = _("Coordination")

    def ready(self) -> None:
        from sixcore.core.changelog import track_changes

        from . import models

        track_changes(models.CoordinationIssue, related=lambda i: [i.raising_agency])
        track_changes(models.Meeting)
        track_changes(models.Decision, related=lambda d: [d.meeting, d.issue, d.owner])
        track_changes(models.DecisionProgress, related=lambda p: [p.decision])
