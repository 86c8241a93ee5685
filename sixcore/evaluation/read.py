"""Reading the stored evaluation (``models.StoredResult``) for a page, an API call, a report or a
command: the same ``service.Evaluation`` that ``service.evaluate_period`` returns, built from the
rows that the writes keep current, in a fixed number of queries.

Which view a caller reads follows ``submission_policy.visible``:

- the public, ``published_only`` → the published view (approved submissions only);
- NDC and scripts (``user=None``) → the working view (every submission);
- any other officer sees the approved submissions plus those of their agency and led industries.
  When none of the not-yet-approved submissions up to the period is theirs, that is exactly the
  published view; when all of them are, exactly the working view.  Otherwise (their own drafts next
  to other agencies' drafts) no stored view equals their scope, and the period is evaluated for
  them by ``service.evaluate_period`` — exact and fresh, at the cost of a computation.

Roll-ups and the industries' budget totals are derived here from the stored rows by the same rules
functions ``evaluate_period`` uses (``service.rollups_for``, ``service.industry_budget``).
"""

from __future__ import annotations

from django.db.models import Count, Q

from sixcore.accounts.policy import is_ndc
from sixcore.plan import models as plan
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.policy import submission_policy
from sixcore.progress.services import program_in_force

from . import explain, service
from .models import ResultKind, ResultView, StoredResult
from .service.loading import REPORTING_KINDS, _Agencies, _up_to, plan_labels
from .store import MEASURE, SCHEDULE, decode


def view_for(period: ReportingPeriod, user=None, *, published_only: bool = False) -> str | None:
    """The stored view equal to what ``user`` may read of ``period``; None when neither is."""
    if published_only:
        return ResultView.PUBLISHED
    if user is None or is_ndc(user):
        return ResultView.WORKING
    if not getattr(user, "is_authenticated", False):
        return ResultView.PUBLISHED
    pending = Submission.objects.filter(_up_to((period.roc_year, period.quarter))).exclude(
        status=SubmissionStatus.APPROVED
    )
    theirs = submission_policy.visible(user, Submission.objects.all()).values("pk")
    counts = pending.aggregate(total=Count("pk"), theirs=Count("pk", filter=Q(pk__in=theirs)))
    if not counts["theirs"]:
        return ResultView.PUBLISHED
    if counts["theirs"] == counts["total"]:
        return ResultView.WORKING
    return None


def evaluation_for(
    period: ReportingPeriod | str,
    user=None,
    *,
    published_only: bool = False,
    measure: str | None = None,
    agency: str | None = None,
) -> service.Evaluation:
    """The evaluation of ``period`` within the caller's scope (see the module docstring); with
    ``measure`` (or ``agency``), only the refresh groups whose results ``scoped(measure=)`` (or
    ``scoped(agency=)``) can show, read or computed for them alone."""
    period = service.resolve_period(period)
    thresholds = explain.thresholds_in_force()
    view = view_for(period, user, published_only=published_only)
    groups = None
    if measure is not None:
        groups = measure_groups(period, measure)
    elif agency is not None:
        groups = agency_groups(period, agency)
    if view is None:
        if groups is None:
            return service.evaluate_period(period, user, thresholds=thresholds)
        measures = [g.removeprefix(MEASURE) for g in groups if g.startswith(MEASURE)]
        schedules = [g.removeprefix(SCHEDULE) for g in groups if g.startswith(SCHEDULE)]
        return service.evaluate_period(
            period, user, thresholds=thresholds, measures=measures, schedules=schedules
        )
    submissions = service.scoped_submissions(user, published_only=published_only)
    return stored_evaluation(period, view, submissions, groups=groups)


def measure_groups(period: ReportingPeriod, measure: str) -> list[str]:
    """The refresh groups a measure's pages read: the measure's, its schedule's, and those of the
    measures sharing that schedule (its work items name them all, so ``scoped(measure=)`` shows
    their risks and flags too)."""
    program = program_in_force(period)
    schedules = list(
        plan.ScheduleTable.objects.filter(measures__code=measure, industry__program=program).values_list(
            "code", flat=True
        )
    )
    siblings = plan.Measure.objects.filter(industry__program=program, schedule__code__in=schedules)
    measures = {measure, *siblings.values_list("code", flat=True)}
    return [*(MEASURE + code for code in sorted(measures)), *(SCHEDULE + code for code in schedules)]


def agency_groups(period: ReportingPeriod, agency: str) -> list[str]:
    """The refresh groups an agency's dashboard reads: the measures and schedules of the KPIs, work
    items and budget lines naming it, and the measures those work items serve (their risks and
    flags are in its scope).  Found in the working view, which holds every result any reader's
    scope can have, reading two small keys of each row rather than decoding it."""
    groups = set()
    rows = StoredResult.objects.filter(
        period=period,
        view=ResultView.WORKING,
        kind__in=[ResultKind.KPI, ResultKind.WORK_ITEM, ResultKind.BUDGET],
    )
    for group, agencies, measures in rows.values_list("group", "data__agencies", "data__measures"):
        if agency in (agencies or ()):
            groups.add(group)
            groups.update(MEASURE + code for code in measures or ())
    return sorted(groups)


def stored_evaluation(
    period: ReportingPeriod, view: str, submissions=None, *, groups: list[str] | None = None
) -> service.Evaluation:
    """The stored ``view`` of ``period`` (of ``groups`` only, when given); ``submissions`` (the
    caller's visible ones) are counted for the completeness table."""
    thresholds = explain.thresholds_in_force()
    program = program_in_force(period)
    industries, strategies, measures, _schedules = plan_labels(program)
    agencies = _Agencies()
    buckets: dict[str, list] = {kind: [] for kind in ResultKind.values}
    is_demo = False
    rows = StoredResult.objects.filter(period=period, view=view)
    if groups is not None:
        rows = rows.filter(group__in=groups)
    for kind, group, demo, data in rows.values_list("kind", "group", "is_demo", "data"):
        buckets[kind].append(decode(kind, data, is_demo=demo, group=group))
        is_demo = is_demo or demo
    for kind in (ResultKind.KPI, ResultKind.WORK_ITEM, ResultKind.BUDGET, ResultKind.FLAG):
        buckets[kind].sort(key=lambda r: r._sort)
    risks = buckets[ResultKind.RISK]
    risks.sort(key=lambda r: (service.RISK_ORDER[r.tier], -len(r.signals), -r.red, r.measure))
    current = (submissions if submissions is not None else Submission.objects.all()).filter(period=period)
    evaluation = service.Evaluation(
        period=period.code,
        roc_year=period.roc_year,
        quarter=period.quarter,
        revision=program.revision,
        kpis=buckets[ResultKind.KPI],
        work_items=buckets[ResultKind.WORK_ITEM],
        budget=buckets[ResultKind.BUDGET],
        budget_by_industry=service.industry_budget(buckets[ResultKind.BUDGET], industries, thresholds),
        rollups={},
        risks=risks,
        flags=buckets[ResultKind.FLAG],
        completeness=service.load_completeness(period, current),
        industries=industries,
        measures={
            code: {"name": m["name"], "industry": m["industry"], "strategy": m["strategy"]}
            for code, m in measures.items()
        },
        agencies={
            a["code"]: a["name"]
            for a in agencies.rows.values()
            if a["parent_id"] is None and a["kind"] in REPORTING_KINDS
        },
        is_demo=is_demo,
        strategies=strategies,
    )
    evaluation.rollups = service.rollups_for(evaluation.kpis, evaluation, thresholds)
    return evaluation
