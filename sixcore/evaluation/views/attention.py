"""NDC's "needs attention" list: every red KPI, work item and budget line, every data-quality flag and the
follow-up items overdue or due soon, filterable and exportable as CSV.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sixcore.accounts.policy import is_ndc

from .. import explain, export
from ..extensions import attention_sources
from ..rules import LIGHT_LABELS, Light
from .common import explained, period_evaluation


def _kinds() -> dict[str, str]:
    return {
        "kpi": _("KPI"),
        "work_item": _("Work item"),
        "budget": _("Budget"),
        "flag": _("Data quality"),
    } | {source.kind: source.label() for source in attention_sources()}


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
    period, periods, evaluation = period_evaluation(request)
    rows = attention_rows(evaluation) + [r for s in attention_sources() for r in s.rows(request.user)]
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
            **explained(period),
            "rows": rows,
            "industry": industry,
            "kind": kind,
            "kind_options": list(kinds.items()),
        },
    )


def _login_url() -> str:
    from django.conf import settings

    return reverse(settings.LOGIN_URL)
