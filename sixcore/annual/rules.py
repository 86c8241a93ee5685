"""Pure rules of the year-end evaluation: a figure → an indicator score, scores → a weighted total,
a total → a grade, and the checks of indicator weights and grade thresholds.

Plain values in, plain values out (no ORM), so the services, the API, the demo and the tests share
one audited path. Figures are percents (KPI achievement 95.5, budget execution 87.0) or percentage
points (schedule lag 12.5, positive = behind), as the quarterly evaluation shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .choices import ScoringRule

TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
# The program's budget standard: 90 % executed earns the full score (預算執行率 90 %).
BUDGET_STANDARD = Decimal(90)


def score_text(value: Decimal | None) -> str:
    """A score as printed: 87.5 → ``87.5``, 90 → ``90``, None → ``—`` (two places at most); the pages
    and every format of the annual report print scores this one way."""
    if value is None:
        return "—"
    text = f"{Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# (figure for the highest score, figure for the lowest score) of each rule, when the indicator
# leaves them blank. Lag: on schedule (0 points) is full marks, 50 points behind earns the lowest.
DEFAULT_POINTS: dict[str, tuple[Decimal, Decimal]] = {
    ScoringRule.KPI_ACHIEVEMENT: (HUNDRED, Decimal(0)),
    ScoringRule.SCHEDULE_LAG: (Decimal(0), Decimal(50)),
    ScoringRule.BUDGET_EXECUTION: (BUDGET_STANDARD, Decimal(0)),
}


class RuleError(ValueError):
    """Indicators or thresholds that cannot be used; ``problems`` name each field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def plain(value) -> str:
    """A number as people write it: 100, 92.5 (never 1E+2 or 92.50)."""
    return format(_dec(value).normalize(), "f")


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def linear_score(figure, full_at, zero_at, low=0, high=100) -> Decimal:
    """The score of ``figure`` on the line through (``zero_at``, ``low``) and (``full_at``, ``high``),
    clamped to [low, high]. ``full_at`` above ``zero_at`` rewards a higher figure (achievement,
    execution); below it rewards a lower one (lag). Monotone in the figure either way.
    """
    figure, full_at, zero_at, low, high = map(_dec, (figure, full_at, zero_at, low, high))
    if full_at == zero_at:
        raise ValueError("full_at and zero_at must differ")
    fraction = (figure - zero_at) / (full_at - zero_at)
    fraction = min(max(fraction, Decimal(0)), Decimal(1))
    return _round(low + (high - low) * fraction)


def points_of(rule: str, full_at=None, zero_at=None) -> tuple[Decimal, Decimal]:
    """The indicator's own points, or the rule's defaults where it leaves them blank."""
    default_full, default_zero = DEFAULT_POINTS[rule]
    return (
        _dec(full_at) if full_at is not None else default_full,
        _dec(zero_at) if zero_at is not None else default_zero,
    )


def rule_score(rule: str, figure, low=0, high=100, full_at=None, zero_at=None) -> Decimal | None:
    """The score a rule gives a figure; None for a manual indicator or when there is no figure."""
    if rule == ScoringRule.MANUAL or figure is None:
        return None
    full, zero = points_of(rule, full_at, zero_at)
    return linear_score(figure, full, zero, low, high)


def achievement_score(achievement, low=0, high=100, full_at=None, zero_at=None) -> Decimal:
    """KPI achievement (percent) → score: 100 % or more earns the highest score, 0 % the lowest."""
    return rule_score(ScoringRule.KPI_ACHIEVEMENT, achievement, low, high, full_at, zero_at)


def lag_score(lag, low=0, high=100, full_at=None, zero_at=None) -> Decimal:
    """Schedule lag (points behind; ahead counts as on schedule) → score."""
    return rule_score(ScoringRule.SCHEDULE_LAG, lag, low, high, full_at, zero_at)


def execution_score(rate, low=0, high=100, full_at=None, zero_at=None) -> Decimal:
    """Budget execution rate (percent) → score: 90 % or more earns the highest score."""
    return rule_score(ScoringRule.BUDGET_EXECUTION, rate, low, high, full_at, zero_at)


def mean(values: Iterable) -> Decimal | None:
    """Plain mean, 2 places; None for no values (no figure, so no pre-filled score)."""
    values = [_dec(v) for v in values if v is not None]
    if not values:
        return None
    return _round(sum(values, Decimal(0)) / len(values))


def capped_achievement(achievement) -> Decimal:
    """One KPI's achievement counted at most 100 %: over-achieving one KPI does not hide another's
    shortfall in the unit's average."""
    return min(_dec(achievement), HUNDRED)


@dataclass(frozen=True)
class Weighted:
    """One indicator in a total: its weight, range and the stage's score (None: not scored)."""

    weight: Decimal
    score: Decimal | None
    low: Decimal = Decimal(0)
    high: Decimal = HUNDRED


def weighted_total(items: Sequence[Weighted]) -> Decimal | None:
    """Σ weight × (score − low) / (high − low), 2 places: 0–100 when the weights sum to 100.
    None while any indicator is unscored (a total of part of the indicators would mislead)."""
    if not items or any(item.score is None for item in items):
        return None
    total = Decimal(0)
    for item in items:
        span = _dec(item.high) - _dec(item.low)
        total += _dec(item.weight) * (_dec(item.score) - _dec(item.low)) / span
    return _round(total)


def grade_for(score, thresholds: Iterable[tuple[str, Decimal]]) -> str:
    """The grade whose lowest score is the highest not above ``score`` ('' if none applies)."""
    score = _dec(score)
    best = None
    for label, minimum in thresholds:
        minimum = _dec(minimum)
        if minimum <= score and (best is None or minimum > best[1]):
            best = (label, minimum)
    return best[0] if best else ""


DEFAULT_GRADES: tuple[tuple[str, Decimal], ...] = (
    ("優等", Decimal(90)),
    ("甲等", Decimal(80)),
    ("乙等", Decimal(70)),
    ("丙等", Decimal(0)),
)


@dataclass(frozen=True)
class IndicatorSpec:
    """What ``check_indicators`` needs of an indicator (the model or a row of a form)."""

    code: str
    name: str
    weight: Decimal
    rule: str
    min_score: Decimal = Decimal(0)
    max_score: Decimal = HUNDRED
    full_at: Decimal | None = None
    zero_at: Decimal | None = None


def check_indicators(specs: Sequence[IndicatorSpec]) -> list[str]:
    """Problems of a year's indicators, each naming the indicator and field: weights summing to 100,
    a usable range, a known rule, distinct codes and scoring points that differ."""
    problems = []
    if not specs:
        return [_("Indicators: a year needs at least one indicator.")]
    seen = set()
    for spec in specs:
        name = spec.name or spec.code
        if spec.code in seen:
            problems.append(
                _("Indicator %(name)s: code %(code)s is used twice.") % {"name": name, "code": spec.code}
            )
        seen.add(spec.code)
        if _dec(spec.weight) < 0:
            problems.append(_("Indicator %(name)s: weight must not be negative.") % {"name": name})
        if _dec(spec.max_score) <= _dec(spec.min_score):
            problems.append(
                _("Indicator %(name)s: the highest score must be above the lowest score.") % {"name": name}
            )
        if spec.rule not in ScoringRule.values:
            problems.append(
                _("Indicator %(name)s: unknown scoring rule %(rule)s.") % {"name": name, "rule": spec.rule}
            )
        elif (
            spec.rule != ScoringRule.MANUAL
            and points_of(spec.rule, spec.full_at, spec.zero_at)[0]
            == points_of(spec.rule, spec.full_at, spec.zero_at)[1]
        ):
            problems.append(
                _("Indicator %(name)s: the figures for the highest and lowest score must differ.")
                % {"name": name}
            )
    total = sum((_dec(s.weight) for s in specs), Decimal(0))
    if total != HUNDRED:
        problems.append(_("Weights: they sum to %(total)s, not 100.") % {"total": _round(total)})
    return problems


def check_thresholds(thresholds: Sequence[tuple[str, Decimal]]) -> list[str]:
    """Problems of a year's grade thresholds: labels given and distinct, lowest scores 0–100 and
    distinct, and one grade starting at 0 so every score has a grade."""
    problems = []
    if not thresholds:
        return [_("Grades: a year needs at least one grade.")]
    labels, minimums = set(), set()
    for label, minimum in thresholds:
        minimum = _dec(minimum)
        if not label.strip():
            problems.append(_("Grade: the name is required."))
        elif label in labels:
            problems.append(_("Grade %(label)s: used twice.") % {"label": label})
        labels.add(label)
        if not Decimal(0) <= minimum <= HUNDRED:
            problems.append(
                _("Grade %(label)s: the lowest score must be between 0 and 100.") % {"label": label}
            )
        elif minimum in minimums:
            problems.append(
                _("Grade %(label)s: another grade starts at %(min)s.") % {"label": label, "min": minimum}
            )
        minimums.add(minimum)
    if Decimal(0) not in minimums:
        problems.append(_("Grades: the lowest grade must start at 0, so that every score has a grade."))
    return problems


def check_score(value, low, high) -> str:
    """'' if ``value`` is a score in [low, high], else what is wrong (the caller names the field)."""
    if value is None:
        return ""
    value = _dec(value)
    if not value.is_finite():
        return _("not a number")
    if value < _dec(low) or value > _dec(high):
        return _("must be between %(low)s and %(high)s") % {"low": plain(low), "high": plain(high)}
    if value != _round(value):
        return _("at most 2 decimal places")
    return ""
