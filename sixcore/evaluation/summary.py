"""What the program and industry dashboards show, read from the stored evaluation without decoding
the whole period: roll-ups from the measures' stored sums (one aggregate query), counts in SQL, the
budget and the risky measures decoded, and one page of the KPI table (``ORDER BY position``).  A
dashboard then costs about the same whatever the size of the program.

When no stored view equals the caller's scope (``read.view_for`` is None: an officer's own drafts
beside other agencies'), the same summary is made from an exact evaluation (``from_evaluation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Q, Sum

from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force

from . import explain, read, rules, service
from .models import ResultKind, StoredResult, StoredRollUp
from .read import view_for
from .rollup_store import TEN_THOUSAND
from .service.loading import plan_labels
from .service.rollups import RollUpResult
from .store import MEASURE, decode

KPI_PAGE_SIZE = 50
TOP_RISKS = 10
LIGHT_FIELDS = ("green", "yellow", "red", "white")
SUM_FIELDS = (*LIGHT_FIELDS, "items", "weight", "total")


@dataclass
class Summary:
    """A dashboard's figures: ``rollups`` per industry (the program) or per measure (an industry)."""

    period: str
    revision: int
    industries: dict[str, str]
    measures: dict[str, dict]
    rollups: list[RollUpResult]
    light_totals: dict[str, int]
    work_items: int
    flags: int
    budget: list  # BudgetResult: per industry (the program) or per measure (an industry)
    risks: list  # RiskResult: tier above low or red KPIs, riskiest first, at most TOP_RISKS
    kpis: Page  # one page of the KPI table (KpiResult), in plan order
    completeness: service.Completeness
    is_demo: bool = False


def summary_for(
    period: ReportingPeriod, user, *, industry: str | None = None, light: str = "", page=1
) -> Summary:
    """The program's (or ``industry``'s) dashboard figures within the caller's scope; ``light``
    filters the KPI table (a light's value, or "" for all), ``page`` is its page number."""
    view = view_for(period, user)
    if view is None:
        evaluation = service.evaluate_period(period, user, thresholds=explain.thresholds_in_force())
        return from_evaluation(evaluation, industry=industry, light=light, page=page)
    program = program_in_force(period)
    industries, _strategies, measures, _schedules = plan_labels(program)
    in_scope = [c for c, m in measures.items() if industry is None or m["industry"] == industry]
    scope_groups = [MEASURE + c for c in in_scope]
    rows = StoredResult.objects.filter(period=period, view=view)
    kpis = rows.filter(kind=ResultKind.KPI)
    items = rows.filter(kind=ResultKind.WORK_ITEM)
    flags = rows.filter(kind=ResultKind.FLAG)
    budget = [
        decode(ResultKind.BUDGET, d)
        for d in rows.filter(kind=ResultKind.BUDGET).values_list("data", flat=True)
    ]
    budget.sort(key=lambda b: b._sort)
    if industry is None:
        rollups = stored_rollups(period, view, "industry", list(industries), measures=in_scope)
        budget = service.industry_budget(budget, industries, explain.thresholds_in_force())
    else:
        kpis = kpis.filter(group__in=scope_groups)
        items, flags = items.filter(data__industry=industry), flags.filter(data__industry=industry)
        rollups = stored_rollups(period, view, "measure", in_scope, measures=in_scope)
        budget = [b for b in budget if b.industry == industry]
    labels = industries if industry is None else {c: m["name"] for c, m in measures.items()}
    for r in rollups:
        r.label = labels.get(r.key, r.key)
    risky = rows.filter(kind=ResultKind.RISK).filter(~Q(light=rules.RiskTier.LOW) | Q(data__red__gt=0))
    if industry is not None:
        risky = risky.filter(group__in=scope_groups)
    return Summary(
        period=period.code,
        revision=program.revision,
        industries=industries,
        measures={code: {k: m[k] for k in ("name", "industry", "strategy")} for code, m in measures.items()},
        rollups=rollups,
        light_totals=_light_totals(rollups),
        work_items=items.count(),
        flags=flags.count(),
        budget=budget,
        risks=_top([decode(ResultKind.RISK, d) for d in risky.values_list("data", flat=True)]),
        kpis=_kpi_page(kpis, light, page),
        completeness=service.load_completeness(
            period, service.scoped_submissions(user).filter(period=period)
        ),
        is_demo=rows.filter(is_demo=True).exists(),
    )


def stored_rollups(
    period: ReportingPeriod, view: str, by: str, order: list[str], *, measures: list[str]
) -> list[RollUpResult]:
    """Roll-ups per industry, strategy or measure (``by``) of ``measures``' stored KPI results, in
    the order of ``order`` (the plan's): the measures' stored sums added up in SQL (``rules.add_sums``
    as a column sum: integers, exact) and finished by ``rules.finish_roll_up``."""
    if by not in ("industry", "strategy", "measure"):
        raise ValueError(f"by must be industry, strategy or measure, not {by!r}")
    found = {}
    for row in (
        StoredRollUp.objects.filter(period=period, view=view, measure__in=measures)
        .values(by)
        .annotate(**{name: Sum(name) for name in SUM_FIELDS})
    ):
        sums = rules.RollUpSums(
            counts={rules.Light(light): row[light] for light in LIGHT_FIELDS},
            items=row["items"],
            weight=Decimal(row["weight"]),
            total=Decimal(row["total"]) / TEN_THOUSAND,
        )
        found[row[by]] = RollUpResult.of(row[by], row[by], rules.finish_roll_up(row[by], sums))
    return [found[key] for key in order if key in found]


def program_rollups(period: ReportingPeriod, user, by: str) -> list[RollUpResult]:
    """The roll-ups of the whole program per industry, strategy, measure or agency within the
    caller's scope (the API's): from the stored sums when a stored view is the caller's and the
    grouping follows measures; agencies (a KPI may name several) from the KPIs."""
    view = view_for(period, user)
    if view is None or by == "agency":
        return read.evaluation_for(period, user).rollups[by]
    program = program_in_force(period)
    industries, strategies, measures, _schedules = plan_labels(program)
    order = list(dict.fromkeys(code if by == "measure" else m[by] for code, m in measures.items()))
    labels = {"industry": industries, "strategy": strategies}.get(by) or {
        c: m["name"] for c, m in measures.items()
    }
    rollups = stored_rollups(period, view, by, order, measures=list(measures))
    for r in rollups:
        r.label = labels.get(r.key, r.key)
    return rollups


def from_evaluation(evaluation: service.Evaluation, *, industry=None, light="", page=1) -> Summary:
    """The same summary from an evaluation in memory (the caller's exact scope)."""
    scoped = evaluation.scoped(industry=industry)
    rollups = scoped["rollups"]["industry" if industry is None else "measure"]
    budget = scoped["budget_by_industry"] if industry is None else scoped["budget"]
    return from_scoped(evaluation, scoped, rollups, budget, light=light, page=page)


def from_scoped(
    evaluation: service.Evaluation, scoped: dict, rollups, budget, *, light="", page=1
) -> Summary:
    """A summary of ``evaluation.scoped(...)`` with the given roll-ups and budget rows."""
    kpis = [k for k in scoped["kpis"] if not light or str(k.light) == light]
    return Summary(
        period=evaluation.period,
        revision=evaluation.revision,
        industries=evaluation.industries,
        measures=evaluation.measures,
        rollups=rollups,
        light_totals=_light_totals(rollups),
        work_items=len(scoped["work_items"]),
        flags=len(scoped["flags"]),
        budget=budget,
        risks=_top([r for r in scoped["risks"] if r.tier != rules.RiskTier.LOW or r.red]),
        kpis=Paginator(kpis, KPI_PAGE_SIZE).get_page(page),
        completeness=evaluation.completeness,
        is_demo=evaluation.is_demo,
    )


def _light_totals(rollups: list[RollUpResult]) -> dict[str, int]:
    totals = {str(light): 0 for light in rules.Light}
    for r in rollups:
        for light, n in r.counts.items():
            totals[light] += n
    return totals


def _top(risks: list) -> list:
    risks.sort(key=lambda r: (service.RISK_ORDER[r.tier], -len(r.signals), -r.red, r.measure))
    return risks[:TOP_RISKS]


def _kpi_page(kpis, light: str, page) -> Page:
    """One page of the KPI rows in plan order; only its rows are decoded."""
    if light:
        kpis = kpis.filter(light=light)
    ordered = kpis.order_by("position", "key").values_list("data", "is_demo")
    found = Paginator(ordered, KPI_PAGE_SIZE).get_page(page)
    found.object_list = [decode(ResultKind.KPI, data, is_demo=demo) for data, demo in found.object_list]
    return found
