from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowUpsConfig(AppConfig):
    name = "sixcore.followups"
    label = "followups"
    verbose_name = _("Follow-up items")

    def ready(self) -> None:
        from sixcore.core.changelog import track_changes

        from . import models

        track_changes(models.FollowUp, related=lambda f: [f.owner])
        track_changes(models.FollowUpResponse, related=lambda r: [r.follow_up, r.submission])
        track_changes(models.FollowUpRuling, related=lambda r: [r.follow_up])
