from django.db import models
from django.utils.translation import gettext_lazy as _


class FollowUpSource(models.TextChoices):
    """Where a follow-up item (追蹤事項) comes from. The origin object points at the item (the FK lives
    on the origin side), so this app imports neither coordination nor field verification."""

    FIELD_VERIFICATION = "field_verification", _("Field verification recommendation")
    COORDINATION = "coordination", _("Coordination decision")


class FollowUpStatus(models.TextChoices):
    """列管中 until NDC closes the item (解除列管); 繼續列管 is a recorded ruling, not a status."""

    TRACKED = "tracked", _("Tracked (列管)")
    CLOSED = "closed", _("Closed (解除列管)")


class RulingKind(models.TextChoices):
    """What NDC decided on a follow-up item after reading the agency's 辦理情形."""

    KEEP = "keep", _("Keep tracking (繼續列管)")
    CLOSE = "close", _("Close (解除列管)")
    REOPEN = "reopen", _("Track again (列管)")
