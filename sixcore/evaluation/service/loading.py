"""Reading what an evaluation needs, through the ORM only, as plain values: the plan revision in
force keyed by natural keys, the agencies, the submissions a caller may see, their KPI, work-item
and budget lines, and how many there are per status.  Each function is a fixed number of queries,
whatever the size of the program.

Plan objects are matched across revisions by natural keys (measure code + KPI code, schedule code +
work-item code), so actuals reported under an earlier revision still count for a later one.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency
from sixcore.plan import models as plan
from sixcore.progress.choices import BudgetUnit, SubmissionStatus
from sixcore.progress.models import (
    THOUSANDS_PER_HUNDRED_MILLION,
    BudgetReport,
    KPIReport,
    ReportingPeriod,
    Submission,
    WorkItemReport,
)
from sixcore.progress.policy import submission_policy

from .. import rules

REPORTING_KINDS = (AgencyKind.CORE, AgencyKind.MINISTRY)

Period = tuple[int, int]
KpiHistory = dict[tuple[str, str], dict[Period, list[dict]]]  # (measure, KPI) → period → report rows
NO_TARGETS = rules.TargetSeries({})  # a KPI without annual targets in the revision


def display_code(code: str) -> str:
    """A KPI code as printed: a second occurrence is stored as ``CODE#2``."""
    return code.split("#", 1)[0]


def resolve_period(period: ReportingPeriod | str) -> ReportingPeriod:
    return period if isinstance(period, ReportingPeriod) else ReportingPeriod.by_code(period)


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


def budget_totals(rows: Iterable[dict]) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(allocated, executed, annual budget) of budget report rows, in 億元 whatever unit each row was
    reported in: the one summing rule of a measure's execution and a unit's (annual pre-fill)."""
    rows = list(rows)
    return tuple(
        _sum(_number(r[name], r["unit"]) for r in rows) for name in ("allocated", "executed", "annual_budget")
    )


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

    def without_work_items(self, measures: Iterable[str]) -> _Plan:
        """What ``_load_plan(program, measures, ())`` reads, from this subset loaded with
        ``measures`` and some schedules (whose measures and work items it drops): no query."""
        keep = set(measures)
        return dataclasses.replace(
            self,
            measures={code: m for code, m in self.measures.items() if code in keep},
            work_items=[],
            item_agencies={},
            schedule_measures={
                sid: [c for c in codes if c in keep]
                for sid, codes in self.schedule_measures.items()
                if any(c in keep for c in codes)
            },
        )


def plan_labels(program: plan.Program, measure_rows: QuerySet | None = None) -> tuple:
    """Industries, strategies and measures (all, or ``measure_rows``) of a revision by code, with
    their names, and each schedule's measures.  Three queries."""
    industries = dict(program.industries.values_list("code", "name"))
    strategies = {}
    for s in plan.Strategy.objects.filter(industry__program=program).values(
        "seq", "label", "name", "industry__code"
    ):
        strategies[f"{s['industry__code']}.S{s['seq']}"] = f"{s['label']}{s['name']}"
    schedule_measures: dict[int, list[str]] = defaultdict(list)
    if measure_rows is None:
        measure_rows = plan.Measure.objects.filter(industry__program=program)
    by_code: dict[str, dict[str, str]] = {}
    for m in measure_rows.order_by("industry__code", "order").values(
        "code", "name", "industry__code", "strategy__seq", "schedule_id", "order"
    ):
        by_code[m["code"]] = {
            "name": m["name"],
            "industry": m["industry__code"],
            "strategy": f"{m['industry__code']}.S{m['strategy__seq']}",
            "schedule_id": m["schedule_id"],
            "order": m["order"],
        }
        if m["schedule_id"]:
            schedule_measures[m["schedule_id"]].append(m["code"])
    return industries, strategies, by_code, schedule_measures


def _load_plan(
    program: plan.Program, measures: Iterable[str] | None = None, schedules: Iterable[str] | None = None
) -> _Plan:
    """The revision in force as plain values; with ``measures``/``schedules`` given, only those
    measures' KPIs and budget and those schedules' work items (the read model refreshes what a write
    touched through the same path that evaluates a whole period)."""
    subset = measures is not None or schedules is not None
    measures, schedules = sorted(measures or ()), sorted(schedules or ())
    measure_rows = plan.Measure.objects.filter(industry__program=program)
    if subset:
        measure_rows = measure_rows.filter(Q(code__in=measures) | Q(schedule__code__in=schedules))
    industries, strategies, by_code, schedule_measures = plan_labels(program, measure_rows)
    kpi_filter = Q(measure__industry__program=program) & (Q(measure__code__in=measures) if subset else Q())
    kpis = list(
        plan.KPI.objects.filter(kpi_filter)
        .order_by("measure__industry__code", "measure__order", "order")
        .values("pk", "code", "full_term_text", "measure__code", "measure__order", "order")
    )
    targets: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
    kpi_of = Q(kpi__measure__industry__program=program) & (
        Q(kpi__measure__code__in=measures) if subset else Q()
    )
    for a in plan.AnnualTarget.objects.filter(kpi_of).values(
        "year", "target", "kpi__code", "kpi__measure__code"
    ):
        targets[(a["kpi__measure__code"], a["kpi__code"])][a["year"]] = a["target"]
    kpi_agencies: dict[int, list[int]] = defaultdict(list)
    for link in (
        plan.KPIAgency.objects.filter(kpi_of).order_by("kpi_id", "order").values("kpi_id", "agency_id")
    ):
        kpi_agencies[link["kpi_id"]].append(link["agency_id"])
    item_filter = Q(schedule__industry__program=program) & (
        Q(schedule__code__in=schedules) if subset else Q()
    )
    work_items = list(
        plan.WorkItem.objects.filter(item_filter)
        .order_by("schedule__industry__code", "schedule__order", "order")
        .values(
            "pk",
            "code",
            "title",
            "start",
            "end",
            "schedule_id",
            "schedule__code",
            "schedule__industry__code",
            "schedule__order",
            "order",
        )
    )
    item_agencies: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for link in (
        plan.WorkItemAgency.objects.filter(
            Q(work_item__schedule__industry__program=program)
            & (Q(work_item__schedule__code__in=schedules) if subset else Q())
        )
        .order_by("work_item_id", "role", "order")
        .values("work_item_id", "agency_id", "role")
    ):
        item_agencies[link["work_item_id"]].append((link["role"], link["agency_id"]))
    return _Plan(
        program,
        industries,
        strategies,
        by_code,
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


def load_kpi_history(
    submissions: QuerySet, period: Period, measures: Iterable[str] | None = None
) -> tuple[KpiHistory, bool]:
    """KPI actuals of ``period`` and every earlier one in the visible ``submissions``, per KPI (by
    natural key) and period, in agency order (forecasts, red streaks and cumulative checks need the
    earlier ones); and whether a demo submission reported in ``period`` itself.  One query; with
    ``measures``, the KPIs of those measures only."""
    year, quarter = period
    history: KpiHistory = defaultdict(lambda: defaultdict(list))
    demo_now = False
    lines = KPIReport.objects.filter(submission__in=submissions.filter(_up_to((year, quarter))))
    if measures is not None:
        # By the KPIs' ids (any revision): the lines are then found through their KPI, whatever the
        # number of other lines (a join on the measure's code scanned every line of the period).
        ids = plan.KPI.objects.filter(measure__code__in=sorted(measures)).values_list("pk", flat=True)
        lines = lines.filter(kpi_id__in=list(ids))
    for r in lines.order_by("submission__agency__order", "submission__agency_id").values(
        "value",
        "done",
        "note",
        "kpi__code",
        "kpi__measure__code",
        "submission__agency_id",
        "submission__period__roc_year",
        "submission__period__quarter",
        "submission__is_demo",
    ):
        key = (r["kpi__measure__code"], r["kpi__code"])
        when = (r["submission__period__roc_year"], r["submission__period__quarter"])
        row = {
            "value": r["value"],
            "done": r["done"],
            "note": r["note"],
            "agency_id": r["submission__agency_id"],
            "demo": r["submission__is_demo"],
        }
        history[key][when].append(row)
        if when == (year, quarter) and r["submission__is_demo"]:
            demo_now = True
    return history, demo_now


def load_work_item_reports(
    current: QuerySet, schedules: Iterable[str] | None = None
) -> dict[tuple[str, str], list[dict]]:
    """The work-item lines of the ``current`` submissions per (schedule code, item code), in agency
    order (the lead's line is picked from them).  One query; with ``schedules``, those only."""
    reports: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in work_item_lines(current, schedules):
        reports[(r["work_item__schedule__code"], r["work_item__code"])].append(r)
    return reports


def work_item_lines(submissions: QuerySet, schedules: Iterable[str] | None = None, *extra: str) -> QuerySet:
    """The work-item lines of ``submissions`` as values, in agency order (plus the ``extra`` fields)."""
    lines = WorkItemReport.objects.filter(submission__in=submissions)
    if schedules is not None:
        ids = plan.WorkItem.objects.filter(schedule__code__in=sorted(schedules)).values_list("pk", flat=True)
        lines = lines.filter(work_item_id__in=list(ids))
    return lines.order_by("submission__agency__order", "submission__agency_id").values(
        "percent",
        "status",
        "lag_reason",
        "remedy",
        "completed_on",
        "work_item__code",
        "work_item__schedule__code",
        "submission__agency_id",
        "submission__is_demo",
        *extra,
    )


def load_budget_reports(
    current: QuerySet, measures: Iterable[str] | None = None
) -> tuple[dict[str, list[dict]], bool]:
    """The budget lines of the ``current`` submissions per measure code, and whether one of them is
    a demo submission's.  One query; with ``measures``, those only."""
    by_measure: dict[str, list[dict]] = defaultdict(list)
    demo = False
    for r in budget_lines(current, measures):
        by_measure[r["measure__code"]].append(r)
        demo = demo or r["submission__is_demo"]
    return by_measure, demo


def budget_lines(submissions: QuerySet, measures: Iterable[str] | None = None, *extra: str) -> QuerySet:
    """The budget lines of ``submissions`` as values (plus the ``extra`` fields)."""
    lines = BudgetReport.objects.filter(submission__in=submissions)
    if measures is not None:
        ids = plan.Measure.objects.filter(code__in=sorted(measures)).values_list("pk", flat=True)
        lines = lines.filter(measure_id__in=list(ids))
    return lines.values(
        "unit",
        "allocated",
        "executed",
        "annual_budget",
        "measure__code",
        "submission__agency_id",
        "submission__is_demo",
        *extra,
    )


@dataclass
class Completeness:
    """Submissions of the period: units expected, and the visible ones by status."""

    total: int
    visible: int
    by_status: dict[str, int]
    by_industry: dict[str, dict[str, int]]


def load_completeness(period: ReportingPeriod, current: QuerySet) -> Completeness:
    """The period's submissions counted per industry, and the visible ones per status.  Two queries."""
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
