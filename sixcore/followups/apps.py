from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowUpsConfig(AppConfig):
    name = "sixcore.followups"
    label = "followups"
    verbose_name = _("Follow-up items")

    def ready(self) -> None:
        from sixcore.core import actions
        from sixcore.core.changelog import track_changes

        from . import models

        track_changes(models.FollowUp, related=lambda f: [f.owner])
        track_changes(models.FollowUpResponse, related=lambda r: [r.follow_up, r.submission])
        track_changes(models.FollowUpRuling, related=lambda r: [r.follow_up])
        # The history tab's words for NDC's rulings on an item (core.actions).
        actions.register(
            {
                "followup.close": pgettext_lazy("follow-up history", "Closed (解除列管)"),
                "followup.keep": pgettext_lazy("follow-up history", "Kept on the list (繼續列管)"),
                "followup.reopen": pgettext_lazy("follow-up history", "Tracked again"),
                "followup.publish": pgettext_lazy("follow-up history", "Published"),
                "followup.unpublish": pgettext_lazy("follow-up history", "Unpublished"),
            }
        )
