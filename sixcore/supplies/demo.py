"""Deterministic demo observations (示範資料): two years up to the as-of date, for every seeded item.

Nothing here is a real figure: the reporters are fictitious, named 「示範…（示範資料）」 and flagged
``demo``, their observations have source ``demo``. The same as-of date always gives the same rows
(one seeded random generator per reporter). The story the data tell:

- 天然氣 drifts down from 12 to about 7 days of cover: it breaches its minimum (8 days, 11 from 114);
- 紙漿's second reporter stopped reporting four months before the as-of date: overdue;
- 小麥 sits just above one month (yellow); 砂石's last price jumps 25% (price warning);
- everything else is comfortably above its minimum.
"""

from __future__ import annotations

import random
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from sixcore.core.changelog import record_action

from .choices import Frequency, ObservationSource, ReporterKind
from .models import Assignment, Observation, Reporter, SupplyItem
from .registry import INDUSTRIES, seed_registry

DEMO_LABEL = "示範資料"
Q4 = Decimal("0.0001")


@dataclass(frozen=True)
class DemoReporter:
    code: str
    name: str
    kind: str
    item: str
    daily: float  # consumption per day
    cover_start: float  # cover (in the item's measure) two years ago
    cover_end: float  # cover on the as-of date
    stops_days_before: int = 0  # stops reporting this many days before the as-of date
    safety_level: float | None = None
    price: float | None = None


def _reporters() -> list[DemoReporter]:
    rows = [
        DemoReporter("demo-oil-a", "示範油品業者甲", ReporterKind.COMPANY, "oil", 120_000, 125, 118),
        DemoReporter("demo-oil-b", "示範油品業者乙", ReporterKind.COMPANY, "oil", 80_000, 110, 121),
        DemoReporter("demo-gas-a", "示範天然氣業者", ReporterKind.COMPANY, "natural-gas", 55_000, 12.5, 7.2),
        DemoReporter("demo-coal-a", "示範燃煤電廠甲", ReporterKind.COMPANY, "coal", 60_000, 42, 40),
        DemoReporter("demo-coal-b", "示範燃煤電廠乙", ReporterKind.COMPANY, "coal", 25_000, 38, 45),
        DemoReporter("demo-nonwoven", "示範不織布公會", ReporterKind.ASSOCIATION, "meltblown", 12, 2.2, 1.9),
        DemoReporter("demo-paper-a", "示範造紙公會", ReporterKind.ASSOCIATION, "pulp", 2_500, 1.5, 1.4),
        DemoReporter(
            "demo-paper-b", "示範紙廠乙", ReporterKind.COMPANY, "pulp", 800, 1.6, 1.3, stops_days_before=120
        ),
        DemoReporter("demo-oilseed", "示範植物油公會", ReporterKind.ASSOCIATION, "soybean", 7_500, 1.7, 1.6),
        DemoReporter("demo-flour", "示範麵粉公會", ReporterKind.ASSOCIATION, "wheat", 3_500, 1.3, 1.05),
        DemoReporter("demo-cement", "示範水泥公會", ReporterKind.ASSOCIATION, "cement", 28_000, 20, 18),
        DemoReporter(
            "demo-mining", "示範砂石調查", ReporterKind.AGENCY, "sand-gravel", 180_000, 25, 22, price=520
        ),
        DemoReporter(
            "demo-ppe-central",
            "示範中央庫存",
            ReporterKind.TIER_CENTRAL,
            "ppe",
            0,
            130,
            115,
            safety_level=5e6,
        ),
        DemoReporter(
            "demo-ppe-local",
            "示範地方政府庫存",
            ReporterKind.TIER_LOCAL,
            "ppe",
            0,
            120,
            108,
            safety_level=3e6,
        ),
        DemoReporter(
            "demo-ppe-hospital",
            "示範醫療院所庫存",
            ReporterKind.TIER_HOSPITAL,
            "ppe",
            0,
            112,
            104,
            safety_level=2e6,
        ),
    ]
    rows += [
        DemoReporter(
            f"demo-industry-{code}", f"示範{name}業者", ReporterKind.COMPANY, f"industry-{code}", 300, 45, 40
        )
        for code, name, _ in INDUSTRIES
    ]
    return rows


def report_dates(frequency: str, start: date, end: date) -> list[date]:
    """The dates a reporter of ``frequency`` reports between ``start`` and ``end`` (both included)."""
    dates: list[date] = []
    if frequency in (Frequency.TWICE_WEEKLY, Frequency.WEEKLY):
        weekdays = {0, 3} if frequency == Frequency.TWICE_WEEKLY else {3}  # Monday and Thursday
        day = start
        while day <= end:
            if day.weekday() in weekdays:
                dates.append(day)
            day += timedelta(days=1)
        return dates
    step = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.ANNUAL: 12}[frequency]
    year, month = start.year, start.month
    while True:
        if (month - 1) % step == step - 1 or step == 1:
            day = date(year, month, monthrange(year, month)[1])
            if day > end:
                break
            if day >= start:
                dates.append(day)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return dates


def _days_factor(item: SupplyItem) -> float:
    return {"days": 1.0, "months": 30.4375}.get(item.minimum_kind, 1.0)


@transaction.atomic
def load_demo(as_of: date) -> int:
    """Replace the demo observations by the two years up to ``as_of``; returns how many were written."""
    seed_registry()
    items = {i.code: i for i in SupplyItem.objects.all()}
    start = as_of - timedelta(days=730)
    # Observations are not in the change log (figures, not decisions): one DELETE, no per-row signals.
    Observation.objects.filter(reporter__demo=True).delete()
    observations: list[Observation] = []
    for spec in _reporters():
        item = items.get(spec.item)
        if item is None:
            continue
        reporter, _ = Reporter.objects.update_or_create(
            code=spec.code,
            defaults={"name": f"{spec.name}（{DEMO_LABEL}）", "kind": spec.kind, "demo": True},
        )
        safety = Decimal(str(spec.safety_level)) if spec.safety_level else None
        Assignment.objects.update_or_create(item=item, reporter=reporter, defaults={"safety_level": safety})
        observations.extend(_series(spec, item, reporter, start, as_of))
    Observation.objects.bulk_create(observations, batch_size=2000)
    for item in items.values():
        count = sum(1 for o in observations if o.item_id == item.pk)
        if count:
            record_action(
                item, "supplies.demo", message=f"{count} {DEMO_LABEL} observations up to {as_of.isoformat()}"
            )
    return len(observations)


def _series(
    spec: DemoReporter, item: SupplyItem, reporter: Reporter, start: date, end: date
) -> list[Observation]:
    rng = random.Random(f"sixcore-supplies-demo-{spec.code}")  # noqa: S311 - demo figures, not security
    stop = end - timedelta(days=spec.stops_days_before)
    dates = report_dates(item.frequency, start, stop)
    span = max((end - start).days, 1)
    rows: list[Observation] = []
    previous: date | None = None
    previous_stock: float | None = None
    for day in dates:
        progress = (day - start).days / span
        cover = spec.cover_start + (spec.cover_end - spec.cover_start) * progress
        cover *= 1 + rng.uniform(-0.015, 0.015) if day != dates[-1] else 1
        daily = spec.daily * (1 + 0.05 * rng.uniform(-1, 1))
        if spec.safety_level:
            stock = spec.safety_level * cover / 100
            consumption = None
        else:
            stock = cover * _days_factor(item) * spec.daily
            consumption = daily * ((day - previous).days if previous else item.frequency_days)
        inflow = (stock - (previous_stock if previous_stock is not None else stock)) + (consumption or 0)
        price = None
        if spec.price is not None:
            price = spec.price * (1 + 0.02 * rng.uniform(-1, 1))
            if day == dates[-1]:
                price = spec.price * 1.25  # the spike the price warning catches
        rows.append(
            Observation(
                item=item,
                reporter=reporter,
                date=day,
                production=_q(max(inflow, 0) * 0.3) if consumption is not None else None,
                imports=_q(max(inflow, 0) * 0.7) if consumption is not None else None,
                consumption=_q(consumption),
                stock=_q(stock),
                price=_q(price),
                source=ObservationSource.DEMO,
            )
        )
        previous, previous_stock = day, stock
    return rows


def _q(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2))).quantize(Q4)
