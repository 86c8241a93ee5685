"""Each measure's roll-up sums in the stored evaluation (``models.StoredRollUp``): computed by
``rules.roll_up_sums`` from the KPIs a write or a rebuild just judged, stored beside their rows by
``store``, compared by ``store.check``, added up by ``summary.stored_rollups``."""

from __future__ import annotations

from decimal import Decimal

from sixcore.progress.models import ReportingPeriod

from . import explain, rules, service
from .models import StoredRollUp

TEN_THOUSAND = Decimal(10_000)


def rollups_of(
    evaluation: service.Evaluation, period: ReportingPeriod, view: str, thresholds: rules.Thresholds
) -> list[StoredRollUp]:
    """The roll-up sums of each measure's KPIs (``rules.roll_up_sums``, the roll-ups' own rule)."""
    places = {}
    for k in evaluation.kpis:
        places.setdefault(k.measure, (k.industry, k.strategy))
    sums = rules.roll_up_sums(
        ((k.measure, k.light, k.achievement, None) for k in evaluation.kpis), thresholds
    )
    rows = []
    for measure, part in sums.items():
        total, weight = part.total * TEN_THOUSAND, part.weight
        if total != total.to_integral_value() or weight != weight.to_integral_value():
            raise ValueError(f"{measure}: roll-up sums off the 4-place grid ({part.total}, {part.weight})")
        industry, strategy = places[measure]
        rows.append(
            StoredRollUp(
                period_id=period.pk,
                view=view,
                measure=measure,
                industry=industry,
                strategy=strategy,
                green=part.counts[rules.Light.GREEN],
                yellow=part.counts[rules.Light.YELLOW],
                red=part.counts[rules.Light.RED],
                white=part.counts[rules.Light.WHITE],
                items=part.items,
                weight=int(weight),
                total=int(total),
            )
        )
    return rows


ROLLUP_FIELDS = (
    "measure",
    "industry",
    "strategy",
    "green",
    "yellow",
    "red",
    "white",
    "items",
    "weight",
    "total",
)


def rollup_values(row: StoredRollUp) -> tuple:
    return tuple(getattr(row, name) for name in ROLLUP_FIELDS)


def sync_rollups(period: ReportingPeriod, view: str, rows: list[StoredRollUp], measures) -> int:
    """Make the stored roll-up sums of ``period``/``view`` (of ``measures``, or all) equal to ``rows``."""
    existing = StoredRollUp.objects.filter(period=period, view=view)
    if measures is not None:
        existing = existing.filter(measure__in=list(measures))
    have = {values[0]: (pk, values) for pk, *values in existing.values_list("pk", *ROLLUP_FIELDS)}
    create, stale = [], []
    for row in rows:
        old = have.pop(row.measure, None)
        if old is None:
            create.append(row)
        elif tuple(old[1]) != rollup_values(row):
            stale.append(old[0])
            create.append(row)
    stale += [pk for pk, _values in have.values()]
    if stale:
        StoredRollUp.objects.filter(pk__in=stale).delete()
    if create:
        StoredRollUp.objects.bulk_create(create, batch_size=500)
    return len(stale) + len(create)


def check_rollups(period: ReportingPeriod, view: str, evaluation) -> list[str]:
    thresholds = explain.thresholds_in_force()
    expected = {
        r.measure: rollup_values(r)
        for r in (rollups_of(evaluation, period, view, thresholds) if evaluation is not None else [])
    }
    stored = {
        values[0]: tuple(values)
        for values in StoredRollUp.objects.filter(period=period, view=view).values_list(*ROLLUP_FIELDS)
    }
    differences = []
    for measure in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(measure), stored.get(measure)
        if want != have:
            differences.append(f"{period.code} {view} rollup {measure}: stored {have!r}, computed {want!r}")
    return differences
