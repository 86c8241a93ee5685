"""A year's evaluation set-up, maintained by NDC: indicators (weights summing to 100), grade
thresholds, the calendar, and the evaluations of every reporting unit.

Each write is atomic, checked by ``rules`` (problems name the field), refused for anyone but an NDC
administrator (``user=None`` is the system: migrations, the demo, commands) and logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from sixcore.core.changelog import record_action
from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force, reporting_units

from . import rules
from .choices import ScoreStage, ScoringRule, Stage
from .exceptions import Problems
from .models import INDICATOR_FIELDS, AnnualCycle, AnnualEvaluation, GradeThreshold, Indicator, IndicatorScore
from .policy import annual_policy

# The indicators of a year nobody has set up yet (the usual 個案計畫 form): 計畫作業 60, 目標達成 40.
DEFAULT_INDICATORS: tuple[dict[str, Any], ...] = (
    {
        "code": "planning",
        "category": "計畫作業",
        "name": "規劃",
        "description": "計畫目標、策略與分工之妥適性（由評核人員評分）",
        "weight": Decimal(15),
        "rule": ScoringRule.MANUAL,
    },
    {
        "code": "schedule",
        "category": "計畫作業",
        "name": "執行進度",
        "description": "重點工作項目之進度落後程度（依年度評核預填）",
        "weight": Decimal(25),
        "rule": ScoringRule.SCHEDULE_LAG,
    },
    {
        "code": "budget",
        "category": "計畫作業",
        "name": "經費運用",
        "description": "預算執行率，以 90% 為標準（依年度評核預填）",
        "weight": Decimal(20),
        "rule": ScoringRule.BUDGET_EXECUTION,
    },
    {
        "code": "kpi",
        "category": "目標達成",
        "name": "KPI 達成",
        "description": "當年度有目標之績效指標平均達成率（依年度評核預填）",
        "weight": Decimal(40),
        "rule": ScoringRule.KPI_ACHIEVEMENT,
    },
)


def _require_admin(user) -> None:
    if user is not None and not annual_policy.can_manage_indicators(user):
        raise PermissionDenied(_("Only NDC administrators maintain the year-end evaluation set-up."))


def _started(year: int) -> bool:
    """Whether any evaluation of the year has left 自評: its indicators are then frozen."""
    return AnnualEvaluation.objects.filter(year=year).exclude(stage=Stage.SELF).exists()


def _spec(row: Mapping[str, Any]) -> rules.IndicatorSpec:
    return rules.IndicatorSpec(
        code=str(row.get("code", "")),
        name=str(row.get("name", "")),
        weight=Decimal(str(row.get("weight", 0))),
        rule=str(row.get("rule", "")),
        min_score=Decimal(str(row.get("min_score", 0))),
        max_score=Decimal(str(row.get("max_score", 100))),
        full_at=row.get("full_at"),
        zero_at=row.get("zero_at"),
    )


@transaction.atomic
def set_indicators(year: int, rows: Iterable[Mapping[str, Any]], user=None) -> list[Indicator]:
    """Replace the year's indicators by ``rows`` (all or nothing). Refused when the weights do not sum
    to 100 or a row is invalid, and once an evaluation of the year has left 自評 (its scores would no
    longer match the indicators it was scored on)."""
    _require_admin(user)
    rows = [dict(row) for row in rows]
    problems = Problems()
    for message in rules.check_indicators([_spec(row) for row in rows]):
        problems.add("indicators", _("Indicators"), message)
    if _started(year):
        problems.add(
            "year",
            _("Year"),
            _("evaluations of %(year)s are past self-assessment; their indicators can no longer change.")
            % {"year": year},
        )
    if problems:
        raise problems
    existing = {i.code: i for i in Indicator.objects.select_for_update().filter(year=year)}
    kept = []
    for order, row in enumerate(rows, start=1):
        indicator = existing.pop(row["code"], None) or Indicator(year=year, code=row["code"])
        for name in (
            "category",
            "name",
            "description",
            "weight",
            "rule",
            "min_score",
            "max_score",
            "full_at",
            "zero_at",
        ):
            if name in row:
                setattr(indicator, name, row[name])
        indicator.order = order
        indicator.full_clean(validate_unique=False)
        indicator.save()
        kept.append(indicator)
    for gone in existing.values():
        # Scores of a removed indicator (still in 自評) go with it; the deletions are logged.
        for score in gone.scores.all():
            score.delete()
        gone.delete()
    # Evaluations already created (all still in 自評) get a row for each new indicator.
    for evaluation in AnnualEvaluation.objects.filter(year=year):
        have = set(evaluation.scores.filter(stage=ScoreStage.SELF).values_list("indicator_id", flat=True))
        for indicator in kept:
            if indicator.pk not in have:
                IndicatorScore.objects.create(
                    evaluation=evaluation, indicator=indicator, stage=ScoreStage.SELF
                )
    return kept


@transaction.atomic
def set_thresholds(year: int, thresholds: Iterable[tuple[str, Any]], user=None) -> list[GradeThreshold]:
    """Replace the year's grade thresholds (all or nothing); refused once a grade of the year was given."""
    _require_admin(user)
    thresholds = [(str(label).strip(), Decimal(str(minimum))) for label, minimum in thresholds]
    problems = Problems()
    for message in rules.check_thresholds(thresholds):
        problems.add("thresholds", _("Grades"), message)
    if AnnualEvaluation.objects.filter(year=year).exclude(grade="").exists():
        problems.add(
            "year", _("Year"), _("grades of %(year)s were already given; reopen them first.") % {"year": year}
        )
    if problems:
        raise problems
    GradeThreshold.objects.filter(year=year).delete()
    return [GradeThreshold.objects.create(year=year, label=label, min_score=m) for label, m in thresholds]


CYCLE_FIELDS = ("self_opens", "self_due", "initial_due", "review_due", "approval_due")


@transaction.atomic
def set_cycle(year: int, dates: Mapping[str, date | None], user=None, note: str | None = None) -> AnnualCycle:
    """Set the year's calendar (NDC administrators): every date given, in the order of the stages
    (自評 opens ≤ 自評 due ≤ 初核 due ≤ 複核 due ≤ 核定 due, the last optional); each problem names
    the date as the form shows it. Units already past a stage keep their extensions."""
    _require_admin(user)
    cycle = AnnualCycle.objects.select_for_update().filter(year=year).first() or AnnualCycle(
        year=year, **AnnualCycle.default_dates(year)
    )
    values = {name: dates.get(name, getattr(cycle, name)) for name in CYCLE_FIELDS}
    problems = Problems()
    labels = {name: AnnualCycle._meta.get_field(name).verbose_name for name in CYCLE_FIELDS}
    for name in CYCLE_FIELDS[:-1]:
        if values[name] is None:
            problems.add(name, labels[name], _("required."))
    ordered = [(name, values[name]) for name in CYCLE_FIELDS if values[name] is not None]
    for (before, first), (after, second) in zip(ordered, ordered[1:], strict=False):
        if second < first:
            problems.add(
                after,
                labels[after],
                _("must not be before %(field)s.") % {"field": labels[before]},
            )
    if problems:
        raise problems
    for name, value in values.items():
        setattr(cycle, name, value)
    if note is not None:
        cycle.note = note
    cycle.save()
    return cycle


def ensure_year(year: int, *, is_demo: bool = False) -> AnnualCycle:
    """The year's calendar, indicators (copied from the latest earlier year, else the defaults) and
    grade thresholds (likewise), created where missing (idempotent)."""
    with transaction.atomic():
        cycle, _created = AnnualCycle.objects.get_or_create(
            year=year, defaults={**AnnualCycle.default_dates(year), "is_demo": is_demo}
        )
        if not Indicator.objects.filter(year=year).exists():
            previous = (
                Indicator.objects.filter(year__lt=year).order_by("-year").values_list("year", flat=True)
            )
            source = previous.first()
            if source is not None:
                rows = list(Indicator.objects.filter(year=source).values(*INDICATOR_FIELDS))
            else:
                rows = [dict(row) for row in DEFAULT_INDICATORS]
            set_indicators(year, rows)
        if not GradeThreshold.objects.filter(year=year).exists():
            source = (
                GradeThreshold.objects.filter(year__lt=year)
                .order_by("-year")
                .values_list("year", flat=True)
                .first()
            )
            pairs = (
                list(GradeThreshold.objects.filter(year=source).values_list("label", "min_score"))
                if source is not None
                else list(rules.DEFAULT_GRADES)
            )
            set_thresholds(year, pairs)
    return cycle


def year_period(year: int) -> ReportingPeriod | None:
    """The period whose evaluation feeds the year's: Q4 once the year is over, else the latest quarter
    of the year that has ended by the system's today (an evaluation opened early, as in the demo,
    reads the last complete quarter rather than an empty running one); None before Q1 ends."""
    from sixcore.progress.clock import today

    day = today()
    periods = list(ReportingPeriod.objects.filter(roc_year=year).order_by("-quarter"))
    return next((p for p in periods if p.end <= day), None)


@transaction.atomic
def ensure_evaluations(year: int, *, is_demo: bool = False) -> list[AnnualEvaluation]:
    """Create the evaluation of every reporting unit of the year — the units of the quarterly report
    under the plan revision in force at the year's last period — each with its 自評 score rows
    (idempotent: existing evaluations are left alone). Pre-filling is ``prefill.prefill``."""
    ensure_year(year, is_demo=is_demo)
    period = year_period(year) or ReportingPeriod.objects.filter(roc_year=year).order_by("-quarter").first()
    if period is None:
        raise Problems([_("Year: no reporting period of %(year)s exists.") % {"year": year}])
    units = reporting_units(program_in_force(period), year)
    existing = set(AnnualEvaluation.objects.filter(year=year).values_list("industry_id", "agency_id"))
    indicators = list(Indicator.objects.filter(year=year))
    created = []
    for industry_id, agency_id in sorted(units):
        if (industry_id, agency_id) in existing:
            continue
        evaluation = AnnualEvaluation.objects.create(
            year=year, industry_id=industry_id, agency_id=agency_id, is_demo=is_demo
        )
        IndicatorScore.objects.bulk_create(
            [IndicatorScore(evaluation=evaluation, indicator=i, stage=ScoreStage.SELF) for i in indicators]
        )
        created.append(evaluation)
    if created:
        record_action(
            created[0],
            "annual.ensure_evaluations",
            _("Year %(year)s: %(count)s evaluations created.") % {"year": year, "count": len(created)},
        )
    return created


def today_in_window(cycle: AnnualCycle, today: date) -> bool:
    """Whether 自評 is open on ``today`` by the calendar (extensions aside)."""
    return cycle.self_opens <= today <= cycle.self_due
