"""Roll-ups of a period's KPI results by industry, strategy, measure and agency (``rules.roll_up``):
used by ``evaluate_period`` and by the read model over the stored KPI rows."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .. import rules
from ..rules import DEFAULT_THRESHOLDS, Light, Thresholds

if TYPE_CHECKING:
    from .period import Evaluation, KpiResult

ROLLUP_KINDS = ("industry", "strategy", "measure", "agency")


@dataclass
class RollUpResult:
    """A group's KPI lights and weighted achievement (``rules.roll_up``)."""

    key: str
    label: str
    counts: dict[str, int]
    items: int
    weighted_achievement: Decimal | None

    @classmethod
    def of(cls, key, label: str, rolled: rules.RollUp) -> RollUpResult:
        """A ``rules.RollUp`` with its group's label, lights keyed by their text."""
        counts = {str(light): n for light, n in rolled.counts.items()}
        return cls(str(key), label, counts, rolled.items, rolled.weighted_achievement)


def rollup_rows(kpis: Iterable[KpiResult], by: str) -> Iterable[tuple[Hashable, Light, Decimal | None, None]]:
    """``(group, light, achievement, weight)`` rows of ``rules.roll_up`` for one grouping."""
    if by not in ROLLUP_KINDS:
        raise ValueError(f"by must be one of {ROLLUP_KINDS}")
    for k in kpis:
        groups = k.agencies if by == "agency" else [getattr(k, by)]
        for group in groups:
            yield group, k.light, k.achievement, None


def rollups_for(kpis: list[KpiResult], evaluation: Evaluation, thresholds: Thresholds = DEFAULT_THRESHOLDS):
    """Roll-ups of the KPIs by industry, strategy, measure and agency."""
    labels = {
        "industry": evaluation.industries,
        "strategy": evaluation.strategies,
        "measure": {code: m["name"] for code, m in evaluation.measures.items()},
        "agency": evaluation.agencies,
    }
    result = {}
    for by in ROLLUP_KINDS:
        rolled = rules.roll_up(rollup_rows(kpis, by), thresholds)
        result[by] = [RollUpResult.of(key, labels[by].get(key, str(key)), r) for key, r in rolled.items()]
    return result
