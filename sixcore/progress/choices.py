from django.db import models
from django.utils.translation import gettext_lazy as _


class SubmissionStatus(models.TextChoices):
    """draft → submitted (agency) → consolidated (industry lead) → approved (NDC); returned goes back to draft."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CONSOLIDATED = "consolidated", _("Consolidated")
    APPROVED = "approved", _("Approved")


class WorkItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On schedule")
    AHEAD = "ahead", _("Ahead of schedule")
    LAGGING = "lagging", _("Behind schedule")
    DONE = "done", _("Completed")
    SUSPENDED = "suspended", _("Suspended")


class BudgetUnit(models.TextChoices):
    """Agencies report in 億元 (the program's unit) or 千元 (their accounting unit)."""

    HUNDRED_MILLION = "億元", _("100 million NTD (億元)")
    THOUSAND = "千元", _("thousand NTD (千元)")


class PeriodState(models.TextChoices):
    NOT_YET_OPEN = "not_yet_open", _("Not yet open")
    OPEN = "open", _("Open")
    GRACE = "grace", _("Past due (grace period)")
    LOCKED = "locked", _("Locked")
