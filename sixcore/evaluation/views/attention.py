"""NDC's "needs attention" list: every red KPI, work item and budget line, every data-quality flag and the
follow-up items overdue or due soon, filterable, paged and exportable as CSV.

It reads only the stored results that can be on the list (``read_rows``), not the period's whole
evaluation: at 10× the seed a few hundred of some 5,800 rows, and decodes only a page of them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sixcore.accounts.policy import is_ndc
from sixcore.plan import models as plan
from sixcore.progress.models import ReportingPeriod

from .. import explain, export, read, read_rows
from ..extensions import attention_sources
from ..models import ResultKind
from ..rules import LIGHT_LABELS
from .common import chosen_period, explained

PAGE_SIZE = 50  # rows a page: the reds come first, an officer pages on to the flags


def _kinds() -> dict[str, str]:
    return {
        "kpi": _("KPI"),
        "work_item": _("Work item"),
        "budget": _("Budget"),
        "flag": _("Data quality"),
    } | {source.kind: source.label() for source in attention_sources()}


def _row(kind: str, result, measure_name: str, agency_name) -> dict:
    """A stored result as a row of the list (``decoded``'s ``measure_name``: a budget line's measure)."""
    if kind == ResultKind.KPI:
        return {
            "kind": "kpi",
            "industry": result.industry,
            "measure": result.measure,
            "ref": result.kpi,
            "what": result.text[:80],
            "problem": LIGHT_LABELS[result.light],
            "detail": result.reason,
            "agency": agency_name(result.reported_by),
        }
    if kind == ResultKind.WORK_ITEM:
        return {
            "kind": "work_item",
            "industry": result.industry,
            "measure": ",".join(result.measures),
            "ref": f"{result.schedule}/{result.code}",
            "what": result.title[:80],
            "problem": LIGHT_LABELS[result.light],
            "detail": result.reason,
            "agency": agency_name(result.reported_by),
        }
    if kind == ResultKind.BUDGET:
        return {
            "kind": "budget",
            "industry": result.industry,
            "measure": result.key,
            "ref": result.key,
            "what": measure_name,
            "problem": LIGHT_LABELS[result.light],
            "detail": result.reason,
            "agency": agency_name(result.agencies),
        }
    return {
        "kind": "flag",
        "industry": result.industry,
        "measure": result.measure,
        "ref": result.ref,
        "what": result.code,
        "problem": result.label,
        "detail": result.message,
        "agency": "",
    }


def _rows(items: list, heading: read_rows.PeriodHeading) -> list[dict]:
    """The list's items (stored results' ids, then the other sources' rows) as rows; only the stored
    results among ``items`` are read and decoded."""
    agency_name = explain.agency_namer(heading)
    rows = [
        _row(kind, result, name, agency_name)
        for kind, result, name in read_rows.decoded([i for i in items if isinstance(i, int)], heading.program)
    ]
    rows += [i for i in items if isinstance(i, dict)]
    kinds = _kinds()
    for r in rows:
        r["kind_label"] = kinds[r["kind"]]
        r["measure_link"] = r["measure"].split(",")[0]
        r["industry_label"] = f"{r['industry']} {heading.industries.get(r['industry'], '')}".strip()
    return rows


def attention(request: HttpRequest) -> HttpResponse:
    """NDC: every red item and every data-quality flag of a period, filterable, a page at a time
    (reds first), exportable whole as CSV.  Reads only the stored results that are on the list
    (``read_rows``) and decodes only those of the page shown."""
    if not request.user.is_authenticated:
        return redirect(f"{_login_url()}?next={request.get_full_path()}")
    if not is_ndc(request.user):
        raise PermissionDenied(_("Only NDC sees the attention list."))
    periods = list(ReportingPeriod.objects.all())
    if not periods:
        raise Http404(_("No reporting periods."))
    period = chosen_period(request, periods)
    view = read.view_for(period, request.user)
    if view is None:  # not for NDC: view_for gives NDC the working view
        raise PermissionDenied(_("Only NDC sees the attention list."))
    try:
        heading = read_rows.period_heading(period, view)
    except plan.Program.DoesNotExist:
        raise Http404(_("No program loaded.")) from None
    industry, kind = request.GET.get("industry", ""), request.GET.get("kind", "")
    stored = read_rows.attention_results(period, view, kind=kind, industry=industry)
    others = [
        r
        for s in attention_sources()
        if not kind or s.kind == kind
        for r in s.rows(request.user)
        if not industry or r["industry"] == industry
    ]
    items = read_rows.in_list_order(stored) + others
    if request.GET.get("format") == "csv":
        header = ["period", "kind", "industry", "measure", "ref", "what", "problem", "detail", "agency"]
        return export.csv_response(
            f"attention-{period.code}.csv",
            header,
            ([period.code, r["kind_label"]] + [r[h] for h in header[2:]] for r in _rows(items, heading)),
        )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/attention.html",
        {
            "period": period,
            "periods": periods,
            "evaluation": heading,
            **explained(period),
            "rows": _rows(list(page.object_list), heading),
            "page": page,
            "query": urlencode({"period": period.code, "industry": industry, "kind": kind}),
            "industry": industry,
            "kind": kind,
            "kind_options": list(_kinds().items()),
        },
    )


def _login_url() -> str:
    from django.conf import settings

    return reverse(settings.LOGIN_URL)
