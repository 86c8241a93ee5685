"""Dashboards of the evaluation: program, industry, measure, agency, KPI, work-item timeline, and
NDC's "needs attention" list.  Thin: they read the stored evaluation within the caller's scope
(``read.evaluation_for``; anonymous → approved data only), in a fixed number of queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _

from sixcore.accounts.policy import is_ndc
from sixcore.core.roc import RocDateError, format_roc_date, format_roc_month
from sixcore.plan import models as plan
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.policy import submission_policy

from . import explain, export, read, service
from .rules import LIGHT_LABELS, RISK_LABELS, Light, RiskTier

LIGHTS = [Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE]
LIGHT_COLOURS = {
    Light.GREEN: "#2e7d32",
    Light.YELLOW: "#f9a825",
    Light.RED: "#c62828",
    Light.WHITE: "#b0bec5",
}


def _period(request: HttpRequest, periods: list[ReportingPeriod]) -> ReportingPeriod:
    """``?period=111Q2``; by default the latest period with a submission the user may see."""
    code = request.GET.get("period")
    if code:
        try:
            wanted = ReportingPeriod.by_code(code).pk
        except (ReportingPeriod.DoesNotExist, RocDateError):
            raise Http404(_("No reporting period %(code)s.") % {"code": code}) from None
        return next(p for p in periods if p.pk == wanted)
    latest = (
        submission_policy.visible(request.user, Submission.objects.all())
        .order_by("-period__roc_year", "-period__quarter")
        .values_list("period_id", flat=True)
        .first()
    )
    return next((p for p in periods if p.pk == latest), periods[0])


def _evaluate(request: HttpRequest):
    periods = list(ReportingPeriod.objects.all())
    if not periods:
        raise Http404(_("No reporting periods."))
    period = _period(request, periods)
    try:
        evaluation = read.evaluation_for(period, request.user)
    except plan.Program.DoesNotExist:
        raise Http404(_("No program loaded.")) from None
    return period, periods, evaluation


def _explained(period: ReportingPeriod | None) -> dict:
    """What every dashboard shows around its figures: the 燈號說明 and the date they stand at."""
    return {
        "legend": explain.light_legend(explain.thresholds_in_force()),
        "as_of": format_roc_date(period.end) if period is not None else "",
    }


def _lights_chart(rollups, labels: dict[str, str] | None = None) -> dict:
    """Stacked-bar data: one bar per group, one stack part per light (the table shows the same)."""
    return {
        "groups": [f"{r.key} {labels.get(r.key, r.label) if labels else r.label}".strip() for r in rollups],
        "series": [
            {
                "name": LIGHT_LABELS[light],
                "color": LIGHT_COLOURS[light],
                "data": [r.counts[str(light)] for r in rollups],
            }
            for light in LIGHTS
        ],
    }


def _budget_chart(rows, labels: dict[str, str]) -> dict:
    """Bars of the execution rate; the dashed line and the colours are the budget thresholds in force."""
    thresholds = explain.thresholds_in_force()
    return {
        "groups": [f"{b.key} {labels.get(b.key, '')}".strip() for b in rows],
        "rates": [float(b.execution_rate * 100) if b.execution_rate is not None else None for b in rows],
        "line": float(thresholds.budget_green * 100),
        "yellow": float(thresholds.budget_yellow * 100),
        "name": _("Execution rate"),
    }


def _pct(ratio: Decimal | None) -> Decimal | None:
    """A ratio (0.9525) as percentage points (95.25) for the ``amount`` filter."""
    return None if ratio is None else (ratio * 100).quantize(Decimal("0.01"))


def _group_rows(rollups, group_kind: str, period: ReportingPeriod) -> list[dict]:
    name = "evaluation:industry" if group_kind == "industry" else "evaluation:measure"
    return [
        {
            "key": r.key,
            "label": r.label,
            "url": f"{reverse(name, args=[r.key])}?period={period.code}",
            "cells": [r.counts[str(light)] for light in LIGHTS],
            "pct": _pct(r.weighted_achievement),
        }
        for r in rollups
    ]


def _dashboard(
    request,
    period,
    periods,
    evaluation,
    scoped,
    *,
    groups,
    group_kind,
    budget_rows,
    budget_labels,
    budget_kind="measure",
    **extra,
):
    status_labels = dict(SubmissionStatus.choices)
    kpi_url = _kpi_url_maker()
    completeness = extra.get("completeness")
    completeness_rows = []
    if completeness is not None:
        for code, counts in completeness.by_industry.items():
            completeness_rows.append(
                {
                    "label": f"{code} {evaluation.industries.get(code, '')}",
                    "total": counts.get("total", 0),
                    "cells": [counts.get(s, 0) for s in SubmissionStatus.values],
                }
            )
        completeness_rows.append(
            {
                "label": _("Total"),
                "total": completeness.total,
                "cells": [completeness.by_status.get(s, 0) for s in SubmissionStatus.values],
            }
        )
    light_counts = Counter(k.light for k in scoped["kpis"])
    return {
        "period": period,
        "periods": periods,
        "evaluation": evaluation,
        "scoped": scoped,
        **_explained(period),
        **explain.chart_names(extra.get("title") or _("Program"), period, group_kind, budget_kind),
        "light_headers": [(light, LIGHT_LABELS[light]) for light in LIGHTS],
        "light_totals": [(str(light), LIGHT_LABELS[light], light_counts.get(light, 0)) for light in LIGHTS],
        "group_rows": _group_rows(groups, group_kind, period),
        "budget_table": [
            {
                "key": b.key,
                "label": budget_labels.get(b.key, ""),
                "allocated": b.allocated,
                "executed": b.executed,
                "annual_budget": b.annual_budget,
                "pct": _pct(b.execution_rate),
                "light": str(b.light),
                "light_label": LIGHT_LABELS[b.light],
                "reason": b.reason,
            }
            for b in budget_rows
        ],
        "risks": [
            {**asdict(r), "tier": str(r.tier), "tier_label": RISK_LABELS[r.tier]}
            for r in scoped["risks"]
            if r.tier != RiskTier.LOW or r.red
        ][:10],
        "kpi_rows": [
            {
                **_kpi_fields(k),
                "url": kpi_url(k.measure, k.kpi),
                "pct": _pct(k.achievement),
                "light": str(k.light),
                "light_label": LIGHT_LABELS[k.light],
            }
            for k in scoped["kpis"]
        ],
        "status_headers": [(s, status_labels[s]) for s in SubmissionStatus.values],
        "completeness_rows": completeness_rows,
        "is_ndc": is_ndc(request.user),
        **extra,
    }


def _kpi_url_maker():
    """``reverse("evaluation:kpi", args=[measure, code])`` for many KPIs: reversed once, then filled
    in (a reverse per row of the 140-row KPI table was ≈ 15 % of the dashboard's CPU)."""
    pattern = reverse("evaluation:kpi", args=["MEASURE", "CODE"])
    before, after = pattern.split("MEASURE")
    middle, tail = after.split("CODE")

    def url(measure: str, code: str) -> str:
        segment = quote(measure, safe=RFC3986_SUBDELIMS + "~:@")  # as reverse() quotes a path
        return f"{before}{segment}{middle}{quote(code, safe=RFC3986_SUBDELIMS + '~:@')}{tail}"

    return url


def _kpi_fields(k: service.KpiResult) -> dict:
    return {
        "kpi": k.kpi,
        "key": k.key,
        "measure": k.measure,
        "text": k.text,
        "expected": k.expected,
        "actual": k.actual,
        "reason": k.reason,
    }


def program_dashboard(request: HttpRequest) -> HttpResponse:
    """The whole program in a period: lights and budget per industry, risks, completeness."""
    period, periods, evaluation = _evaluate(request)
    scoped = evaluation.scoped()
    rollups = scoped["rollups"]["industry"]
    context = _dashboard(
        request,
        period,
        periods,
        evaluation,
        scoped,
        level="program",
        groups=rollups,
        group_kind="industry",
        budget_rows=scoped["budget_by_industry"],
        budget_labels=evaluation.industries,
        budget_kind="industry",
        lights_chart=_lights_chart(rollups),
        budget_chart=_budget_chart(scoped["budget_by_industry"], evaluation.industries),
        completeness=evaluation.completeness,
    )
    return render(request, "evaluation/dashboard.html", context)


def industry_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One industry: lights per measure, budget per measure, risks, completeness of its reports."""
    period, periods, evaluation = _evaluate(request)
    if code not in evaluation.industries:
        raise Http404(_("No industry %(code)s.") % {"code": code})
    scoped = evaluation.scoped(industry=code)
    rollups = [r for r in scoped["rollups"]["measure"]]
    names = {c: m["name"] for c, m in evaluation.measures.items()}
    context = _dashboard(
        request,
        period,
        periods,
        evaluation,
        scoped,
        level="industry",
        industry_code=code,
        title=f"{code} {evaluation.industries[code]}",
        groups=rollups,
        group_kind="measure",
        budget_rows=scoped["budget"],
        budget_labels=names,
        lights_chart=_lights_chart(rollups),
        budget_chart=_budget_chart(scoped["budget"], names),
        completeness=_industry_completeness(evaluation.completeness, code),
    )
    return render(request, "evaluation/dashboard.html", context)


def _industry_completeness(completeness: service.Completeness, code: str) -> service.Completeness:
    row = completeness.by_industry.get(code, {})
    by_status = {s: row.get(s, 0) for s in SubmissionStatus.values}
    return service.Completeness(row.get("total", 0), sum(by_status.values()), by_status, {code: row})


def measure_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One measure: its KPIs' lights, budget, work items and flags."""
    period, periods, evaluation = _evaluate(request)
    if code not in evaluation.measures:
        raise Http404(_("No measure %(code)s.") % {"code": code})
    scoped = evaluation.scoped(measure=code)
    measure = evaluation.measures[code]
    rollups = scoped["rollups"]["measure"]
    names = {c: m["name"] for c, m in evaluation.measures.items()}
    context = _dashboard(
        request,
        period,
        periods,
        evaluation,
        scoped,
        level="measure",
        measure_code=code,
        industry_code=measure["industry"],
        industry_name=evaluation.industries.get(measure["industry"], ""),
        title=f"{code} {measure['name']}",
        groups=rollups,
        group_kind="measure",
        budget_rows=scoped["budget"],
        budget_labels=names,
        lights_chart=_lights_chart(rollups),
        budget_chart=_budget_chart(scoped["budget"], names),
    )
    return render(request, "evaluation/dashboard.html", context)


def agency_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One reporting agency: the KPIs, work items and budget lines it is on, per industry."""
    period, periods, evaluation = _evaluate(request)
    if code not in evaluation.agencies:
        raise Http404(_("No agency %(code)s.") % {"code": code})
    scoped = evaluation.scoped(agency=code)
    rollups = service.rollups_for(scoped["kpis"], evaluation)["industry"]
    names = {c: m["name"] for c, m in evaluation.measures.items()}
    context = _dashboard(
        request,
        period,
        periods,
        evaluation,
        scoped,
        level="agency",
        agency_code=code,
        title=evaluation.agencies[code],
        groups=rollups,
        group_kind="industry",
        budget_rows=scoped["budget"],
        budget_labels=names,
        lights_chart=_lights_chart(rollups),
        budget_chart=_budget_chart(scoped["budget"], names),
    )
    return render(request, "evaluation/dashboard.html", context)


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
        {**r, "pct": _pct(r["achievement"]), "light_label": LIGHT_LABELS[r["light"]]} for r in history["rows"]
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
    period, periods, evaluation = _evaluate(request)
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
            **_explained(period),
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


def _kinds() -> dict[str, str]:
    return {
        "kpi": _("KPI"),
        "work_item": _("Work item"),
        "budget": _("Budget"),
        "flag": _("Data quality"),
        "follow_up": _("Follow-up item"),
    }


def follow_up_rows(user) -> list[dict]:
    """Follow-up items (追蹤事項) overdue or due within 30 days as of today, in the attention rows' shape:
    they need attention now, whatever period the page shows."""
    from sixcore.followups.services import due_follow_ups
    from sixcore.progress.clock import today

    as_of = today()
    return [
        {
            "kind": "follow_up",
            "industry": f.industry.code if f.industry_id else "",
            "measure": "",
            "ref": f"#{f.pk}",
            "what": f.text[:80],
            "problem": _("Overdue") if f.due_date < as_of else _("Due soon"),
            "detail": _("due %(date)s") % {"date": format_roc_date(f.due_date)},
            "agency": f.owner.name,
            "url": reverse("followups:detail", args=[f.pk]),
        }
        for f in due_follow_ups(user, as_of)
    ]


def attention_rows(evaluation) -> list[dict]:
    """Every red KPI, work item and budget line, and every data-quality flag, as flat rows."""
    measures = evaluation.measures
    agency_name = explain.agency_namer(evaluation)
    rows = []
    for k in evaluation.kpis:
        if k.light == Light.RED:
            rows.append(
                {
                    "kind": "kpi",
                    "industry": k.industry,
                    "measure": k.measure,
                    "ref": k.kpi,
                    "what": k.text[:80],
                    "problem": LIGHT_LABELS[k.light],
                    "detail": k.reason,
                    "agency": agency_name(k.reported_by),
                }
            )
    for w in evaluation.work_items:
        if w.light == Light.RED:
            rows.append(
                {
                    "kind": "work_item",
                    "industry": w.industry,
                    "measure": ",".join(w.measures),
                    "ref": f"{w.schedule}/{w.code}",
                    "what": w.title[:80],
                    "problem": LIGHT_LABELS[w.light],
                    "detail": w.reason,
                    "agency": agency_name(w.reported_by),
                }
            )
    for b in evaluation.budget:
        if b.light == Light.RED:
            rows.append(
                {
                    "kind": "budget",
                    "industry": b.industry,
                    "measure": b.key,
                    "ref": b.key,
                    "what": measures.get(b.key, {}).get("name", ""),
                    "problem": LIGHT_LABELS[b.light],
                    "detail": b.reason,
                    "agency": agency_name(b.agencies),
                }
            )
    for f in evaluation.flags:
        rows.append(
            {
                "kind": "flag",
                "industry": f.industry,
                "measure": f.measure,
                "ref": f.ref,
                "what": f.code,
                "problem": f.label,
                "detail": f.message,
                "agency": "",
            }
        )
    return rows


def attention(request: HttpRequest) -> HttpResponse:
    """NDC: every red item and every data-quality flag of a period, filterable, exportable as CSV."""
    if not request.user.is_authenticated:
        return redirect(f"{_login_url()}?next={request.get_full_path()}")
    if not is_ndc(request.user):
        raise PermissionDenied(_("Only NDC sees the attention list."))
    period, periods, evaluation = _evaluate(request)
    rows = attention_rows(evaluation) + follow_up_rows(request.user)
    industry, kind = request.GET.get("industry", ""), request.GET.get("kind", "")
    if industry:
        rows = [r for r in rows if r["industry"] == industry]
    if kind:
        rows = [r for r in rows if r["kind"] == kind]
    kinds = _kinds()
    for r in rows:
        r["kind_label"] = kinds[r["kind"]]
        r["measure_link"] = r["measure"].split(",")[0]
        r["industry_label"] = f"{r['industry']} {evaluation.industries.get(r['industry'], '')}".strip()
    if request.GET.get("format") == "csv":
        header = ["period", "kind", "industry", "measure", "ref", "what", "problem", "detail", "agency"]
        return export.csv_response(
            f"attention-{period.code}.csv",
            header,
            ([period.code, r["kind_label"]] + [r[h] for h in header[2:]] for r in rows),
        )
    return render(
        request,
        "evaluation/attention.html",
        {
            "period": period,
            "periods": periods,
            "evaluation": evaluation,
            **_explained(period),
            "rows": rows,
            "industry": industry,
            "kind": kind,
            "kind_options": list(kinds.items()),
        },
    )


def _login_url() -> str:
    from django.conf import settings
    from django.urls import reverse

    return reverse(settings.LOGIN_URL)
