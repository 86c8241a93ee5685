"""Choices of the supplies app (NetBox style: one class per field, English values, translated labels)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    """How often an item is reported; ``DAYS`` gives the longest normal gap between two reports."""

    TWICE_WEEKLY = "twice_weekly", _("Twice a week")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")


# The longest gap between two reports that is still on time, before the item's grace days.
# Twice a week is at most 4 days apart (Mon/Thu); a month at most 31 days; a quarter at most 92.
FREQUENCY_DAYS: dict[str, int] = {
    Frequency.TWICE_WEEKLY: 4,
    Frequency.WEEKLY: 7,
    Frequency.MONTHLY: 31,
    Frequency.QUARTERLY: 92,
    Frequency.ANNUAL: 366,
}


class MinimumKind(models.TextChoices):
    """What an item's minimum counts: days of cover, months of stock, or percent of a safety level."""

    DAYS = "days", _("Days of cover")
    MONTHS = "months", _("Months of stock")
    PERCENT = "percent", _("Percent of the safety level")


class Basis(models.TextChoices):
    """Which consumption the cover is measured against."""

    TRAILING = "trailing", _("Average daily consumption over a trailing window")
    PREVIOUS_YEAR = "previous_year", _("Previous calendar year's consumption")
    SAFETY_LEVEL = "safety_level", _("Stock against the reporter's safety level")


class ReporterKind(models.TextChoices):
    """Who sends the figures."""

    COMPANY = "company", _("Company")
    ASSOCIATION = "association", _("Industry association")
    AGENCY = "agency", _("Government agency")
    TIER_CENTRAL = "tier_central", _("Central government stockpile")
    TIER_LOCAL = "tier_local", _("Local government stockpile")
    TIER_HOSPITAL = "tier_hospital", _("Hospital stockpile")


class Status(models.TextChoices):
    """The light of an item or reporter."""

    RED = "red", _("Below minimum")
    YELLOW = "yellow", _("Within 10% above the minimum")
    GREEN = "green", _("Fine")
    GREY = "grey", _("Overdue")


class AlertKind(models.TextChoices):
    """What an alert episode is about."""

    BREACH = "breach", _("Below minimum")
    PRICE = "price", _("Price above its moving average")
    OVERDUE = "overdue", _("Report overdue")


class ObservationSource(models.TextChoices):
    """Where an observation came from."""

    WEB = "web", _("Web form")
    API = "api", _("API")
    IMPORT = "import", _("File import")
    DEMO = "demo", _("Demo data")
