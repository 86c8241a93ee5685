"""The dashboards of the program, an industry, a measure and an agency: one template, lights per group,
budget execution, risks, KPIs and (program, industry) the completeness of the submissions.
"""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _

from sixcore.accounts.policy import is_ndc
from sixcore.plan import models as plan
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import ReportingPeriod

from .. import explain, service, summary
from ..rules import LIGHT_LABELS, RISK_LABELS
from .common import LIGHT_COLOURS, LIGHTS, as_percent, explained, period_and_periods, period_evaluation


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


def _group_rows(rollups, group_kind: str, period: ReportingPeriod) -> list[dict]:
    name = "evaluation:industry" if group_kind == "industry" else "evaluation:measure"
    return [
        {
            "key": r.key,
            "label": r.label,
            "url": f"{reverse(name, args=[r.key])}?period={period.code}",
            "cells": [r.counts[str(light)] for light in LIGHTS],
            "pct": as_percent(r.weighted_achievement),
        }
        for r in rollups
    ]


def _dashboard(
    request, period, periods, summary, *, group_kind, budget_labels, budget_kind="measure", **extra
):
    """The template's context from a ``summary.Summary`` (whatever dashboard it is)."""
    status_labels = dict(SubmissionStatus.choices)
    kpi_url = _kpi_url_maker()
    completeness = extra.get("completeness")
    completeness_rows = []
    if completeness is not None:
        for code, counts in completeness.by_industry.items():
            completeness_rows.append(
                {
                    "label": f"{code} {summary.industries.get(code, '')}",
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
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "period": period,
        "periods": periods,
        "evaluation": summary,
        "summary": summary,
        **explained(period),
        **explain.chart_names(extra.get("title") or _("Program"), period, group_kind, budget_kind),
        "light_headers": [(light, LIGHT_LABELS[light]) for light in LIGHTS],
        "light_totals": [
            (str(light), LIGHT_LABELS[light], summary.light_totals.get(str(light), 0)) for light in LIGHTS
        ],
        "light_filter": extra.pop("light", ""),
        "page_query": query.urlencode(),
        "group_rows": _group_rows(summary.rollups, group_kind, period),
        "lights_chart": _lights_chart(summary.rollups),
        "budget_chart": _budget_chart(summary.budget, budget_labels),
        "budget_table": [
            {
                "key": b.key,
                "label": budget_labels.get(b.key, ""),
                "allocated": b.allocated,
                "executed": b.executed,
                "annual_budget": b.annual_budget,
                "pct": as_percent(b.execution_rate),
                "light": str(b.light),
                "light_label": LIGHT_LABELS[b.light],
                "reason": b.reason,
            }
            for b in summary.budget
        ],
        "risks": [
            {**asdict(r), "tier": str(r.tier), "tier_label": RISK_LABELS[r.tier]} for r in summary.risks
        ],
        "kpi_page": summary.kpis,
        "kpi_rows": [
            {
                **_kpi_fields(k),
                "url": kpi_url(k.measure, k.kpi),
                "pct": as_percent(k.achievement),
                "light": str(k.light),
                "light_label": LIGHT_LABELS[k.light],
            }
            for k in summary.kpis.object_list
        ],
        "status_headers": [(s, status_labels[s]) for s in SubmissionStatus.values],
        "completeness_rows": completeness_rows,
        "is_ndc": is_ndc(request.user),
        **extra,
    }


def _table_filter(request: HttpRequest) -> dict:
    """The KPI table's light filter (ignored unless a light) and page from the query string."""
    light = request.GET.get("light", "")
    return {"light": light if light in {str(x) for x in LIGHTS} else "", "page": request.GET.get("page") or 1}


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
    """The whole program in a period: lights and budget per industry, risks, completeness, KPIs."""
    period, periods = period_and_periods(request)
    table = _table_filter(request)
    figures = _summary(period, request.user, **table)
    context = _dashboard(
        request,
        period,
        periods,
        figures,
        level="program",
        group_kind="industry",
        budget_labels=figures.industries,
        budget_kind="industry",
        completeness=figures.completeness,
        light=table["light"],
    )
    return render(request, "evaluation/dashboard.html", context)


def industry_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One industry: lights per measure, budget per measure, risks, completeness of its reports."""
    period, periods = period_and_periods(request)
    table = _table_filter(request)
    figures = _summary(period, request.user, industry=code, **table)
    if code not in figures.industries:
        raise Http404(_("No industry %(code)s.") % {"code": code})
    context = _dashboard(
        request,
        period,
        periods,
        figures,
        level="industry",
        industry_code=code,
        title=f"{code} {figures.industries[code]}",
        group_kind="measure",
        budget_labels={c: m["name"] for c, m in figures.measures.items()},
        completeness=_industry_completeness(figures.completeness, code),
        light=table["light"],
    )
    return render(request, "evaluation/dashboard.html", context)


def _summary(period, user, **options) -> summary.Summary:
    try:
        return summary.summary_for(period, user, **options)
    except plan.Program.DoesNotExist:
        raise Http404(_("No program loaded.")) from None


def _industry_completeness(completeness: service.Completeness, code: str) -> service.Completeness:
    row = completeness.by_industry.get(code, {})
    by_status = {s: row.get(s, 0) for s in SubmissionStatus.values}
    return service.Completeness(row.get("total", 0), sum(by_status.values()), by_status, {code: row})


def measure_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One measure: its KPIs' lights, budget, work items and flags."""
    period, periods, evaluation = period_evaluation(request, measure=code)
    if code not in evaluation.measures:
        raise Http404(_("No measure %(code)s.") % {"code": code})
    scoped = evaluation.scoped(measure=code)
    measure = evaluation.measures[code]
    table = _table_filter(request)
    figures = summary.from_scoped(evaluation, scoped, scoped["rollups"]["measure"], scoped["budget"], **table)
    context = _dashboard(
        request,
        period,
        periods,
        figures,
        level="measure",
        measure_code=code,
        industry_code=measure["industry"],
        industry_name=evaluation.industries.get(measure["industry"], ""),
        title=f"{code} {measure['name']}",
        group_kind="measure",
        budget_labels={c: m["name"] for c, m in evaluation.measures.items()},
        light=table["light"],
    )
    return render(request, "evaluation/dashboard.html", context)


def agency_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """One reporting agency: the KPIs, work items and budget lines it is on, per industry."""
    period, periods, evaluation = period_evaluation(request, agency=code)
    if code not in evaluation.agencies:
        raise Http404(_("No agency %(code)s.") % {"code": code})
    scoped = evaluation.scoped(agency=code)
    rollups = service.rollups_for(scoped["kpis"], evaluation)["industry"]
    table = _table_filter(request)
    figures = summary.from_scoped(evaluation, scoped, rollups, scoped["budget"], **table)
    context = _dashboard(
        request,
        period,
        periods,
        figures,
        level="agency",
        agency_code=code,
        title=evaluation.agencies[code],
        group_kind="industry",
        budget_labels={c: m["name"] for c, m in evaluation.measures.items()},
        light=table["light"],
    )
    return render(request, "evaluation/dashboard.html", context)
