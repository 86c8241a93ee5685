"""Strategic supplies (民生及戰備): monitored items, minimums by date, reporters, observations, alerts.

The registry (items, minimums, reporters and their assignments) is edited by NDC and the item's
responsible agency; every change is recorded by the change log (``track_changes``). Observations are
the reported figures; bulk imports write them without signals and record one ``supplies.import``
action on their :class:`ImportBatch` instead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from sixcore.accounts.models import Agency
from sixcore.core.changelog import ChangeLoggedQuerySet, track_changes

from .choices import (
    FREQUENCY_DAYS,
    AlertKind,
    Basis,
    Frequency,
    MinimumKind,
    ObservationSource,
    ReporterKind,
)

QUANTITY = {"max_digits": 20, "decimal_places": 4}


@track_changes
class SupplyItem(models.Model):
    """A monitored supply (石油, 天然氣, 煤炭, 熔噴布, …) with its unit, reporting frequency, responsible
    agency and how its minimum is measured. ``line`` is the seed line of the program document the
    item comes from (``source`` quotes it)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    group = models.CharField(_("group"), max_length=60, blank=True)
    unit = models.CharField(_("unit"), max_length=30)
    price_unit = models.CharField(_("price unit"), max_length=30, blank=True)
    frequency = models.CharField(_("reporting frequency"), max_length=16, choices=Frequency.choices)
    grace_days = models.PositiveIntegerField(_("grace days"), default=7)
    responsible_agency = models.ForeignKey(
        Agency, verbose_name=_("responsible agency"), on_delete=models.PROTECT, related_name="supply_items"
    )
    minimum_kind = models.CharField(
        _("minimum measured as"), max_length=10, choices=MinimumKind.choices, default=MinimumKind.DAYS
    )
    basis = models.CharField(
        _("consumption basis"), max_length=16, choices=Basis.choices, default=Basis.TRAILING
    )
    window_days = models.PositiveIntegerField(_("trailing window (days)"), default=90)
    forecast_points = models.PositiveIntegerField(_("observations in the forecast trend"), default=6)
    price_warning_pct = models.DecimalField(
        _("price warning above moving average (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    price_window = models.PositiveIntegerField(_("price moving-average window (observations)"), default=6)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    extra_lines = models.JSONField(_("other seed lines"), default=list, blank=True)
    source = models.TextField(_("source text"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("monitored item")
        verbose_name_plural = _("monitored items")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def frequency_days(self) -> int:
        return FREQUENCY_DAYS[self.frequency]


@track_changes(related=lambda m: [m.item])
class Minimum(models.Model):
    """The minimum of an item from a date on (天然氣 7 天 in 110, 8 天 from 111, 11 天 from 114),
    in the item's measure (days, months or percent)."""

    item = models.ForeignKey(
        SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="minimums"
    )
    effective_from = models.DateField(_("effective from"))
    value = models.DecimalField(_("minimum"), max_digits=10, decimal_places=2)
    line = models.PositiveIntegerField(_("seed line"), null=True, blank=True)
    basis_text = models.CharField(_("basis of the minimum"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("minimum")
        verbose_name_plural = _("minimums")
        ordering = ["item", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["item", "effective_from"], name="supplies_minimum_unique_start"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="supplies_minimum_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} ≥ {self.value.normalize():f} ({self.effective_from:%Y-%m-%d})"


@track_changes
class Reporter(models.Model):
    """Who reports figures: a company, an industry association, an agency or a stockpile tier."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ReporterKind.choices, default=ReporterKind.COMPANY
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    demo = models.BooleanField(_("demo data (示範資料)"), default=False)
    items = models.ManyToManyField(
        SupplyItem, through="Assignment", verbose_name=_("items reported"), related_name="reporters"
    )

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


@track_changes(related=lambda a: [a.item, a.reporter])
class Assignment(models.Model):
    """A reporter is expected to report an item (an overdue report is judged only for these); PPE
    tiers carry their safety level here."""

    item = models.ForeignKey(SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE)
    reporter = models.ForeignKey(Reporter, verbose_name=_("reporter"), on_delete=models.CASCADE)
    safety_level = models.DecimalField(_("safety level"), null=True, blank=True, **QUANTITY)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["item", "reporter"], name="supplies_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reporter} → {self.item}"


class ImportBatch(models.Model):
    """One imported file: who, when, its hash and how many rows were written (the audit entry)."""

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows in file"), default=0)
    created_rows = models.PositiveIntegerField(_("observations written"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("rows already recorded"), default=0)
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_rows}/{self.rows})"


@track_changes(related=lambda o: [o.item])
class Observation(models.Model):
    """What a reporter reported for an item on a date, in the item's unit: flows since its previous
    report (production, imports, consumption/sales) and the stock on the date; price where relevant.

    The natural key is (item, reporter, date): a second report for the same day is a duplicate.
    """

    # No separate index on item or batch: the natural key's unique index starts with item, and a bulk
    # import of a million rows pays for every extra index (docs/PERFORMANCE.md).
    item = models.ForeignKey(
        SupplyItem,
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
    )
    reporter = models.ForeignKey(
        Reporter, verbose_name=_("reporter"), on_delete=models.PROTECT, related_name="observations"
    )
    date = models.DateField(_("date"))
    production = models.DecimalField(_("production"), null=True, blank=True, **QUANTITY)
    imports = models.DecimalField(_("imports"), null=True, blank=True, **QUANTITY)
    consumption = models.DecimalField(_("sales / consumption"), null=True, blank=True, **QUANTITY)
    stock = models.DecimalField(_("stock"), **QUANTITY)
    price = models.DecimalField(_("price"), null=True, blank=True, **QUANTITY)
    source = models.CharField(
        _("source"), max_length=10, choices=ObservationSource.choices, default=ObservationSource.WEB
    )
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import batch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["item", "date", "reporter"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "reporter", "date"], name="supplies_observation_natural_key"
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="supplies_observation_stock_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["item", "date"], name="supplies_obs_item_date")]

    def __str__(self) -> str:
        return f"{self.item} · {self.reporter} · {self.date:%Y-%m-%d}"

    @property
    def is_demo(self) -> bool:
        return self.source == ObservationSource.DEMO


@track_changes(related=lambda a: [a.item, a.reporter])
class Alert(models.Model):
    """One breach episode: opened when an item (or a reporter) turns red, overdue or over its price
    warning, closed when it recovers. The e-mail goes out once, when the episode opens. The alert run
    closes and stamps episodes with ``bulk_update``: recorded through the change-logged queryset."""

    item = models.ForeignKey(
        SupplyItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="alerts"
    )
    reporter = models.ForeignKey(
        Reporter,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AlertKind.choices)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    value = models.DecimalField(
        _("value when opened"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    minimum = models.DecimalField(
        _("minimum when opened"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    message = models.TextField(_("message"))
    notified_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)

    objects = ChangeLoggedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_on", "item", "pk"]
        indexes = [models.Index(fields=["closed_on", "item"], name="supplies_alert_open")]

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


def minimum_schedule(item: SupplyItem) -> list[tuple[date, Decimal]]:
    """The item's minimums as ``(effective_from, value)`` pairs (uses a prefetched ``minimums``)."""
    return [(m.effective_from, m.value) for m in item.minimums.all()]
