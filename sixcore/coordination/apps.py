from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "sixcore.coordination"
    label = "coordination"
    verbose_name = _("Coordination")

    def ready(self) -> None:
        from django.db.models import Q
        from django.urls import reverse

        from sixcore.core.changelog import track_changes
        from sixcore.core.roc import format_roc_date
        from sixcore.followups import origins
        from sixcore.followups.choices import FollowUpSource

        from . import models

        track_changes(models.CoordinationIssue, related=lambda i: [i.raising_agency])
        track_changes(models.Meeting)
        track_changes(models.Decision, related=lambda d: [d.meeting, d.issue, d.follow_up])
        # A decision's tracking is its follow-up item; the follow-up pages link back to the meeting, and
        # the agencies party to the decision's issue read the item as they read the decision.
        origins.register(
            origins.Origin(
                source=FollowUpSource.COORDINATION,
                related_name="coordination_decision",
                url=lambda d: reverse("coordination:decision", args=[d.pk]),
                label=lambda d: f"{format_roc_date(d.meeting.date)} {d.meeting.title}",
                party=lambda scope: (
                    Q(coordination_decision__issue__raising_agency__in=scope)
                    | Q(coordination_decision__issue__agencies__in=scope)
                ),
            )
        )
