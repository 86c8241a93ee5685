"""From the database to the pure rules: every item's status as of a date, and an item's chart series.

Reads happen in a fixed number of queries whatever the number of items and reporters (items with
their minimums, assignments, reporters, one windowed read of observations); the judging is done by
:mod:`sixcore.supplies.rules`.

Item level: the item's cover is the summed latest stock of all its reporters over their summed daily
consumption (or summed safety levels for PPE). A reporter that stopped reporting still counts with
its last figures and is listed as overdue; the item itself is grey only when its latest report of
all is overdue (or nothing can be computed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Prefetch

from . import rules
from .choices import Basis, MinimumKind, Status
from .models import Assignment, Minimum, Observation, Reporter, SupplyItem, minimum_schedule

STATUS_LABELS = {
    Status.RED: "低於下限",
    Status.YELLOW: "接近下限",
    Status.GREEN: "正常",
    Status.GREY: "逾期未報",
}

# --- display: what a person reads ------------------------------------------------------------------
# The rules judge an item without a minimum "green" (nothing is below a minimum that does not exist);
# a page must not call that 正常: it is shown neutral, as 無法定下限.  An item is grey when none of its
# figures is current, which is not the same thing as one of its reporters being late (逾期未報, a
# reporter-level fact listed in its own table): the item-level grey is read as 無最新資料.
NO_MINIMUM = "none"
DISPLAY_ORDER = (Status.RED, Status.YELLOW, Status.GREEN, NO_MINIMUM, Status.GREY)
ITEM_STATUS_LABELS = {**STATUS_LABELS, NO_MINIMUM: "無法定下限", Status.GREY: "無最新資料"}
REPORTER_STATUS_LABELS = {**STATUS_LABELS, NO_MINIMUM: "無法定下限"}
# A past report date is grey only when its cover cannot be computed (e.g. no consumption yet).
SERIES_STATUS_LABELS = {**ITEM_STATUS_LABELS, Status.GREY: "無法計算"}


def shown_status(status: str, minimum: Decimal | None) -> str:
    """The status a page shows: ``none`` (無法定下限) where the rules said green for want of a minimum."""
    return NO_MINIMUM if status == Status.GREEN and minimum is None else status


@dataclass
class ReporterStatus:
    """One reporter's standing for one item."""

    reporter_id: int
    code: str
    name: str
    demo: bool
    last_report: date | None
    cover: Decimal | None
    days_of_cover: Decimal | None
    status: str
    overdue: bool
    assigned: bool

    minimum: Decimal | None = None

    @property
    def shown(self) -> str:
        return shown_status(self.status, self.minimum)

    @property
    def label(self) -> str:
        return REPORTER_STATUS_LABELS[self.shown]


@dataclass
class ItemStatus:
    """An item's standing as of a date (one row of ``GET /api/supplies/status/``)."""

    item: SupplyItem
    as_of: date
    cover: Decimal | None
    days_of_cover: Decimal | None
    minimum: Decimal | None
    status: str
    forecast_breach: date | None
    last_report: date | None
    reporters: list[ReporterStatus] = field(default_factory=list)
    price: rules.PriceCheck | None = None

    @property
    def overdue_reporters(self) -> list[ReporterStatus]:
        return [r for r in self.reporters if r.overdue and r.assigned]

    @property
    def shown(self) -> str:
        return shown_status(self.status, self.minimum)

    @property
    def label(self) -> str:
        return ITEM_STATUS_LABELS[self.shown]

    @property
    def price_warning(self) -> bool:
        return bool(self.price and self.price.warning)

    def as_row(self) -> dict[str, Any]:
        """The public row: aggregated figures only (no company's own numbers)."""
        return {
            "item": self.item.code,
            "name": self.item.name,
            "unit": self.item.unit,
            "measure": self.item.minimum_kind,
            "days_of_cover": rules.finite_or_none(self.days_of_cover, 1),
            "cover": rules.finite_or_none(self.cover, 2),
            "minimum": _number(self.minimum),
            "status": self.status,
            "forecast_breach": self.forecast_breach.isoformat() if self.forecast_breach else None,
            "as_of": self.as_of.isoformat(),
            "last_report": self.last_report.isoformat() if self.last_report else None,
            "overdue_reporters": len(self.overdue_reporters),
            "price_warning": self.price_warning,
        }


def _number(value: Decimal | None) -> int | float | None:
    """8 for ``Decimal('8.00')``, 0.5 for ``Decimal('0.50')``: minimums read as the document writes them."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def items_queryset():
    return SupplyItem.objects.select_related("responsible_agency").prefetch_related(
        Prefetch("minimums", queryset=Minimum.objects.order_by("effective_from"))
    )


def _lookback_start(item: SupplyItem, as_of: date) -> date:
    """How far back observations are needed for the status, the trend and the price average."""
    if item.basis == Basis.PREVIOUS_YEAR:
        return date(as_of.year - 2, 1, 1)
    periods = max(item.forecast_points, item.price_window) + 2
    return as_of - timedelta(days=item.window_days + periods * item.frequency_days + item.grace_days)


def _histories(
    items: list[SupplyItem], as_of: date, start: dict[int, date] | None = None
) -> tuple[dict[int, dict[int, rules.History]], dict[int, dict[date, list[Decimal]]]]:
    """``{item_id: {reporter_id: History}}`` and ``{item_id: {date: [prices]}}`` from one read of the
    observations each item needs."""
    if not items:
        return {}, {}
    start = start or {item.pk: _lookback_start(item, as_of) for item in items}
    # Raw SQL: the ORM's per-value decimal converters cost more than the rest of a recomputation
    # over a million observations (docs/PERFORMANCE.md); the table and columns are fixed names.
    table = connection.ops.quote_name(Observation._meta.db_table)
    clauses = " OR ".join(["(item_id = %s AND date > %s)"] * len(items))
    # On SQLite the date as plain text: parsed once per distinct date below, not by the driver per row.
    day_column = "date || ''" if connection.vendor == "sqlite" else "date"
    sql = (
        f"SELECT item_id, reporter_id, {day_column}, consumption, stock, price FROM {table} "  # noqa: S608
        f"WHERE date <= %s AND ({clauses}) ORDER BY item_id, reporter_id, date"
    )
    params: list[Any] = [as_of]
    for item in items:
        params += [item.pk, start[item.pk]]
    grouped: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    prices: dict[int, dict[date, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    days: dict[Any, date] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20000):
            for item_id, reporter_id, day, consumption, stock, price in chunk:
                if type(day) is str:
                    day = days.get(day) or days.setdefault(day, date.fromisoformat(day))
                grouped[(item_id, reporter_id)].append((day, _decimal(consumption), _decimal(stock)))
                if price is not None:
                    prices[item_id][day].append(_decimal(price))
    result: dict[int, dict[int, rules.History]] = defaultdict(dict)
    for (item_id, reporter_id), points in grouped.items():
        result[item_id][reporter_id] = rules.History(points)
    return result, prices


def _decimal(value: Any) -> Decimal | None:
    """A database number as a Decimal (SQLite returns decimal columns as int or float)."""
    kind = type(value)
    if kind is int:
        return Decimal(value)
    if value is None or kind is Decimal:
        return value
    if kind is float:
        return Decimal(repr(value))
    return Decimal(value)


def _figures(
    item: SupplyItem, history: rules.History, on: date, safety: Decimal | None
) -> rules.ReporterFigures:
    daily = history.daily_for(item.basis, on, item.window_days)  # None on the safety-level basis
    return rules.ReporterFigures(history.stock_on(on), daily, safety)


def item_cover_on(
    item: SupplyItem, histories: dict[int, rules.History], safety: dict[int, Decimal | None], on: date
) -> tuple[Decimal | None, Decimal | None]:
    """The item's cover and days of cover on a date, from all reporters' figures as of that date."""
    figures = [_figures(item, h, on, safety.get(rid)) for rid, h in histories.items() if h.last_report(on)]
    return rules.combine(item.minimum_kind, figures)


def compute_statuses(as_of: date, items: list[SupplyItem] | None = None) -> list[ItemStatus]:
    """Every item's status as of ``as_of`` (the items of ``items`` only, if given)."""
    items = list(items_queryset()) if items is None else items
    item_ids = [i.pk for i in items]
    assignments: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for item_id, reporter_id, safety in Assignment.objects.filter(
        item_id__in=item_ids, active=True
    ).values_list("item_id", "reporter_id", "safety_level"):
        assignments[item_id][reporter_id] = safety
    histories, prices = _histories(items, as_of)
    reporter_ids = {rid for by_reporter in histories.values() for rid in by_reporter}
    reporter_ids.update(rid for by_reporter in assignments.values() for rid in by_reporter)
    reporters = {r.pk: r for r in Reporter.objects.filter(pk__in=reporter_ids).only("code", "name", "demo")}
    return [
        _item_status(
            item,
            as_of,
            histories.get(item.pk, {}),
            assignments.get(item.pk, {}),
            prices.get(item.pk, {}),
            reporters,
        )
        for item in items
    ]


def _item_status(
    item: SupplyItem,
    as_of: date,
    histories: dict[int, rules.History],
    safety: dict[int, Decimal | None],
    prices: dict[date, list[Decimal]],
    reporters: dict[int, Reporter],
) -> ItemStatus:
    schedule = minimum_schedule(item)
    minimum = rules.minimum_on(schedule, as_of)
    freq, grace = item.frequency_days, item.grace_days
    reporter_rows: list[ReporterStatus] = []
    current: list[rules.ReporterFigures] = []  # each reporter's figures as of the date, reused for the item
    for reporter_id in sorted(set(histories) | set(safety), key=lambda rid: reporters[rid].code):
        history = histories.get(reporter_id)
        last = history.last_report(as_of) if history else None
        overdue = rules.is_overdue(last, as_of, freq, grace)
        if history is not None and last is not None:
            figures = _figures(item, history, as_of, safety.get(reporter_id))
            current.append(figures)
            value, days = rules.combine(item.minimum_kind, [figures])
        else:
            value = days = None
        reporter = reporters[reporter_id]
        reporter_rows.append(
            ReporterStatus(
                reporter_id=reporter_id,
                code=reporter.code,
                name=reporter.name,
                demo=reporter.demo,
                last_report=last,
                cover=value,
                days_of_cover=days,
                status=rules.status(value, minimum, overdue),
                overdue=overdue,
                assigned=reporter_id in safety,
                minimum=minimum,
            )
        )
    last_report = max((r.last_report for r in reporter_rows if r.last_report), default=None)
    value, days = rules.combine(item.minimum_kind, current) if last_report else (None, None)
    overdue = rules.is_overdue(last_report, as_of, freq, grace)
    # The trend runs over the item's last N report dates, each judged with the figures as of that date.
    report_dates = sorted({d for h in histories.values() for d in h.dates if d <= as_of})[
        -item.forecast_points :
    ]
    series = [(d, item_cover_on(item, histories, safety, d)[0]) for d in report_dates]
    forecast = rules.forecast_breach(series, schedule, item.forecast_points) if not overdue else None
    price = None
    if item.price_warning_pct is not None and prices:
        mean_prices = [sum(p, Decimal(0)) / len(p) for _, p in sorted(prices.items()) if _ <= as_of]
        price = rules.price_warning(mean_prices, item.price_window, item.price_warning_pct)
    return ItemStatus(
        item=item,
        as_of=as_of,
        cover=value,
        days_of_cover=days,
        minimum=minimum,
        status=rules.status(value, minimum, overdue),
        forecast_breach=forecast,
        last_report=last_report,
        reporters=reporter_rows,
        price=price,
    )


@dataclass
class Summary:
    """The supplies dashboard's counters and the tables they count, from one computation: each
    counter is the length of the list of rows it stands for, so the two cannot disagree."""

    statuses: list[ItemStatus]
    overdue: list[tuple[ItemStatus, ReporterStatus]]

    @property
    def counts(self) -> dict[str, int]:
        return {key: sum(1 for s in self.statuses if s.shown == key) for key in DISPLAY_ORDER}


def summarise(statuses: list[ItemStatus]) -> Summary:
    """Rows of the status table and of the 逾期未報 table (every assigned reporter that is late)."""
    return Summary(statuses, [(s, r) for s in statuses for r in s.overdue_reporters])


def item_series(item: SupplyItem, start: date, end: date) -> list[dict[str, Any]]:
    """The item's cover at each of its report dates between ``start`` and ``end``, with the minimum in
    force and the mean price: the chart of the item page and its table."""
    schedule = minimum_schedule(item)
    lookback = {item.pk: _lookback_start(item, start)}
    all_histories, all_prices = _histories([item], end, lookback)
    histories, prices = all_histories.get(item.pk, {}), all_prices.get(item.pk, {})
    safety = dict(Assignment.objects.filter(item=item).values_list("reporter_id", "safety_level"))
    dates = sorted({d for h in histories.values() for d in h.dates if start <= d <= end})
    rows = []
    for day in dates:
        value, days = item_cover_on(item, histories, safety, day)
        minimum = rules.minimum_on(schedule, day)
        stock = sum((s for s in (h.stock_on(day) for h in histories.values()) if s is not None), Decimal(0))
        day_prices = prices.get(day)
        rows.append(
            {
                "date": day,
                "cover": value,
                "days_of_cover": days,
                "stock": stock,
                "minimum": minimum,
                "status": shown_status(rules.status(value, minimum), minimum),
                "label": SERIES_STATUS_LABELS[shown_status(rules.status(value, minimum), minimum)],
                "price": (sum(day_prices, Decimal(0)) / len(day_prices)) if day_prices else None,
            }
        )
    return rows


def measure_label(kind: str) -> str:
    return {MinimumKind.DAYS: "天", MinimumKind.MONTHS: "個月", MinimumKind.PERCENT: "%"}[kind]
