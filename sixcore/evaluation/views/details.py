"""The detail pages of the evaluation: one KPI over the quarters (targets, expected values, actuals, the
light of each quarter) and a measure's work-item timeline (planned bars, reported progress).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sixcore.core.roc import format_roc_month
from sixcore.plan import models as plan

from .. import explain, service
from ..rules import LIGHT_LABELS, Light
from .common import LIGHT_COLOURS, as_percent, explained, period_evaluation


def kpi_dashboard(request: HttpRequest, measure_code: str, code: str) -> HttpResponse:
    """A KPI over the quarters: annual targets, expected values and actuals; light history; notes."""
    history = service.kpi_history(measure_code, code, request.user, thresholds=explain.thresholds_in_force())
    if history is None:
        raise Http404(_("No KPI %(code)s.") % {"code": code})
    kpi = (
        plan.KPI.objects.filter(measure__code=measure_code, code=code)
        .select_related("measure__industry")
        .order_by("-measure__industry__program__revision")
        .first()
    )
    rows = [
        {**r, "pct": as_percent(r["achievement"]), "light_label": LIGHT_LABELS[r["light"]]}
        for r in history["rows"]
    ]
    shown = service.display_code(code)
    title = _("%(code)s: expected values, annual targets and actuals per quarter") % {"code": shown}
    chart = {
        "periods": [r["label"] for r in rows],
        "series": [
            {"name": _("Expected"), "kind": "line", "data": [_num(r["expected"]) for r in rows]},
            {"name": _("Actual"), "kind": "line", "data": [_num(r["actual"]) for r in rows]},
            {"name": _("Annual target"), "kind": "scatter", "data": [_num(r["annual_target"]) for r in rows]},
        ],
    }
    return render(
        request,
        "evaluation/kpi.html",
        {
            "kpi": kpi,
            "code": shown,
            "rows": rows,
            "chart": chart,
            "is_demo": history["is_demo"],
            "legend": explain.light_legend(explain.thresholds_in_force()),
            "chart_caption": title,
            "chart_label": explain.chart_label(title),
            "history_caption": _("%(title)s, and the light of each quarter with its reason")
            % {"title": title},
        },
    )


def _num(value) -> float | None:
    return None if value is None else float(value)


def timeline(request: HttpRequest, code: str) -> HttpResponse:
    """Gantt of a measure's work items: planned bars from 起訖時程, reported progress, lagging marked."""
    period, periods, evaluation = period_evaluation(request, measure=code)
    if code not in evaluation.measures:
        raise Http404(_("No measure %(code)s.") % {"code": code})
    items = [w for w in evaluation.work_items if code in w.measures]
    # The plan's items that are not running this year are not in the evaluation: add them unjudged.
    known = {(w.schedule, w.code) for w in items}
    program_items = (
        plan.WorkItem.objects.filter(
            schedule__measures__code=code, schedule__industry__program__revision=evaluation.revision
        )
        .order_by("schedule__order", "order")
        .values("code", "title", "start", "end", "schedule__code")
    )
    rows = []
    for w in program_items:
        found = next((i for i in items if (i.schedule, i.code) == (w["schedule__code"], w["code"])), None)
        if found is None and (w["schedule__code"], w["code"]) in known:
            continue
        rows.append(
            found
            or service.WorkItemResult(
                w["schedule__code"],
                w["code"],
                w["title"],
                "",
                [code],
                [],
                w["start"],
                w["end"],
                None,
                None,
                None,
                Light.WHITE,
                _("not running this year"),
            )
        )
    dated = [r for r in rows if r.start and r.end]
    chart = {
        "items": [
            {
                "label": f"{r.code} {r.title[:24]}",
                "start": r.start.isoformat(),
                "end": _month_end(r.end).isoformat(),
                "start_label": format_roc_month(r.start),
                "end_label": format_roc_month(r.end),
                "reported": _num(r.reported),
                "planned": _num(r.planned),
                "light": str(r.light),
                "lagging": r.light in (Light.RED, Light.YELLOW),
            }
            for r in dated
        ],
        "as_of": period.end.isoformat(),
        "colours": {str(k): v for k, v in LIGHT_COLOURS.items()},
    }
    measure = evaluation.measures[code]
    title = _("%(code)s %(name)s, %(period)s: planned schedule and reported progress of the work items") % {
        "code": code,
        "name": measure["name"],
        "period": period.label,
    }
    return render(
        request,
        "evaluation/timeline.html",
        {
            "period": period,
            "periods": periods,
            "evaluation": evaluation,
            **explained(period),
            "chart_caption": title,
            "chart_label": explain.chart_label(title),
            "measure_code": code,
            "measure": measure,
            "rows": [{**asdict(r), "light_label": LIGHT_LABELS[r.light]} for r in rows],
            "chart": chart,
        },
    )


def _month_end(d: date) -> date:
    following = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
