"""Annual targets and the values they make expected at the end of each quarter.

``TargetSeries`` reads a KPI's targets once; every rule that takes targets also takes one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from django.utils.translation import gettext

from sixcore.plan.targets import CUMULATIVE, KINDS, LEVEL, MILESTONE, PER_PERIOD

from .thresholds import (
    ONE,
    ZERO,
    Interpolation,
    _check_period,
    _dec,
    _tidy,
)


class _Target(NamedTuple):  # not a frozen dataclass: cheaper to build, and a portfolio has ~50,000
    kind: str
    lower: Decimal | None
    upper: Decimal | None
    by_year: int | None
    # A level stated as a ceiling (「不超過 5 %」): met at or below it.
    ceiling: bool = False
    # Why this year's target cannot be compared with the KPI's reports (a unit that differs from
    # the full-term target's, 2.3.1); None when it can.
    not_comparable: str | None = None


def _read_target(raw: object) -> _Target | None:
    if raw is None:
        return None
    if raw.__class__ is dict or isinstance(raw, Mapping):
        get: Callable[[str], Any] = raw.get
    else:

        def get(key: str) -> Any:
            return getattr(raw, key, None)

    return _target_of(get("kind"), get("value"), get("min"), get("max"), get("by_year"), get("unit_mismatch"))


def _target_of(
    kind: object, value: object, low: object, high: object, by_year: object, mismatch: object = None
) -> _Target:
    """A target from the values of its keys (as a target dict holds them)."""
    if kind not in KINDS:
        raise ValueError(f"target kind must be one of {KINDS}, not {kind!r}")
    ceiling = kind == LEVEL and low is None and high is not None
    not_comparable = None
    if mismatch:
        not_comparable = _mismatch_reason(mismatch)
    value, low, high = _dec(value), _dec(low), _dec(high)
    lower = low if low is not None else value
    upper = high if high is not None else value
    if lower is None:  # only a maximum given
        lower = upper
    if upper is None:
        upper = lower
    # ``tuple.__new__``: a NamedTuple without its Python-level ``__new__`` (one per annual target).
    return tuple.__new__(
        _Target,
        (kind, lower, upper, int(by_year) if by_year is not None else None, ceiling, not_comparable),
    )


def _mismatch_reason(mismatch: object) -> str:
    """The words shown when a year's unit differs from the full-term unit (``unit_mismatch``)."""
    if isinstance(mismatch, Mapping):
        return gettext(
            "unit of this year's target (%(annual)s) differs from the full-term target's "
            "(%(full_term)s): not compared"
        ) % {"annual": mismatch.get("annual", ""), "full_term": mismatch.get("full_term", "")}
    return gettext("unit differs from the full-term target: not compared")


def target_bounds(target: object) -> tuple[Decimal | None, Decimal | None]:
    """(lower, upper) of one quantified target: a range ``2~3`` gives (2, 3), ``至少 3`` (3, 3),
    ``不超過 5`` (5, 5), a single value (v, v), a milestone or a target without quantity (None, None).
    The lower bound decides "met", the upper "exceeded".
    """
    parsed = _read_target(target)
    if parsed is None or parsed.kind == MILESTONE:
        return None, None
    return parsed.lower, parsed.upper


def _milestone_due_year(target: _Target, roc_year: int) -> int:
    return max(roc_year, target.by_year) if target.by_year is not None else roc_year


def _share(quarter: int, interpolation: Interpolation) -> Decimal:
    if interpolation == Interpolation.LINEAR:
        return Decimal(quarter) / 4
    return ONE if quarter == 4 else ZERO


# ``_share`` of every quarter and mode, computed once (an expected value needs one per KPI and period).
_SHARES = {(quarter, mode): _share(quarter, mode) for quarter in (1, 2, 3, 4) for mode in Interpolation}
_QUARTER_SHARES = {mode: tuple(_SHARES[quarter, mode] for quarter in (1, 2, 3, 4)) for mode in Interpolation}
_NOTHING_EXPECTED = (None, None, None, None)


class TargetSeries:
    """A KPI's annual targets read once: each year's kind, lower and upper bound (``Decimal``) and
    milestone year, and each year's cumulative baseline C₀ (the latest earlier cumulative target, per
    bound; 0 before the first).

    Every rule that takes ``targets`` also takes a ``TargetSeries`` (``evaluate_kpi``,
    ``evaluate_kpi_series``, ``expected_value``, ``year_end_target``, ``final_cumulative_target``), so
    a caller evaluating a KPI for many periods parses its targets once instead of once per call.
    Expected values are computed a year at a time on first use and kept (per year, mode and bound).
    A malformed target (unknown kind, a quantity that is not a number) raises here, as it would in
    ``evaluate_kpi``.
    """

    __slots__ = ("_base", "_cache", "years")

    def __init__(self, targets: Mapping[Any, object]) -> None:
        years = {int(year): _read_target(raw) for year, raw in targets.items()}
        self.years: dict[int, _Target | None] = years
        base: dict[int, tuple[Decimal, Decimal]] = {}
        lower = upper = ZERO
        for year in sorted(years):
            base[year] = (lower, upper)
            target = years[year]
            # A year in another unit (``unit_mismatch``) is no baseline for the years in the full-term unit.
            if target is not None and target.kind == CUMULATIVE and not target.not_comparable:
                if target.lower is not None:
                    lower = target.lower
                if target.upper is not None:
                    upper = target.upper
        self._base = base
        self._cache: dict[tuple[int, Interpolation, str], tuple[Decimal | None, ...]] = {}

    @classmethod
    def of(cls, targets: Mapping[Any, object] | TargetSeries) -> TargetSeries:
        """``targets`` itself when it is already a ``TargetSeries``, else its normalised form."""
        return targets if isinstance(targets, TargetSeries) else cls(targets)

    def __repr__(self) -> str:
        return f"TargetSeries({self.years!r})"

    def kind(self, roc_year: int) -> str | None:
        """The kind of this year's target (``cumulative``/``per_period``/``milestone``), or None."""
        target = self.years.get(roc_year)
        return target.kind if target is not None else None

    def expected(
        self, roc_year: int, quarter: int, interpolation: Interpolation, bound: str
    ) -> Decimal | None:
        """``expected_value`` without argument checks (trailing zeros dropped), kept once computed."""
        if quarter not in (1, 2, 3, 4):  # not an index from the end
            raise ValueError(f"quarter must be 1-4, not {quarter!r}")
        return self.expected_year(roc_year, interpolation, bound)[quarter - 1]

    def expected_year(
        self, roc_year: int, interpolation: Interpolation, bound: str
    ) -> tuple[Decimal | None, ...]:
        """The ``expected`` values of the year's four quarters (Q1 first), computed once and kept."""
        key = (roc_year, interpolation, bound)
        values = self._cache.get(key)  # not try/except: most calls of a batch are misses
        if values is None:
            values = self._cache[key] = self._expected_year(roc_year, interpolation, bound)
        return values

    def expected_bounds(
        self, roc_year: int, quarter: int, interpolation: Interpolation
    ) -> tuple[Decimal | None, Decimal | None]:
        """The (lower, upper) ``expected`` values."""
        return (
            self.expected(roc_year, quarter, interpolation, "lower"),
            self.expected(roc_year, quarter, interpolation, "upper"),
        )

    def _expected_year(
        self, roc_year: int, interpolation: Interpolation, bound: str
    ) -> tuple[Decimal | None, ...]:
        # One formula per kind, applied to the four quarters (``expected_value`` documents it).
        target = self.years.get(roc_year)
        if target is None:
            return _NOTHING_EXPECTED
        if target.kind == MILESTONE:
            due = roc_year >= _milestone_due_year(target, roc_year)
            return (None, None, None, ONE if due else None)
        year_value = target.lower if bound == "lower" else target.upper
        if year_value is None:
            return _NOTHING_EXPECTED
        if target.kind == LEVEL:
            # A state to reach or hold: the threshold itself at every quarter, in either mode.
            # Nothing accumulates, so there is nothing to interpolate.
            return (year_value, year_value, year_value, year_value)
        shares = _QUARTER_SHARES[interpolation]
        if target.kind == PER_PERIOD:
            return tuple([_tidy(year_value * share) for share in shares])
        lower, upper = self._base[roc_year]
        previous = lower if bound == "lower" else upper
        step = year_value - previous  # C₁ − C₀, the same Decimal for every quarter
        return tuple([_tidy(previous + step * share) for share in shares])

    def final_cumulative(self) -> Decimal | None:
        """Upper bound of the latest year with a cumulative target, or None."""
        for year in sorted(self.years, reverse=True):
            target = self.years[year]
            if (
                target is not None
                and target.kind == CUMULATIVE
                and target.upper is not None
                and not target.not_comparable
            ):
                return target.upper
        return None


def expected_value(
    targets: Mapping[Any, object] | TargetSeries,
    roc_year: int,
    quarter: int,
    interpolation: Interpolation | str = Interpolation.LINEAR,
    *,
    bound: Literal["lower", "upper"] = "lower",
) -> Decimal | None:
    """Value expected at the end of quarter ``quarter`` of ``roc_year`` from the annual targets.

    ``targets`` maps ROC year → quantified target (dict or ``QuantifiedTarget``) or None, as in the
    plan revision the caller chose (or is that mapping's ``TargetSeries``).  Rules:

    * cumulative: from the previous cumulative target C₀ (the latest earlier year with a cumulative
      target; 0 before the first) to this year's C₁ — LINEAR gives C₀ + (C₁ − C₀)·q/4, STEP gives C₀
      for Q1–Q3 and C₁ at Q4.  The result always lies between C₀ and C₁.
    * per_period: this year's own amount P — LINEAR gives P·q/4, STEP gives 0 before Q4 and P at Q4;
      it is compared with the amount reported for the year so far.
    * level: this year's threshold L at every quarter, in either mode (a rate, an efficiency, days
      of stock: the latest reported value is compared with L; nothing is summed or interpolated).
    * milestone: 1 ("done") once due — at Q4 of its year, or of ``by_year`` when the text names a
      later year — else None.
    * no target for the year, or a target without a quantity: None.

    ``bound="lower"`` (default) uses a range's lower bound ("met"), ``"upper"`` its upper bound
    ("exceeded").  Values are exact (quarters divide by 4), not rounded; trailing zeros are dropped.
    """
    _check_period(roc_year, quarter)
    if bound not in ("lower", "upper"):
        raise ValueError("bound must be 'lower' or 'upper'")
    return TargetSeries.of(targets).expected(roc_year, quarter, Interpolation(interpolation), bound)


def year_end_target(targets: Mapping[Any, object] | TargetSeries, roc_year: int) -> Decimal | None:
    """This year's year-end target (lower bound): the value expected at Q4, in either mode.

    For a cumulative KPI it is the cumulative target, for a per-period KPI the year's amount, for a
    milestone 1 (done); None when the year has no quantified target.
    """
    return expected_value(targets, roc_year, 4)


def final_cumulative_target(targets: Mapping[Any, object] | TargetSeries) -> Decimal | None:
    """The last cumulative target of the plan (upper bound of the latest year with one), or None."""
    return TargetSeries.of(targets).final_cumulative()
