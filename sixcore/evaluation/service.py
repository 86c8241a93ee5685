"""Evaluation of a reporting period: load, convert to plain values, apply ``rules.py``.

``evaluate_period`` reads everything one period's evaluation needs in a fixed number of queries
(the plan revision in force for the period, the caller's visible submissions and their KPI,
work-item and budget lines, and the earlier periods' KPI actuals for forecasts and red streaks),
whatever the number of KPIs.  Every judgement (expected value, achievement, light, lag, 執行率,
roll-up, early warning, data-quality flag) is a call into ``rules.py``; nothing here re-implements a
rule.  The result is plain dataclasses, shared by the dashboards, the API and ``sixcore evaluate``.

Scope: ``user`` given → the submissions ``submission_policy.visible`` lets that user read (anonymous:
approved only); ``published_only`` → approved only; neither → every submission (scripts, NDC).

Plan objects are matched across revisions by natural keys (measure code + KPI code, schedule code +
work-item code), so actuals reported under an earlier revision still count for a later one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency
from sixcore.accounts.policy import submission_policy
from sixcore.core.roc import format_quarter
from sixcore.plan import models as plan
from sixcore.plan.targets import CUMULATIVE, MILESTONE
from sixcore.progress.choices import BudgetUnit, SubmissionStatus
from sixcore.progress.models import (
    THOUSANDS_PER_HUNDRED_MILLION,
    BudgetReport,
    KPIReport,
    ReportingPeriod,
    Submission,
    WorkItemReport,
)
from sixcore.progress.services import program_in_force

from . import rules
from .rules import DEFAULT_THRESHOLDS, Light, Thresholds

ROLLUP_KINDS = ("industry", "strategy", "measure", "agency")
REPORTING_KINDS = (AgencyKind.CORE, AgencyKind.MINISTRY)
RISK_ORDER = {rules.RiskTier.HIGH: 0, rules.RiskTier.MEDIUM: 1, rules.RiskTier.LOW: 2}

Period = tuple[int, int]
NO_TARGETS = rules.TargetSeries({})  # a KPI without annual targets in the revision


def display_code(code: str) -> str:
    """A KPI code as printed: a second occurrence is stored as ``CODE#2``."""
    return code.split("#", 1)[0]


# --- results --------------------------------------------------------------------------------------


@dataclass
class KpiResult:
    """One KPI in the period: the rule's verdict plus where it sits in the plan."""

    kpi: str  # code as printed
    key: str  # storage code (unique within the measure)
    measure: str
    industry: str
    strategy: str
    agencies: list[str]
    text: str
    kind: str | None
    unit: str
    expected: Decimal | None
    actual: Decimal | None
    achievement: Decimal | None
    light: Light
    reason: str
    reported_by: str | None = None
    forecast: Decimal | None = None
    year_end_target: Decimal | None = None
    note: str = ""
    _lead: int | None = None  # the lead reporting agency's id (not part of the output)


@dataclass
class WorkItemResult:
    """One work item's schedule in the period (items running this year or reported on)."""

    schedule: str
    code: str
    title: str
    industry: str
    measures: list[str]
    agencies: list[str]
    start: date | None
    end: date | None
    planned: Decimal | None
    reported: Decimal | None
    lag: Decimal | None
    light: Light
    reason: str
    status: str = ""
    lag_reason: str = ""
    remedy: str = ""
    completed_on: date | None = None
    reported_by: str | None = None


@dataclass
class BudgetResult:
    """Budget execution to date of a measure or an industry, in 億元."""

    key: str  # measure code, or industry code for an industry total
    industry: str
    allocated: Decimal | None
    executed: Decimal | None
    annual_budget: Decimal | None
    execution_rate: Decimal | None
    achievement_rate: Decimal | None
    light: Light
    reason: str
    agencies: list[str] = field(default_factory=list)


@dataclass
class RollUpResult:
    """A group's KPI lights and weighted achievement (``rules.roll_up``)."""

    key: str
    label: str
    counts: dict[str, int]
    items: int
    weighted_achievement: Decimal | None


@dataclass
class RiskResult:
    """A measure's early-warning tier and the signals behind it (``rules.early_warning``)."""

    measure: str
    name: str
    industry: str
    tier: rules.RiskTier
    signals: list[dict[str, str]]
    red: int


@dataclass
class FlagResult:
    """A data-quality flag (``rules.work_item_flags`` / ``rules.kpi_flags``) placed in the plan."""

    code: str
    label: str
    kind: str  # "kpi" | "work_item"
    ref: str
    industry: str
    measure: str
    message: str


@dataclass
class Completeness:
    """Submissions of the period: units expected, and the visible ones by status."""

    total: int
    visible: int
    by_status: dict[str, int]
    by_industry: dict[str, dict[str, int]]


@dataclass
class Evaluation:
    """The whole evaluation of one period within one scope."""

    period: str
    roc_year: int
    quarter: int
    revision: int
    kpis: list[KpiResult]
    work_items: list[WorkItemResult]
    budget: list[BudgetResult]
    budget_by_industry: list[BudgetResult]
    rollups: dict[str, list[RollUpResult]]
    risks: list[RiskResult]
    flags: list[FlagResult]
    completeness: Completeness
    industries: dict[str, str]
    measures: dict[str, dict[str, str]]
    agencies: dict[str, str]
    is_demo: bool
    strategies: dict[str, str] = field(default_factory=dict)

    def scoped(self, *, industry: str | None = None, measure: str | None = None, agency: str | None = None):
        """The same evaluation restricted to one industry, measure or agency (roll-ups recomputed)."""

        def keep(ind: str, measures: Iterable[str], agencies: Iterable[str]) -> bool:
            return (
                (industry is None or ind == industry)
                and (measure is None or measure in measures)
                and (agency is None or agency in agencies)
            )

        kpis = [k for k in self.kpis if keep(k.industry, [k.measure], k.agencies)]
        items = [w for w in self.work_items if keep(w.industry, w.measures, w.agencies)]
        budget = [b for b in self.budget if keep(b.industry, [b.key], b.agencies)]
        # A measure belongs to an agency's view when one of its KPIs or budget lines does.
        measures = (
            {k.measure for k in kpis} | {b.key for b in budget} | {m for w in items for m in w.measures}
        )
        refs = {k.kpi for k in kpis} | {f"{w.schedule}/{w.code}" for w in items}
        return {
            "kpis": kpis,
            "work_items": items,
            "budget": budget,
            "rollups": rollups_for(kpis, self),
            "risks": [r for r in self.risks if r.measure in measures],
            "flags": [f for f in self.flags if f.measure in measures and f.ref in refs],
            "budget_by_industry": [
                b for b in self.budget_by_industry if industry is None or b.key == industry
            ],
        }


# --- loading --------------------------------------------------------------------------------------


def scoped_submissions(user=None, *, published_only: bool = False) -> QuerySet:
    """The submissions an evaluation may read (see the module docstring)."""
    queryset = Submission.objects.all()
    if user is not None:
        queryset = submission_policy.visible(user, queryset)
    if published_only:
        queryset = queryset.filter(status=SubmissionStatus.APPROVED)
    return queryset


def _up_to(period: Period, prefix: str = "period__") -> Q:
    year, quarter = period
    return Q(**{f"{prefix}roc_year__lt": year}) | Q(
        **{f"{prefix}roc_year": year, f"{prefix}quarter__lte": quarter}
    )


class _Agencies:
    """Every agency in one query; sub-units report through their ministry (as ``reporting_agency``)."""

    def __init__(self) -> None:
        self.rows = {
            a["pk"]: a for a in Agency.objects.values("pk", "code", "name", "parent_id", "kind", "order")
        }

    def reporter(self, agency_id: int) -> dict | None:
        row = self.rows[agency_id]
        while row["parent_id"] is not None:
            row = self.rows[row["parent_id"]]
        return row if row["kind"] in REPORTING_KINDS else None

    def code(self, agency_id: int) -> str:
        return self.rows[agency_id]["code"]


def _number(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    return value / THOUSANDS_PER_HUNDRED_MILLION if unit == BudgetUnit.THOUSAND else value


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


@dataclass
class _Plan:
    """The revision in force, as plain values keyed by natural keys."""

    program: plan.Program
    industries: dict[str, str]
    strategies: dict[str, str]
    measures: dict[str, dict[str, str]]
    kpis: list[dict]
    targets: dict[tuple[str, str], dict[int, Any]]
    series: dict[tuple[str, str], rules.TargetSeries]  # ``targets`` read once (``rules.TargetSeries``)
    kpi_agencies: dict[int, list[int]]
    work_items: list[dict]
    item_agencies: dict[int, list[tuple[str, int]]]
    schedule_measures: dict[int, list[str]]


def _load_plan(program: plan.Program) -> _Plan:
    industries = dict(program.industries.values_list("code", "name"))
    strategies = {}
    for s in plan.Strategy.objects.filter(industry__program=program).values(
        "seq", "label", "name", "industry__code"
    ):
        strategies[f"{s['industry__code']}.S{s['seq']}"] = f"{s['label']}{s['name']}"
    measures: dict[str, dict[str, str]] = {}
    schedule_measures: dict[int, list[str]] = defaultdict(list)
    for m in (
        plan.Measure.objects.filter(industry__program=program)
        .order_by("industry__code", "order")
        .values("code", "name", "industry__code", "strategy__seq", "schedule_id")
    ):
        measures[m["code"]] = {
            "name": m["name"],
            "industry": m["industry__code"],
            "strategy": f"{m['industry__code']}.S{m['strategy__seq']}",
            "schedule_id": m["schedule_id"],
        }
        if m["schedule_id"]:
            schedule_measures[m["schedule_id"]].append(m["code"])
    kpis = list(
        plan.KPI.objects.filter(measure__industry__program=program)
        .order_by("measure__industry__code", "measure__order", "order")
        .values("pk", "code", "full_term_text", "measure__code")
    )
    targets: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
    for a in plan.AnnualTarget.objects.filter(kpi__measure__industry__program=program).values(
        "year", "target", "kpi__code", "kpi__measure__code"
    ):
        targets[(a["kpi__measure__code"], a["kpi__code"])][a["year"]] = a["target"]
    kpi_agencies: dict[int, list[int]] = defaultdict(list)
    for link in (
        plan.KPIAgency.objects.filter(kpi__measure__industry__program=program)
        .order_by("kpi_id", "order")
        .values("kpi_id", "agency_id")
    ):
        kpi_agencies[link["kpi_id"]].append(link["agency_id"])
    work_items = list(
        plan.WorkItem.objects.filter(schedule__industry__program=program)
        .order_by("schedule__industry__code", "schedule__order", "order")
        .values(
            "pk", "code", "title", "start", "end", "schedule_id", "schedule__code", "schedule__industry__code"
        )
    )
    item_agencies: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for link in (
        plan.WorkItemAgency.objects.filter(work_item__schedule__industry__program=program)
        .order_by("work_item_id", "role", "order")
        .values("work_item_id", "agency_id", "role")
    ):
        item_agencies[link["work_item_id"]].append((link["role"], link["agency_id"]))
    return _Plan(
        program,
        industries,
        strategies,
        measures,
        kpis,
        dict(targets),
        {key: rules.TargetSeries(by_year) for key, by_year in targets.items()},
        kpi_agencies,
        work_items,
        item_agencies,
        schedule_measures,
    )


def _kpi_actual(row: dict) -> Decimal | bool | None:
    """A KPI line's actual: the number, else the milestone's done flag."""
    return row["value"] if row["value"] is not None else row["done"]


def _pick(reports: list[dict], lead: int | None) -> dict | None:
    """The lead agency's report when it has a figure, else the first visible report with one."""
    with_figure = [r for r in reports if _kpi_actual(r) is not None]
    for report in with_figure:
        if report["agency_id"] == lead:
            return report
    return with_figure[0] if with_figure else None


# --- evaluation -----------------------------------------------------------------------------------


def resolve_period(period: ReportingPeriod | str) -> ReportingPeriod:
    return period if isinstance(period, ReportingPeriod) else ReportingPeriod.by_code(period)


def evaluate_period(
    period: ReportingPeriod | str,
    user=None,
    *,
    published_only: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Evaluation:
    """Evaluate every KPI, work item and budget line of ``period`` within the caller's scope.

    A fixed number of queries (about 16), independent of the size of the program.
    """
    period = resolve_period(period)
    year, quarter = period.roc_year, period.quarter
    program = program_in_force(period)
    the_plan = _load_plan(program)
    agencies = _Agencies()
    submissions = scoped_submissions(user, published_only=published_only)
    current = submissions.filter(period=period)

    # KPI actuals of this and every earlier period (forecasts, red streaks, cumulative checks).
    history: dict[tuple[str, str], dict[Period, list[dict]]] = defaultdict(lambda: defaultdict(list))
    demo_now = False
    for r in (
        KPIReport.objects.filter(submission__in=submissions.filter(_up_to((year, quarter))))
        .order_by("submission__agency__order", "submission__agency_id")
        .values(
            "value",
            "done",
            "note",
            "kpi__code",
            "kpi__measure__code",
            "submission__agency_id",
            "submission__period__roc_year",
            "submission__period__quarter",
            "submission__is_demo",
        )
    ):
        key = (r["kpi__measure__code"], r["kpi__code"])
        when = (r["submission__period__roc_year"], r["submission__period__quarter"])
        row = {
            "value": r["value"],
            "done": r["done"],
            "note": r["note"],
            "agency_id": r["submission__agency_id"],
        }
        history[key][when].append(row)
        if when == (year, quarter) and r["submission__is_demo"]:
            demo_now = True

    kpis = [_evaluate_kpi(k, the_plan, agencies, history, year, quarter, thresholds) for k in the_plan.kpis]

    items = _evaluate_work_items(the_plan, agencies, current, year, quarter, thresholds)
    budget, budget_by_industry, demo_budget = _evaluate_budget(the_plan, agencies, current, thresholds)
    demo_items = any([w.pop("is_demo") for w in items])  # a list: every row must lose its flag
    work_items = [WorkItemResult(**w) for w in items]

    flags = _flags(kpis, work_items, the_plan, history, year, quarter, thresholds)
    risks = _risks(kpis, budget, the_plan, history, year, quarter, thresholds)
    completeness = _completeness(period, current)
    agency_names = {
        a["code"]: a["name"]
        for a in agencies.rows.values()
        if a["parent_id"] is None and a["kind"] in REPORTING_KINDS
    }
    evaluation = Evaluation(
        period=period.code,
        roc_year=year,
        quarter=quarter,
        revision=program.revision,
        kpis=kpis,
        work_items=work_items,
        budget=budget,
        budget_by_industry=budget_by_industry,
        rollups={},
        risks=risks,
        flags=flags,
        completeness=completeness,
        industries=the_plan.industries,
        measures={
            code: {"name": m["name"], "industry": m["industry"], "strategy": m["strategy"]}
            for code, m in the_plan.measures.items()
        },
        agencies=agency_names,
        is_demo=demo_now or demo_items or demo_budget,
        strategies=the_plan.strategies,
    )
    evaluation.rollups = rollups_for(kpis, evaluation, thresholds)
    return evaluation


def _evaluate_kpi(k, the_plan, agencies, history, year, quarter, thresholds) -> KpiResult:
    measure = the_plan.measures[k["measure__code"]]
    key = (k["measure__code"], k["code"])
    targets = the_plan.targets.get(key, {})
    series = the_plan.series.get(key, NO_TARGETS)
    reporters = []
    for agency_id in the_plan.kpi_agencies.get(k["pk"], []):
        reporter = agencies.reporter(agency_id)
        code = reporter["code"] if reporter else agencies.code(agency_id)
        if code not in reporters:
            reporters.append(code)
    lead_row = None
    if the_plan.kpi_agencies.get(k["pk"]):
        lead_row = agencies.reporter(the_plan.kpi_agencies[k["pk"]][0])
    lead = lead_row["pk"] if lead_row else None
    picked = _pick(history.get(key, {}).get((year, quarter), []), lead)
    actual = _kpi_actual(picked) if picked else None
    result = rules.evaluate_kpi(series, year, quarter, actual, thresholds)
    this_year = targets.get(year) or {}
    kind = result.kind or this_year.get("kind")
    forecast = None
    if kind and kind != MILESTONE:
        points = _series(history.get(key, {}), series, lead, kind, year, quarter)
        forecast = rules.forecast_year_end(points, kind, year)
    return KpiResult(
        kpi=display_code(k["code"]),
        key=k["code"],
        measure=k["measure__code"],
        industry=measure["industry"],
        strategy=measure["strategy"],
        agencies=reporters,
        text=k["full_term_text"],
        kind=kind,
        unit=this_year.get("unit", ""),
        expected=result.expected,
        actual=result.actual,
        achievement=result.achievement,
        light=result.light,
        reason=result.reason,
        reported_by=agencies.code(picked["agency_id"]) if picked else None,
        forecast=forecast,
        year_end_target=rules.year_end_target(series, year) if kind != MILESTONE else None,
        note=picked["note"] if picked else "",
        _lead=lead,
    )


def _series(by_period, series, lead, kind, year, quarter) -> list[tuple[Period, Decimal]]:
    """The reported numbers of the periods whose year has a target of the same kind."""
    points = []
    for when in sorted(by_period):
        if when > (year, quarter) or series.kind(when[0]) != kind:
            continue
        picked = _pick(by_period[when], lead)
        if picked is not None and picked["value"] is not None:
            points.append((when, picked["value"]))
    return points


def _evaluate_work_items(the_plan, agencies, current, year, quarter, thresholds) -> list[dict]:
    reports: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in (
        WorkItemReport.objects.filter(submission__in=current)
        .order_by("submission__agency__order", "submission__agency_id")
        .values(
            "percent",
            "status",
            "lag_reason",
            "remedy",
            "completed_on",
            "work_item__code",
            "work_item__schedule__code",
            "submission__agency_id",
            "submission__is_demo",
        )
    ):
        reports[(r["work_item__schedule__code"], r["work_item__code"])].append(r)
    year_start, year_end = date(year + 1911, 1, 1), date(year + 1911, 12, 1)
    results = []
    for w in the_plan.work_items:
        key = (w["schedule__code"], w["code"])
        links = the_plan.item_agencies.get(w["pk"], [])
        codes = []
        lead = None
        for role, agency_id in links:
            reporter = agencies.reporter(agency_id)
            code = reporter["code"] if reporter else agencies.code(agency_id)
            if code not in codes:
                codes.append(code)
            if role == "lead" and lead is None and reporter:
                lead = reporter["pk"]
        found = [r for r in reports.get(key, []) if r["percent"] is not None]
        picked = next((r for r in found if r["submission__agency_id"] == lead), found[0] if found else None)
        running = w["start"] and w["end"] and w["start"] <= year_end and w["end"] >= year_start
        if not running and picked is None:
            continue
        if w["start"] and w["end"]:
            schedule = rules.evaluate_schedule(
                w["start"], w["end"], year, quarter, picked["percent"] if picked else None, thresholds
            )
            planned, reported, lag, light, reason = (
                schedule.planned,
                schedule.reported,
                schedule.lag,
                schedule.light,
                schedule.reason,
            )
        else:
            planned, reported, lag = None, picked["percent"] if picked else None, None
            light, reason = Light.WHITE, gettext("no start and end dates (起訖時程) in the plan")
        results.append(
            {
                "schedule": w["schedule__code"],
                "code": w["code"],
                "title": w["title"],
                "industry": w["schedule__industry__code"],
                "measures": the_plan.schedule_measures.get(w["schedule_id"], []),
                "agencies": codes,
                "start": w["start"],
                "end": w["end"],
                "planned": planned,
                "reported": reported,
                "lag": lag,
                "light": light,
                "reason": reason,
                "status": picked["status"] if picked else "",
                "lag_reason": picked["lag_reason"] if picked else "",
                "remedy": picked["remedy"] if picked else "",
                "completed_on": picked["completed_on"] if picked else None,
                "reported_by": agencies.code(picked["submission__agency_id"]) if picked else None,
                "is_demo": bool(picked and picked["submission__is_demo"]),
            }
        )
    return results


def _evaluate_budget(the_plan, agencies, current, thresholds):
    by_measure: dict[str, list[dict]] = defaultdict(list)
    demo = False
    for r in BudgetReport.objects.filter(submission__in=current).values(
        "unit",
        "allocated",
        "executed",
        "annual_budget",
        "measure__code",
        "submission__agency_id",
        "submission__is_demo",
    ):
        by_measure[r["measure__code"]].append(r)
        demo = demo or r["submission__is_demo"]
    measures, industries = [], []
    per_industry: dict[str, list[tuple[Decimal | None, ...]]] = defaultdict(list)
    for code, info in the_plan.measures.items():
        rows = [r for r in by_measure.get(code, []) if r["executed"] is not None]
        if not rows:
            continue
        allocated = _sum(_number(r["allocated"], r["unit"]) for r in rows)
        executed = _sum(_number(r["executed"], r["unit"]) for r in rows)
        annual = _sum(_number(r["annual_budget"], r["unit"]) for r in rows)
        result = rules.evaluate_budget(executed, allocated, annual, thresholds)
        names = sorted({agencies.code(r["submission__agency_id"]) for r in rows})
        measures.append(
            BudgetResult(
                code,
                info["industry"],
                allocated,
                executed,
                annual,
                result.execution_rate,
                result.achievement_rate,
                result.light,
                result.reason,
                names,
            )
        )
        per_industry[info["industry"]].append((allocated, executed, annual))
    for industry in the_plan.industries:
        rows = per_industry.get(industry)
        if not rows:
            continue
        allocated, executed, annual = (_sum(r[i] for r in rows) for i in range(3))
        result = rules.evaluate_budget(executed, allocated, annual, thresholds)
        industries.append(
            BudgetResult(
                industry,
                industry,
                allocated,
                executed,
                annual,
                result.execution_rate,
                result.achievement_rate,
                result.light,
                result.reason,
            )
        )
    return measures, industries, demo


def _recent_lights(by_period, series, lead, year, quarter, length, thresholds):
    """The lights of the latest ``length`` reported periods up to this one (enough for ``red_streak``)."""
    lights = []
    for when in sorted((p for p in by_period if p <= (year, quarter)), reverse=True):
        picked = _pick(by_period[when], lead)
        if picked is None:
            continue
        lights.append((when, rules.evaluate_kpi(series, *when, _kpi_actual(picked), thresholds).light))
        if len(lights) == length:
            break
    return tuple(lights)


def _risks(kpis, budget, the_plan, history, year, quarter, thresholds) -> list[RiskResult]:
    inputs = []
    for k in kpis:
        key = (k.measure, k.key)
        lights = _recent_lights(
            history.get(key, {}),
            the_plan.series.get(key, NO_TARGETS),
            k._lead,
            year,
            quarter,
            thresholds.red_streak_quarters,
            thresholds,
        )
        inputs.append(
            rules.RiskInput(
                group=k.measure, ref=k.kpi, lights=lights, forecast=k.forecast, target=k.year_end_target
            )
        )
    for b in budget:
        inputs.append(
            rules.RiskInput(group=b.key, ref="budget", budget_rate=b.execution_rate, quarter=quarter)
        )
    red = Counter(k.measure for k in kpis if k.light == Light.RED) + Counter(
        b.key for b in budget if b.light == Light.RED
    )
    results = []
    for measure, assessment in rules.early_warning(inputs, thresholds).items():
        info = the_plan.measures[measure]
        results.append(
            RiskResult(
                measure,
                info["name"],
                info["industry"],
                assessment.tier,
                [
                    {
                        "ref": s.ref,
                        "rule": s.rule,
                        "label": rules.RISK_RULE_LABELS[s.rule],
                        "message": s.message,
                    }
                    for s in assessment.signals
                ],
                red[measure],
            )
        )
    results.sort(key=lambda r: (RISK_ORDER[r.tier], -len(r.signals), -r.red, r.measure))
    return results


def _flags(kpis, work_items, the_plan, history, year, quarter, thresholds) -> list[FlagResult]:
    flags = []
    for w in work_items:
        for flag in rules.work_item_flags(
            f"{w.schedule}/{w.code}", w.lag, w.reported, w.lag_reason, w.completed_on, thresholds
        ):
            flags.append(
                FlagResult(
                    flag.code,
                    rules.FLAG_LABELS[flag.code],
                    "work_item",
                    flag.ref,
                    w.industry,
                    w.measures[0] if w.measures else "",
                    flag.message,
                )
            )
    for k in kpis:
        if k.kind != CUMULATIVE:
            continue
        key = (k.measure, k.key)
        series = the_plan.series.get(key, NO_TARGETS)
        points = _series(history.get(key, {}), series, None, CUMULATIVE, year, quarter)
        for flag in rules.kpi_flags(
            k.kpi, points, rules.final_cumulative_target(series), CUMULATIVE, thresholds
        ):
            flags.append(
                FlagResult(
                    flag.code,
                    rules.FLAG_LABELS[flag.code],
                    "kpi",
                    flag.ref,
                    k.industry,
                    k.measure,
                    flag.message,
                )
            )
    return flags


def _completeness(period: ReportingPeriod, current: QuerySet) -> Completeness:
    # The number of reporting units is not confidential (the public sees how many are published);
    # their statuses are counted over the visible submissions only.
    totals = dict(
        Submission.objects.filter(period=period)
        .values_list("industry__code")
        .annotate(n=Count("pk"))
        .values_list("industry__code", "n")
    )
    by_industry: dict[str, dict[str, int]] = {}
    by_status: Counter[str] = Counter()
    for code, status, n in (
        current.values_list("industry__code", "status")
        .annotate(n=Count("pk"))
        .values_list("industry__code", "status", "n")
    ):
        by_industry.setdefault(code, {s: 0 for s in SubmissionStatus.values})[status] += n
        by_status[status] += n
    for code, n in totals.items():
        by_industry.setdefault(code, {s: 0 for s in SubmissionStatus.values})["total"] = n
    return Completeness(
        total=sum(totals.values()),
        visible=sum(by_status.values()),
        by_status={s: by_status.get(s, 0) for s in SubmissionStatus.values},
        by_industry=dict(sorted(by_industry.items())),
    )


# --- roll-ups -------------------------------------------------------------------------------------


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
        result[by] = [
            RollUpResult(
                str(key),
                labels[by].get(key, str(key)),
                {str(light): n for light, n in r.counts.items()},
                r.items,
                r.weighted_achievement,
            )
            for key, r in rolled.items()
        ]
    return result


# --- KPI history ----------------------------------------------------------------------------------


def kpi_history(
    measure_code: str, code: str, user=None, *, published_only: bool = False, thresholds=DEFAULT_THRESHOLDS
):
    """One KPI over every period: expected, actual, achievement and light per quarter, with notes.

    Each period is judged against the targets of the revision in force for it. A fixed number of
    queries. Returns None when the KPI does not exist in any revision.
    """
    periods = list(ReportingPeriod.objects.all())
    from sixcore.revisions.models import programs_in_force

    # Drafts and rejected proposals never applied to any period.
    programs = list(programs_in_force().order_by("revision"))
    targets_by_revision: dict[int, dict[int, Any]] = defaultdict(dict)
    for a in plan.AnnualTarget.objects.filter(kpi__measure__code=measure_code, kpi__code=code).values(
        "year", "target", "kpi__measure__industry__program__revision"
    ):
        targets_by_revision[a["kpi__measure__industry__program__revision"]][a["year"]] = a["target"]
    if not targets_by_revision:
        return None
    submissions = scoped_submissions(user, published_only=published_only)
    reports: dict[Period, list[dict]] = defaultdict(list)
    demo = False
    for r in (
        KPIReport.objects.filter(submission__in=submissions, kpi__measure__code=measure_code, kpi__code=code)
        .order_by("submission__agency__order", "submission__agency_id")
        .values(
            "value",
            "done",
            "note",
            "evidence",
            "submission__agency_id",
            "submission__agency__code",
            "submission__agency__name",
            "submission__period__roc_year",
            "submission__period__quarter",
            "submission__is_demo",
        )
    ):
        when = (r["submission__period__roc_year"], r["submission__period__quarter"])
        reports[when].append(
            {
                "value": r["value"],
                "done": r["done"],
                "note": r["note"],
                "evidence": r["evidence"],
                "agency_id": r["submission__agency_id"],
                "agency": r["submission__agency__name"],
            }
        )
        demo = demo or r["submission__is_demo"]
    lead = (
        plan.KPIAgency.objects.filter(kpi__measure__code=measure_code, kpi__code=code)
        .order_by("-kpi__measure__industry__program__revision", "order")
        .values_list("agency_id", "agency__parent_id")
        .first()
    )
    lead_id = (lead[1] or lead[0]) if lead else None
    series_by_revision = {rev: rules.TargetSeries(t) for rev, t in targets_by_revision.items()}
    rows = []
    for p in periods:
        revision = _revision_for(programs, (p.roc_year, p.quarter))
        targets = targets_by_revision.get(revision, {})
        series = series_by_revision.get(revision, NO_TARGETS)
        picked = _pick(reports.get((p.roc_year, p.quarter), []), lead_id)
        actual = _kpi_actual(picked) if picked else None
        result = rules.evaluate_kpi(series, p.roc_year, p.quarter, actual, thresholds)
        annual = targets.get(p.roc_year) or {}
        rows.append(
            {
                "period": p.code,
                "label": p.label,
                "revision": revision,
                "kind": result.kind or annual.get("kind"),
                "annual_target": rules.year_end_target(series, p.roc_year) if p.quarter == 4 else None,
                "expected": result.expected,
                "actual": result.actual,
                "achievement": result.achievement,
                "light": result.light,
                "reason": result.reason,
                "notes": [
                    {"agency": r["agency"], "note": r["note"], "evidence": r["evidence"]}
                    for r in reports.get((p.roc_year, p.quarter), [])
                    if r["note"] or r["evidence"]
                ],
            }
        )
    return {"rows": rows, "is_demo": demo, "targets": targets_by_revision}


def _revision_for(programs: list[plan.Program], when: Period) -> int | None:
    from sixcore.core.roc import parse_quarter

    best = None
    for program in programs:
        if not program.effective_from or parse_quarter(program.effective_from) <= when:
            best = program.revision
    return best


def to_plain(value: Any) -> Any:
    """Dataclasses, Decimals, dates and enums → JSON-ready values (numbers stay numbers)."""
    if hasattr(value, "__dataclass_fields__"):
        return to_plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent >= 0
            else float(value)
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Light | rules.RiskTier):
        return str(value)
    return value


__all__ = [
    "Evaluation",
    "evaluate_period",
    "format_quarter",
    "kpi_history",
    "rollups_for",
    "to_plain",
]
