"""A KPI over many periods: its reported series (forecasts, data-quality checks), its latest lights
(red streaks) and ``kpi_history``, the quarter-by-quarter record behind the KPI page's charts, each
period judged against the revision in force for it.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sixcore.plan import models as plan
from sixcore.progress.models import KPIReport, ReportingPeriod

from .. import rules
from ..rules import DEFAULT_THRESHOLDS
from .loading import NO_TARGETS, Period, _kpi_actual, _pick, scoped_submissions


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


def kpi_history(
    measure_code: str, code: str, user=None, *, published_only: bool = False, thresholds=DEFAULT_THRESHOLDS
):
    """One KPI over every period: expected, actual, achievement and light per quarter, with notes.

    Each period is judged against the targets of the revision in force for it. A fixed number of
    queries. Returns None when the KPI does not exist in any revision.
    """
    periods = list(ReportingPeriod.objects.all())
    from sixcore.plan.models import programs_in_force

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
