from django.db import models
from django.utils.translation import gettext_lazy as _


class SubAreaCode(models.TextChoices):
    """Industry 4 (國防及戰略產業) has two sub-areas with their own vision and KPI table."""

    AVIATION_SHIPBUILDING = "aviation_shipbuilding", _("Aviation and shipbuilding")
    SPACE = "space", _("Space")


class AgencyRole(models.TextChoices):
    """Role of an agency on a work item: 主辦 or 協辦."""

    LEAD = "lead", _("Lead")
    CO = "co", _("Co-operating")


class TargetKind(models.TextChoices):
    """How a quantified target is to be read (see plan/targets.py)."""

    CUMULATIVE = "cumulative", _("Cumulative")
    PER_PERIOD = "per_period", _("Per period")
    LEVEL = "level", _("Level")
    MILESTONE = "milestone", _("Milestone")


class TargetSource(models.TextChoices):
    PARSED = "parsed", _("Parsed from the text")
    OVERRIDE = "override", _("Set in the data file")
    NONE = "none", _("No target")


class BudgetTotalKind(models.TextChoices):
    """The 小計 cells of 表 3, kept as stated so the audit can check them against the cells."""

    INDUSTRY = "industry", _("Industry subtotal (row)")
    YEAR = "year", _("Year subtotal (column)")
    GRAND = "grand", _("Grand total")
