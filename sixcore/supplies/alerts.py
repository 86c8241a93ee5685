"""Alerts: one row per breach episode, e-mailed once to the responsible agency and NDC.

An episode opens when an item turns red (below its minimum), when its price warning fires, or when an
assigned reporter's report is overdue; it stays open, silently, on every later recomputation while
the condition holds, and closes when the item recovers. A new breach after recovery is a new episode
and a new e-mail. Recomputing twice for the same date therefore sends nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import rules
from .choices import AlertKind, Status
from .models import Alert, SupplyItem
from .services import ItemStatus, compute_statuses, measure_label

# Agencies have no mailbox in the register yet: a placeholder per agency code, overridable in settings.
AGENCY_EMAIL_TEMPLATE = "supplies-{code}@localhost"


def _plain(value) -> str:
    """``8`` for ``Decimal('8.00')``: numbers as the document writes them."""
    return f"{value.normalize():f}" if value is not None else "—"


def agency_email(item: SupplyItem) -> str:
    template = getattr(settings, "SUPPLIES_AGENCY_EMAIL_TEMPLATE", AGENCY_EMAIL_TEMPLATE)
    return template.format(code=item.responsible_agency.code)


def recipients(item: SupplyItem) -> list[str]:
    return [agency_email(item), settings.NDC_NOTIFY_EMAIL]


@dataclass
class AlertRun:
    """What a recomputation did."""

    opened: list[Alert]
    closed: list[Alert]
    still_open: int
    statuses: list[ItemStatus]


def _conditions(status: ItemStatus) -> dict[tuple[str, int | None], tuple[str, object, object]]:
    """The alert conditions that hold now: ``{(kind, reporter_id): (message, value, minimum)}``."""
    item, unit = status.item, measure_label(status.item.minimum_kind)
    found: dict[tuple[str, int | None], tuple[str, object, object]] = {}
    if status.status == Status.RED:
        value = rules.finite_or_none(status.cover, 2)
        found[(AlertKind.BREACH, None)] = (
            f"{item.name}存量 {value} {unit}，低於下限 {_plain(status.minimum)} {unit}（{status.as_of.isoformat()}）",
            status.cover,
            status.minimum,
        )
    if status.price_warning and status.price is not None:
        found[(AlertKind.PRICE, None)] = (
            f"{item.name}價格 {status.price.latest:.2f} 高於移動平均 {status.price.moving_average:.2f} "
            f"達 {status.price.excess_pct:.1f}%（門檻 {_plain(item.price_warning_pct)}%）",
            status.price.latest,
            None,
        )
    for reporter in status.overdue_reporters:
        last = reporter.last_report.isoformat() if reporter.last_report else "從未申報"
        found[(AlertKind.OVERDUE, reporter.reporter_id)] = (
            f"{item.name}：{reporter.name} 逾期未報（最近一次 {last}）",
            None,
            None,
        )
    return found


@transaction.atomic
def recompute_alerts(as_of: date, send: bool = True) -> AlertRun:
    """Open, keep or close the alert episodes for ``as_of`` and e-mail the new ones once."""
    statuses = compute_statuses(as_of)
    open_alerts = {
        (a.item_id, a.kind, a.reporter_id): a
        for a in Alert.objects.select_for_update().filter(closed_on__isnull=True)
    }
    opened: list[Alert] = []
    current: set[tuple[int, str, int | None]] = set()
    for status in statuses:
        for (kind, reporter_id), (message, value, minimum) in _conditions(status).items():
            key = (status.item.pk, kind, reporter_id)
            current.add(key)
            if key in open_alerts:
                continue
            alert = Alert.objects.create(
                item=status.item,
                reporter_id=reporter_id,
                kind=kind,
                opened_on=as_of,
                value=value if value is None or value.is_finite() else None,
                minimum=minimum,
                message=message,
                recipients=recipients(status.item),
            )
            opened.append(alert)
    closed = [alert for key, alert in open_alerts.items() if key not in current]
    for alert in closed:
        alert.closed_on = as_of
    Alert.objects.bulk_update(closed, ["closed_on"])
    if send and opened:
        by_item = {s.item.pk: s.item for s in statuses}
        now = timezone.now()
        for alert in opened:
            item = by_item[alert.item_id]
            send_mail(
                subject=f"[sixcore 民生及戰備物資] {item.name} 警示",
                message=f"{alert.message}\n\n責任機關：{item.responsible_agency.name}\n",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=alert.recipients,
            )
            alert.notified_at = now
        Alert.objects.bulk_update(opened, ["notified_at"])
    return AlertRun(opened=opened, closed=closed, still_open=len(current) - len(opened), statuses=statuses)
