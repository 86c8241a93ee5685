from django.db import models
from django.utils.translation import gettext_lazy as _


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class DecisionStatus(models.TextChoices):
    """列管 (tracked until done) → 解除列管 (closed)."""

    TRACKED = "tracked", _("Tracked (列管)")
    CLOSED = "closed", _("Closed (解除列管)")
