from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IssueStatus(models.TextChoices):
    """An issue is 處理中 until NDC closes it (結案); "Open" of a reporting period is another word."""

    OPEN = "open", pgettext_lazy("coordination issue", "Open")
    CLOSED = "closed", pgettext_lazy("coordination issue", "Closed")


class DecisionStatus(models.TextChoices):
    """列管 (tracked until done) → 解除列管 (closed)."""

    TRACKED = "tracked", _("Tracked (列管)")
    CLOSED = "closed", _("Closed (解除列管)")
