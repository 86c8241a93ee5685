"""Roll-ups: a group's light counts and weighted achievement, capped so one over-achiever cannot
hide a failure."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from .thresholds import (
    DEFAULT_THRESHOLDS,
    ONE,
    ZERO,
    Light,
    Number,
    Thresholds,
    _dec,
    _ratio,
)


@dataclass(frozen=True)
class RollUp:
    """A group's lights and weighted achievement.

    ``counts`` has every light (zeros included); ``items`` is the number of rows; ``weight`` the
    total weight of the rows that have an achievement; ``weighted_achievement`` is
    Σ wᵢ·min(aᵢ, cap) / Σ wᵢ over those rows (4 places), None when there are none.
    """

    key: Hashable
    counts: dict[Light, int]
    items: int
    weight: Decimal
    weighted_achievement: Decimal | None


@dataclass(frozen=True)
class RollUpSums:
    """What a roll-up is made of, before the average: light counts, rows, total weight and the
    weighted sum of capped achievements.  Sums of disjoint groups add up to the sums of their union
    (``add_sums``), so a group's roll-up can be kept as its parts' sums and finished when read."""

    counts: dict[Light, int]
    items: int
    weight: Decimal
    total: Decimal


def roll_up_sums(
    rows: Iterable[tuple[Hashable, Light | str, Number | None, Number | None]],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    cap: Number | None = None,
) -> dict[Hashable, RollUpSums]:
    """The sums of ``roll_up`` per group key (in first-seen order); see ``roll_up`` for the rows."""
    limit = _dec(cap, "cap") if cap is not None else thresholds.achievement_cap
    if limit is None or limit <= ZERO:
        raise ValueError("cap must be positive")
    counts: dict[Hashable, dict[Light, int]] = {}
    sums: dict[Hashable, list[Decimal]] = {}
    items: dict[Hashable, int] = {}
    for key, light, ach, weight in rows:
        light = Light(light)
        if key not in counts:
            counts[key] = {lt: 0 for lt in Light}
            sums[key] = [ZERO, ZERO]
            items[key] = 0
        counts[key][light] += 1
        items[key] += 1
        w = _dec(weight, "weight")
        w = ONE if w is None else w
        if w < ZERO:
            raise ValueError(f"weight must not be negative: {w}")
        a = _dec(ach, "achievement")
        if a is not None and w > ZERO:
            sums[key][0] += w * min(a, limit)
            sums[key][1] += w
    return {key: RollUpSums(counts[key], items[key], weight, total) for key, (total, weight) in sums.items()}


def add_sums(parts: Iterable[RollUpSums]) -> RollUpSums:
    """The sums of the union of disjoint groups."""
    counts = {lt: 0 for lt in Light}
    items, weight, total = 0, ZERO, ZERO
    for part in parts:
        for light, n in part.counts.items():
            counts[Light(light)] += n
        items += part.items
        weight += part.weight
        total += part.total
    return RollUpSums(counts, items, weight, total)


def finish_roll_up(key: Hashable, sums: RollUpSums) -> RollUp:
    """The roll-up of a group from its sums: Σ wᵢ·min(aᵢ, cap) / Σ wᵢ (4 places), None without weight."""
    average = _ratio(sums.total, sums.weight) if sums.weight > ZERO else None
    return RollUp(key, dict(sums.counts), sums.items, sums.weight, average)


def roll_up(
    rows: Iterable[tuple[Hashable, Light | str, Number | None, Number | None]],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    cap: Number | None = None,
) -> dict[Hashable, RollUp]:
    """Roll rows of ``(group_key, light, achievement, weight)`` up per group key (in first-seen order).

    Counts lights; averages achievements weighted by ``weight`` (None → 1, 0 → counted in the lights
    but not in the average, negative → ValueError), each achievement capped at ``cap`` (default
    ``thresholds.achievement_cap`` = 1.2) so one over-achiever cannot hide a failure.  Rows without
    an achievement (white lights) count in ``counts`` only.
    """
    return {key: finish_roll_up(key, sums) for key, sums in roll_up_sums(rows, thresholds, cap=cap).items()}
