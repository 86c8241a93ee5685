"""The evaluation of one reporting period: ``evaluate_period`` and its result dataclasses.

``evaluate_period`` reads everything one period needs in a fixed number of queries (``loading``),
whatever the number of KPIs, then makes every judgement (expected value, achievement, light, lag,
執行率, roll-up, early warning, data-quality flag) by a call into ``rules``: nothing here
re-implements a rule.  The results are plain dataclasses shared by the dashboards, the API, the
reports and ``sixcore evaluate``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from sixcore.plan.targets import CUMULATIVE, MILESTONE
from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force

from .. import rules
from ..rules import DEFAULT_THRESHOLDS, Light, Thresholds
from .history import _recent_lights, _series
from .loading import (
    NO_TARGETS,
    REPORTING_KINDS,
    Completeness,
    _Agencies,
    _kpi_actual,
    _load_plan,
    _pick,
    _sum,
    budget_totals,
    display_code,
    load_budget_reports,
    load_completeness,
    load_kpi_history,
    load_work_item_reports,
    resolve_period,
    scoped_submissions,
)
from .rollups import ROLLUP_KINDS, RollUpResult, rollup_rows, rollups_for  # noqa: F401 (re-exported)

RISK_ORDER = {rules.RiskTier.HIGH: 0, rules.RiskTier.MEDIUM: 1, rules.RiskTier.LOW: 2}


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
    _demo: bool = False  # a demo submission reported a figure for it in the period
    _sort: tuple = ()  # its place in the plan (industry, measure order, KPI order)


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
    _demo: bool = False
    _sort: tuple = ()


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
    _demo: bool = False
    _sort: tuple = ()


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
    _group: str = ""  # the measure (KPI flags) or schedule (work-item flags) it is refreshed with
    _sort: tuple = ()


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


def evaluate_period(
    period: ReportingPeriod | str,
    user=None,
    *,
    published_only: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    measures: Iterable[str] | None = None,
    schedules: Iterable[str] | None = None,
) -> Evaluation:
    """Evaluate every KPI, work item and budget line of ``period`` within the caller's scope.

    A fixed number of queries (15; a test pins it), independent of the size of the program, so a
    dashboard costs the same at any portfolio size.  With ``measures`` and/or ``schedules``, only the
    KPIs, budget, risks and flags of those measures and the work items of those schedules (what one
    write changes: the read model refreshes them through this same path); the completeness counts
    are then left empty.  ``batch.evaluate_periods`` reads the inputs of many periods at once and
    judges each through ``evaluate_loaded`` as this does.
    """
    period = resolve_period(period)
    program = program_in_force(period)
    subset = measures is not None or schedules is not None
    if subset:
        measures, schedules = set(measures or ()), set(schedules or ())
    the_plan = _load_plan(program, measures, schedules)
    agencies = _Agencies()
    submissions = scoped_submissions(user, published_only=published_only)
    current = submissions.filter(period=period)
    history, demo_now = load_kpi_history(submissions, (period.roc_year, period.quarter), measures)
    inputs = Inputs(
        the_plan,
        agencies,
        history,
        demo_now,
        load_work_item_reports(current, schedules) if schedules or not subset else None,
        load_budget_reports(current, measures),
        load_completeness(period, current) if not subset else Completeness(0, 0, {}, {}),
    )
    return evaluate_loaded(period, inputs, thresholds, measures)


@dataclass
class Inputs:
    """What ``evaluate_loaded`` judges one period from, read by ``loading``: the revision in force,
    the agencies, the KPI lines up to the period (later periods' lines may be there: every use
    stops at the period), whether a demo submission reported a KPI in it, its work-item lines (None:
    no work items asked for) and budget lines, and the completeness counts."""

    plan: Any
    agencies: _Agencies
    history: dict
    demo_now: bool
    work_items: dict | None
    budget: tuple[dict, bool]
    completeness: Completeness


def evaluate_loaded(
    period: ReportingPeriod, inputs: Inputs, thresholds: Thresholds, measures: set[str] | None = None
) -> Evaluation:
    """The judgements of one period from its loaded ``inputs`` (no query): every rule call."""
    year, quarter = period.roc_year, period.quarter
    the_plan, agencies, history = inputs.plan, inputs.agencies, inputs.history
    kpis = [_evaluate_kpi(k, the_plan, agencies, history, year, quarter, thresholds) for k in the_plan.kpis]
    items = (
        _evaluate_work_items(the_plan, agencies, inputs.work_items, year, quarter, thresholds)
        if inputs.work_items is not None
        else []
    )
    budget, budget_by_industry = _evaluate_budget(the_plan, agencies, inputs.budget[0], thresholds, measures)
    work_items = [WorkItemResult(**w) for w in items]
    flags = _flags(kpis, work_items, the_plan, history, year, quarter, thresholds)
    risks = _risks(kpis, budget, the_plan, history, year, quarter, thresholds)
    agency_names = {
        a["code"]: a["name"]
        for a in agencies.rows.values()
        if a["parent_id"] is None and a["kind"] in REPORTING_KINDS
    }
    evaluation = Evaluation(
        period=period.code,
        roc_year=year,
        quarter=quarter,
        revision=the_plan.program.revision,
        kpis=kpis,
        work_items=work_items,
        budget=budget,
        budget_by_industry=budget_by_industry,
        rollups={},
        risks=risks,
        flags=flags,
        completeness=inputs.completeness,
        industries=the_plan.industries,
        measures={
            code: {"name": m["name"], "industry": m["industry"], "strategy": m["strategy"]}
            for code, m in the_plan.measures.items()
        },
        agencies=agency_names,
        is_demo=inputs.demo_now or any(w["_demo"] for w in items) or inputs.budget[1],
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
    now = history.get(key, {}).get((year, quarter), [])
    picked = _pick(now, lead)
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
        _demo=any(r["demo"] for r in now if _kpi_actual(r) is not None),
        _sort=(measure["industry"], k["measure__order"], k["order"], k["code"]),
    )


def _evaluate_work_items(the_plan, agencies, reports, year, quarter, thresholds) -> list[dict]:
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
            planned, reported, lag = schedule.planned, schedule.reported, schedule.lag
            light, reason = schedule.light, schedule.reason
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
                "_demo": bool(picked and picked["submission__is_demo"]),
                "_sort": (w["schedule__industry__code"], w["schedule__order"], w["order"], w["code"]),
            }
        )
    return results


def _evaluate_budget(the_plan, agencies, by_measure, thresholds, only=None):
    measures = []
    for code, info in the_plan.measures.items():
        if only is not None and code not in only:
            continue
        rows = [r for r in by_measure.get(code, []) if r["executed"] is not None]
        if not rows:
            continue
        allocated, executed, annual = budget_totals(rows)
        result = rules.evaluate_budget(executed, allocated, annual, thresholds)
        names = sorted({agencies.code(r["submission__agency_id"]) for r in rows})
        measures.append(
            BudgetResult(
                code,
                info["industry"],
                allocated,
                executed,
                annual,
                *_judged(result),
                names,
                _demo=any(r["submission__is_demo"] for r in rows),
                _sort=(info["industry"], info["order"], code),
            )
        )
    return measures, industry_budget(measures, the_plan.industries, thresholds)


def _judged(result: rules.BudgetEvaluation) -> tuple:
    return result.execution_rate, result.achievement_rate, result.light, result.reason


def industry_budget(measures: list[BudgetResult], industries: Iterable[str], thresholds: Thresholds):
    """Each industry's budget execution: its measures' figures summed, judged by the same rule.

    Used by ``evaluate_period`` and by the read model (over the stored measure rows)."""
    per_industry: dict[str, list[tuple[Decimal | None, ...]]] = defaultdict(list)
    for b in measures:
        per_industry[b.industry].append((b.allocated, b.executed, b.annual_budget))
    result_rows = []
    for industry in industries:
        rows = per_industry.get(industry)
        if not rows:
            continue
        allocated, executed, annual = (_sum(r[i] for r in rows) for i in range(3))
        result = rules.evaluate_budget(executed, allocated, annual, thresholds)
        result_rows.append(BudgetResult(industry, industry, allocated, executed, annual, *_judged(result)))
    return result_rows


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
        for i, flag in enumerate(
            rules.work_item_flags(
                f"{w.schedule}/{w.code}", w.lag, w.reported, w.lag_reason, w.completed_on, thresholds
            )
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
                    _group=w.schedule,
                    _sort=(0, *w._sort, i),
                )
            )
    for k in kpis:
        if k.kind != CUMULATIVE:
            continue
        key = (k.measure, k.key)
        series = the_plan.series.get(key, NO_TARGETS)
        points = _series(history.get(key, {}), series, None, CUMULATIVE, year, quarter)
        for i, flag in enumerate(
            rules.kpi_flags(k.kpi, points, rules.final_cumulative_target(series), CUMULATIVE, thresholds)
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
                    _group=k.measure,
                    _sort=(1, *k._sort, i),
                )
            )
    return flags


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
