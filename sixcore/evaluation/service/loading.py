"""Reading what an evaluation needs, through the ORM only, as plain values: the plan revision in
force keyed by natural keys, the agencies, the submissions a caller may see, their KPI, work-item
and budget lines, and how many there are per status.  Each function is a fixed number of queries,
whatever the size of the program.

Plan objects are matched across revisions by natural keys (measure code + KPI code, schedule code +
work-item code), so actuals reported under an earlier revision still count for a later one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency
from sixcore.accounts.policy import submission_policy
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


def load_kpi_history(submissions: QuerySet, period: Period) -> tuple[KpiHistory, bool]:
    """KPI actuals of ``period`` and every earlier one in the visible ``submissions``, per KPI (by
    natural key) and period, in agency order (forecasts, red streaks and cumulative checks need the
    earlier ones); and whether a demo submission reported in ``period`` itself.  One query."""
    year, quarter = period
    history: KpiHistory = defaultdict(lambda: defaultdict(list))
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
    return history, demo_now


def load_work_item_reports(current: QuerySet) -> dict[tuple[str, str], list[dict]]:
    """The work-item lines of the ``current`` submissions per (schedule code, item code), in agency
    order (the lead's line is picked from them).  One query."""
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
    return reports


def load_budget_reports(current: QuerySet) -> tuple[dict[str, list[dict]], bool]:
    """The budget lines of the ``current`` submissions per measure code, and whether one of them is
    a demo submission's.  One query."""
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
    return by_measure, demo


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
