from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VerificationStatus(models.TextChoices):
    """規劃中 (planned: items, findings and recommendations editable) → 已完成 (findings recorded, locked)
    → 已公開 (published: the public reads it); a planned visit may be cancelled (已取消)."""

    PLANNED = "planned", pgettext_lazy("field verification", "Planned")
    COMPLETED = "completed", pgettext_lazy("field verification", "Completed")
    PUBLISHED = "published", pgettext_lazy("field verification", "Published")
    CANCELLED = "cancelled", pgettext_lazy("field verification", "Cancelled")


class ItemKind(models.TextChoices):
    """What a visit verifies: a KPI, a work item, a measure, or an agency's reporting in an industry."""

    KPI = "kpi", _("KPI")
    WORK_ITEM = "work_item", _("Work item")
    MEASURE = "measure", _("Measure")
    UNIT = "unit", _("Reporting unit")


class Reason(models.TextChoices):
    """Why an item is a candidate (selection by exception)."""

    RED_KPI = "red_kpi", _("Red KPI")
    LAGGING = "lagging", _("Work item lagging")
    HIGH_RISK = "high_risk", _("High risk")
    LATE = "late", _("Repeatedly late reports")
    RETURNED = "returned", _("Repeatedly returned reports")
