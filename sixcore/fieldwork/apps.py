from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "sixcore.fieldwork"
    label = "fieldwork"
    verbose_name = _("Field verification")

    def ready(self) -> None:
        from django.db.models import Q
        from django.urls import reverse

        from sixcore.core.changelog import track_changes
        from sixcore.followups import origins
        from sixcore.followups.choices import FollowUpSource

        from . import models

        # A finding, an evidence file or a recommendation shows in its verification's history.
        track_changes(
            models.FieldVerification, related=lambda v: list(v.agencies.all()), exclude=("version",)
        )
        track_changes(models.VerifiedItem, related=lambda i: [i.verification], exclude=("version",))
        track_changes(models.Evidence, related=lambda e: [e.item.verification, e.item])
        track_changes(
            models.Recommendation, related=lambda r: [r.item.verification, r.item, r.owner, r.follow_up]
        )
        track_changes(models.SelectionSettings)
        # A recommendation's tracking is its follow-up item; the follow-up pages link back to the visit,
        # and the agencies attending the visit read its items as they read the visit.
        origins.register(
            origins.Origin(
                source=FollowUpSource.FIELD_VERIFICATION,
                related_name="field_recommendation",
                url=lambda r: (
                    reverse("fieldwork:detail", args=[r.item.verification_id]) + f"#item-{r.item_id}"
                ),
                label=lambda r: str(r.item.verification),
                party=lambda scope: Q(field_recommendation__item__verification__agencies__in=scope),
            )
        )
