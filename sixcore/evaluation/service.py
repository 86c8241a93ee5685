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

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Context, Decimal
from functools import partial
from typing import Any

from django.db import NotSupportedError, connections
from django.db.models import Count, DecimalField, F, Func, Q, QuerySet, TextField
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


# --- KPI lights of many periods -------------------------------------------------------------------


def evaluate_kpi_lights(
    periods: Iterable[ReportingPeriod | str],
    user=None,
    *,
    published_only: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> dict[Period, dict[tuple[str, str], rules.KpiLight]]:
    """Every KPI's light in each of ``periods``: ``{(roc_year, quarter): {(measure code, KPI code):
    rules.KpiLight}}``, the KPIs of the revision in force for each period in plan order.

    The same expected value, actual, achievement and light as ``evaluate_period(period, user,
    published_only=...).kpis`` (same revision, scope, lead-agency rule and rules; a test compares
    them value for value), without the reason text, work items, budget, forecasts, risks or flags.
    Built for many KPIs and periods (the benchmark against DuckDB): a fixed number of queries (8),
    the report lines read with the DB-API cursor and only the line that counts for each KPI and
    period converted as the ORM would (``_RawRows``, ``_DecimalColumn``), the five keys of each
    annual target the rules read taken out of its JSON by the database (``_target_fields``), each
    KPI's targets read once (``rules.TargetSeries.from_fields``) and judged for all its periods by
    ``rules.kpi_lights``.
    """
    found = _kpi_lights(periods, user, published_only, thresholds)
    results: dict[Period, dict[tuple[str, str], rules.KpiLight]] = {when: {} for when in found.periods}
    for batch in found.batches:  # each period is in one batch: its column of lights, keyed
        for when, column in zip(batch.periods, zip(*batch.lights, strict=True), strict=False):
            results[when] = dict(zip(batch.keys, column, strict=True))
    return results


def evaluate_kpi_rollups(
    periods: Iterable[ReportingPeriod | str],
    user=None,
    *,
    published_only: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> dict[Period, dict[str, list[RollUpResult]]]:
    """The KPI roll-ups of each of ``periods``: ``{(roc_year, quarter): {"industry"|"strategy"|
    "measure"|"agency": [RollUpResult]}}``, the same as ``evaluate_period(period, user,
    published_only=...).rollups`` (a test compares them), from the lights of ``evaluate_kpi_lights``
    and the plan of each revision in force (2 more queries per revision).

    Each revision's groups (every KPI's industry, strategy, measure and reporting agencies) are
    read once, not once per period, and all its periods are rolled up in one pass by
    ``rules.roll_up_periods`` (what ``rules.roll_up_lights`` gives for each period; a test holds
    them together)."""
    found = _kpi_lights(periods, user, published_only, thresholds)
    result: dict[Period, dict[str, list[RollUpResult]]] = {
        when: {by: [] for by in ROLLUP_KINDS} for when in found.periods
    }
    for batch in found.batches:
        labels, members = _rollup_groups(batch, found)
        outputs = [result[when] for when in batch.periods]
        for (by, group), r in rules.roll_up_periods(batch.lights, members, thresholds).items():
            key, label = str(group), labels[by].get(group, str(group))
            for output, green, yellow, red, white, average in zip(
                outputs, r.green, r.yellow, r.red, r.white, r.weighted_achievement, strict=True
            ):
                output[by].append(
                    RollUpResult(
                        key,
                        label,
                        {"green": green, "yellow": yellow, "red": red, "white": white},
                        green + yellow + red + white,
                        average,
                    )
                )
    return result


def _rollup_groups(batch: _Batch, found: _Lights):
    """For ``evaluate_kpi_rollups``: the labels of ``rollups_for`` and every group of every grouping
    (``(kind, group)``), first seen in plan order, with its KPIs (row numbers of ``batch``).  A KPI's
    groups are those of ``evaluate_period``: its industry, strategy, measure and reporting agencies
    (each agency through its ministry, else itself; each once).  Two queries (the revision's measures
    and strategies); the KPIs and agencies are those ``_kpi_lights`` read."""
    measures = {
        code: (name, industry, f"{industry}.S{seq}", industry_name)
        for code, name, industry, industry_name, seq in plan.Measure.objects.filter(
            industry__program=batch.program
        ).values_list("code", "name", "industry__code", "industry__name", "strategy__seq")
    }
    strategies = {  # keyed as ``evaluate_period`` keys them
        f"{industry}.S{seq}": f"{label}{name}"
        for seq, label, name, industry in plan.Strategy.objects.filter(
            industry__program=batch.program
        ).values_list("seq", "label", "name", "industry__code")
    }
    agencies = found.agencies

    def reporting_code(agency_pk: int) -> str:
        top = agency_pk
        while agencies[top][2] is not None:
            top = agencies[top][2]
        return agencies[top][0] if agencies[top][3] in REPORTING_KINDS else agencies[agency_pk][0]

    # Only the groups that have KPIs are labelled: as ``labels[by].get(key)`` in ``rollups_for``.
    labels: dict[str, dict[str, str]] = {by: {} for by in ROLLUP_KINDS}
    labels["agency"] = {
        code: name
        for code, name, parent, kind in agencies.values()
        if parent is None and kind in REPORTING_KINDS
    }
    members: dict[tuple[str, str], list[int]] = {}
    for index, ((measure, _), kpi_pk) in enumerate(zip(batch.keys, batch.kpis, strict=True)):
        name, industry, strategy, industry_name = measures[measure]
        labels["industry"][industry] = industry_name
        if strategy in strategies:
            labels["strategy"][strategy] = strategies[strategy]
        labels["measure"][measure] = name
        for group in (("industry", industry), ("strategy", strategy), ("measure", measure)):
            members.setdefault(group, []).append(index)
        for code in dict.fromkeys(map(reporting_code, found.kpi_agencies.get(kpi_pk, ()))):
            members.setdefault(("agency", code), []).append(index)
    return labels, members


class _RawRows:
    """A ``values_list`` queryset's rows as the DB-API cursor returns them (no per-row converters),
    and ``converter(i)``: the function turning a raw value of column ``i`` into what ``values_list``
    returns (Django's own converters, e.g. SQLite's REAL → ``Decimal`` quantized to the field's
    places, 0/1 → bool, JSON text → dict).  For queries returning many rows of which few values are
    used: only those pay for the conversion, and no per-row generator of the ORM runs."""

    def __init__(self, queryset: QuerySet) -> None:
        from django.db import connections

        connection = connections[queryset.db]
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        self._compiler = compiler
        self._converters = compiler.get_converters([column for column, _, _ in compiler.select])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            self.rows = cursor.fetchall()

    @property
    def vendor(self) -> str:
        return self._compiler.connection.vendor

    def converter(self, index: int) -> Callable[[Any], Any]:
        """The conversion of column ``index`` (the identity when the ORM leaves it as it is)."""
        found = self._converters.get(index)
        if found is None:
            return _same
        functions, expression = found
        connection = self._compiler.connection
        if len(functions) == 1:  # the usual case: one call, no wrapper of ours around it
            return partial(functions[0], expression=expression, connection=connection)

        def convert(value: Any) -> Any:
            for function in functions:
                value = function(value, expression, connection)
            return value

        return convert


def _same(value: Any) -> Any:
    return value


class _DecimalColumn:
    """How a ``DecimalField`` column of ``_RawRows`` becomes what the ORM returns, spelt out so that a
    hot loop can inline it: on SQLite (a REAL) ``Context(prec=15).create_decimal_from_float(value)
    .quantize(10**-decimal_places, context=field.context)``, as Django's SQLite converter does;
    elsewhere (PostgreSQL's numeric arrives as a ``Decimal``) whatever ``converter`` gives, ``inline``
    False.  A test compares both with the ORM's values."""

    def __init__(self, rows: _RawRows, index: int, field) -> None:
        self.convert = rows.converter(index)
        self.inline = rows.vendor == "sqlite" and isinstance(field, DecimalField)
        self.make = Context(prec=15).create_decimal_from_float
        self.places = Decimal(1).scaleb(-(field.decimal_places or 0))
        self.context = field.context if self.inline else None


class _SqliteBooleans(dict):
    """``{0: False, 1: True}`` whose other keys map to themselves: ``bool(value) if value in (1, 0)
    else value``, Django's SQLite ``BooleanField`` converter, as one C-level lookup."""

    def __missing__(self, key: Any) -> Any:
        return key


# The annual target's keys that ``rules`` reads (``rules.TARGET_FIELDS``): the database takes them out
# of each target's JSON as one short JSON array, cheaper to decode than the whole target (its text,
# basis and components).
_TARGET_KEYS = rules.TARGET_FIELDS
_decode_json = json.JSONDecoder().raw_decode  # what ``json.loads`` runs, minus its whitespace checks


class _JsonKeys(Func):
    """Of a JSON column: with ``keys``, the JSON array of those top-level keys' values (null for a
    missing key); without, the JSON type of the value (``object``, ``null`` …; SQL NULL for NULL)."""

    output_field = TextField()

    def __init__(self, expression: str, keys: tuple[str, ...] = ()) -> None:
        super().__init__(F(expression))
        self.keys = keys

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        # The keys are the constants above (plain identifiers), not user input.
        if connection.vendor == "sqlite":
            if not self.keys:
                return f"json_type({column})", params
            paths = ", ".join(f"'$.{key}'" for key in self.keys)
            return f"json_extract({column}, {paths})", params
        if connection.vendor == "postgresql":
            if not self.keys:
                return f"jsonb_typeof({column})", params
            values = ", ".join(f"{column} -> '{key}'" for key in self.keys)
            return f"jsonb_build_array({values})", params * len(self.keys)
        raise NotSupportedError("_JsonKeys is written for SQLite and PostgreSQL")  # see _target_fields


def _target_fields(queryset: QuerySet) -> list[tuple[int, int, Any]]:
    """``(kpi_id, year, fields)`` of the annual targets in ``queryset``: None for no target, else
    the values of ``rules.TARGET_FIELDS`` (for ``rules.TargetSeries.from_fields``), each as
    ``json.loads`` gives it (None for a missing key; all None for a target that is not a JSON object:
    ``rules`` refuses it as it refuses the whole value, for lack of a kind).  On SQLite and PostgreSQL
    the database extracts those keys (their JSON text as stored, so the same numbers); elsewhere, or
    with a custom JSON decoder, the whole JSON is decoded as the ORM does.  (One difference no writer
    of ours can produce: of a key given twice in one object, SQLite takes the first, ``json`` the
    last; PostgreSQL's jsonb keeps only the last.)"""
    field = plan.AnnualTarget._meta.get_field("target")
    if connections[queryset.db].vendor not in ("sqlite", "postgresql") or field.decoder is not None:
        rows = _RawRows(queryset.values_list("kpi_id", "year", "target"))
        decode = rows.converter(2)
        return [
            (kpi, year, None if raw is None else _whole_target(decode(raw))) for kpi, year, raw in rows.rows
        ]
    rows = _RawRows(
        queryset.annotate(_t_type=_JsonKeys("target"), _t_keys=_JsonKeys("target", _TARGET_KEYS)).values_list(
            "kpi_id", "year", "_t_type", "_t_keys"
        )
    )
    return [
        (
            kpi,
            year,
            _decode_json(found)[0]
            if kind_of == "object"
            else (None if kind_of is None or kind_of == "null" else _NO_FIELDS),
        )
        for kpi, year, kind_of, found in rows.rows
    ]


_NO_FIELDS = (None,) * len(_TARGET_KEYS)


def _whole_target(target: Any) -> Any:
    """A decoded target as ``_target_fields`` gives it (None, or the values of the keys)."""
    if target is None:
        return None
    if not isinstance(target, dict):
        return _NO_FIELDS
    return [target.get(key) for key in _TARGET_KEYS]


@dataclass
class _Batch:
    """The lights of one revision's KPIs for the periods it is in force: ``lights[i][p]`` is KPI
    ``keys[i]``'s ``rules.KpiLight`` in ``periods[p]``."""

    program: int
    periods: list[Period]
    keys: list[tuple[str, str]]
    lights: list[list[rules.KpiLight]]
    kpis: list[int]  # the KPIs' pks


@dataclass
class _Lights:
    periods: list[Period]  # as asked
    batches: list[_Batch]  # one per revision in force
    # What the roll-ups need of the plan, read anyway: each batch KPI's agencies (in order) and each
    # agency's (code, name, parent, kind).
    kpi_agencies: dict[int, list[int]]
    agencies: dict[int, tuple[str, str, int | None, str]]


def _kpi_lights(periods, user, published_only, thresholds) -> _Lights:
    wanted = [p.code if isinstance(p, ReportingPeriod) else p for p in periods]
    known = {
        format_quarter(year, quarter): (pk, (year, quarter))
        for pk, year, quarter in ReportingPeriod.objects.values_list("pk", "roc_year", "quarter")
    }
    missing = [code for code in wanted if code not in known]
    if missing:
        raise ReportingPeriod.DoesNotExist(f"no reporting period {', '.join(missing)}")
    chosen = {known[code][0]: known[code][1] for code in wanted}  # period pk → (year, quarter)

    # The revision in force for each period (as ``program_in_force``: the latest one in effect).
    from sixcore.core.roc import parse_quarter
    from sixcore.revisions.models import programs_in_force

    programs = list(programs_in_force().order_by("revision").values_list("pk", "effective_from"))
    in_force: dict[int, int] = {}  # period pk → program pk
    for period_pk, when in chosen.items():
        best = None
        for program_pk, effective_from in programs:
            if not effective_from or parse_quarter(effective_from) <= when:
                best = program_pk
        if best is None:
            raise plan.Program.DoesNotExist("no program loaded: run 'sixcore plan load'")
        in_force[period_pk] = best
    program_pks = set(in_force.values())

    # Every KPI (any revision: a report filed under another revision counts by its natural key),
    # its natural key numbered so that a (KPI, period) pair is one small int (a list index).
    slot_of: dict[int, int] = {}  # KPI pk → number of its natural key
    numbers: dict[tuple[str, str], int] = {}
    plan_kpis: dict[int, list[tuple[int, tuple[str, str]]]] = defaultdict(list)  # program → KPIs
    for pk, code, measure, program_pk in plan.KPI.objects.order_by(
        "measure__industry__code", "measure__order", "order"
    ).values_list("pk", "code", "measure__code", "measure__industry__program_id"):
        slot_of[pk] = numbers.setdefault((measure, code), len(numbers))
        if program_pk in program_pks:
            plan_kpis[program_pk].append((pk, (measure, code)))
    targets: dict[int, dict[int, Any]] = defaultdict(dict)
    for kpi_pk, year, target in _target_fields(
        plan.AnnualTarget.objects.order_by().filter(  # no model ordering: its joins and sort cost, unused
            kpi__measure__industry__program__in=program_pks
        )
    ):
        targets[kpi_pk][year] = target

    # The lead agency of each KPI: its first agency, through its ministry.
    agency_rows = list(Agency.objects.values_list("pk", "parent_id", "kind", "order", "code", "name"))
    agencies = {pk: (parent, kind) for pk, parent, kind, *_ in agency_rows}
    rank = {row[0]: i for i, row in enumerate(sorted(agency_rows, key=lambda row: (row[3], row[0])))}

    def reporter(agency_pk: int) -> int | None:
        while agencies[agency_pk][0] is not None:
            agency_pk = agencies[agency_pk][0]
        return agency_pk if agencies[agency_pk][1] in REPORTING_KINDS else None

    kpi_agencies: dict[int, list[int]] = defaultdict(list)
    for kpi_pk, agency_pk in (
        plan.KPIAgency.objects.filter(kpi__measure__industry__program__in=program_pks)
        .order_by("kpi_id", "order")
        .values_list("kpi_id", "agency_id")
    ):
        kpi_agencies[kpi_pk].append(agency_pk)
    # program → lead agency by natural-key number (every revision in force, even one without KPIs)
    leads: dict[int, list[int | None]] = {program_pk: [None] * len(numbers) for program_pk in program_pks}
    for program_pk, kpis in plan_kpis.items():
        lead = leads[program_pk]
        for pk, _ in kpis:
            if pk in kpi_agencies:
                lead[slot_of[pk]] = reporter(kpi_agencies[pk][0])

    # The line that counts for each KPI and period: the lead's figure, else the first (by agency
    # order) with one.  Lines without a figure are left out in SQL; the rest are compared raw, in
    # flat lists indexed by natural-key number × number of periods + period number.
    submissions = scoped_submissions(user, published_only=published_only).filter(period__in=list(chosen))
    column_of = {period_pk: i for i, period_pk in enumerate(chosen)}
    width = len(column_of)
    unit = {  # submission → (period column, agency rank, agency, the leads of its revision)
        pk: (column_of[period_pk], rank[agency_pk], agency_pk, leads[in_force[period_pk]])
        for pk, period_pk, agency_pk in submissions.values_list("pk", "period_id", "agency_id")
    }
    lines = _RawRows(
        KPIReport.objects.order_by()  # the model's ordering would join the plan and sort every line
        .filter(submission__in=submissions)
        .filter(Q(value__isnull=False) | Q(done__isnull=False))
        .values_list("submission_id", "kpi_id", "value", "done")
    )
    size = len(numbers) * width
    held_order, held_value, held_done = [len(rank)] * size, [None] * size, [None] * size
    for submission_pk, kpi_pk, value, done in lines.rows:
        column, order, agency_pk, lead = unit[submission_pk]
        number = slot_of[kpi_pk]
        if agency_pk == lead[number]:
            order = -1
        at = number * width + column
        if order < held_order[at]:
            held_order[at], held_value[at], held_done[at] = order, value, done

    # Every KPI of each revision for all the periods it is in force, one series at a time; only the
    # lines that count are converted (a figure as the ORM would give it, else the done flag).
    values = _DecimalColumn(lines, 2, KPIReport._meta.get_field("value"))
    # SQLite's 0/1 → bool as Django's converter does it (anything else stays as it is), in C.
    to_done = _SqliteBooleans({0: False, 1: True}).__getitem__ if values.inline else lines.converter(3)
    make, places, context = values.make, values.places, values.context
    mode = rules.Interpolation(thresholds.interpolation)
    batches = []
    for program_pk in sorted(program_pks):
        pks = [period_pk for period_pk, pk in in_force.items() if pk == program_pk]
        whens = [chosen[period_pk] for period_pk in pks]
        for when in whens:
            rules.period_index(*when)  # checked once here, trusted by ``rules.kpi_lights``
        columns = [column_of[period_pk] for period_pk in pks]
        every_period = columns == list(range(width))  # then a KPI's lines are one slice
        batch = _Batch(program_pk, whens, [], [], [])
        for kpi_pk, key in plan_kpis.get(program_pk, []):
            base = slot_of[kpi_pk] * width
            if every_period:
                figures, dones = held_value[base : base + width], held_done[base : base + width]
            else:
                figures = [held_value[base + c] for c in columns]
                dones = [held_done[base + c] for c in columns]
            if values.inline:
                actuals = [
                    make(v).quantize(places, None, context)
                    if v is not None
                    else (None if d is None else to_done(d))
                    for v, d in zip(figures, dones, strict=True)
                ]
            elif values.convert is _same:  # PostgreSQL: the driver's Decimal is the ORM's
                actuals = [
                    v if v is not None else (None if d is None else to_done(d))
                    for v, d in zip(figures, dones, strict=True)
                ]
            else:
                to_value = values.convert
                actuals = [
                    to_value(v) if v is not None else (None if d is None else to_done(d))
                    for v, d in zip(figures, dones, strict=True)
                ]
            series = rules.TargetSeries.from_fields(targets.get(kpi_pk, {}))
            batch.keys.append(key)
            batch.kpis.append(kpi_pk)
            batch.lights.append(rules.kpi_lights(series, whens, actuals, thresholds, mode))
        batches.append(batch)
    return _Lights(
        list(chosen.values()),
        batches,
        kpi_agencies,
        {pk: (code, name, parent, kind) for pk, parent, kind, _, code, name in agency_rows},
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
    "evaluate_kpi_lights",
    "evaluate_kpi_rollups",
    "evaluate_period",
    "format_quarter",
    "kpi_history",
    "rollups_for",
    "to_plain",
]
