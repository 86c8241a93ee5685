from django.db import models
from django.utils.translation import pgettext_lazy


class IssueStatus(models.TextChoices):
    """An issue is 處理中 until NDC closes it (結案); "Open" of a reporting period is another word."""

    OPEN = "open", pgettext_lazy("coordination issue", "Open")
    CLOSED = "closed", pgettext_lazy("coordination issue", "Closed")
