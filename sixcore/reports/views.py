"""Downloads: the quarterly report (/reports/quarterly/111Q2.pdf) and open data (/reports/export/plan.csv).

Design: generated synchronously into a bounded in-memory ``FileResponse`` (measured: docx/xlsx < 2 s,
pdf several seconds; a few hundred KB to ~1 MB). A per-process semaphore admits at most
``REPORT_CONCURRENCY`` generations at a time, so report downloads can never occupy every worker thread:
a further request gets 503 with Retry-After instead of queueing behind them.
"""

from __future__ import annotations

import io
import threading

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sixcore.accounts.policy import is_ndc
from sixcore.core.roc import RocDateError, parse_quarter
from sixcore.progress.models import ReportingPeriod

from . import exports
from .builder import build_quarterly_report, report_is_public
from .formats import CONTENT_TYPES, render_report, report_filename

REPORT_CONCURRENCY = 2
MAX_BYTES = 50 * 1024 * 1024  # a generous bound; the seed program's reports are ~0.1–1 MB
_slots = threading.BoundedSemaphore(REPORT_CONCURRENCY)


def _period(code: str) -> ReportingPeriod:
    try:
        year, quarter = parse_quarter(code)
        return ReportingPeriod.objects.get(roc_year=year, quarter=quarter)
    except (RocDateError, ValueError, ReportingPeriod.DoesNotExist):
        raise Http404(_("No such reporting period.")) from None


def can_download(user, period: ReportingPeriod) -> bool:
    """NDC always; everybody else once every submission of the period is approved (published)."""
    return is_ndc(user) or report_is_public(period)


def _busy() -> HttpResponse:
    response = HttpResponse(_("Another report is being generated; please retry shortly."), status=503)
    response["Retry-After"] = "10"
    return response


def _file(content: bytes, content_type: str, filename: str) -> FileResponse:
    if len(content) > MAX_BYTES:  # pragma: no cover - a safety bound
        raise Http404(_("The file is too large."))
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def quarterly(request: HttpRequest, period: str, fmt: str) -> HttpResponse:
    the_period = _period(period)
    user = request.user
    if not can_download(user, the_period):
        return HttpResponse(
            _("The report is published once every submission of the period is approved."), status=403
        )
    if not _slots.acquire(blocking=False):
        return _busy()
    try:
        ndc = is_ndc(user)
        report = build_quarterly_report(the_period, None if ndc else user, published_only=not ndc)
        content = render_report(report, fmt)
    finally:
        _slots.release()
    return _file(content, CONTENT_TYPES[fmt], report_filename(report, fmt))


@require_GET
def export(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    """Open data. The public (and agencies) get published submissions only; NDC gets everything."""
    from sixcore.progress.services import program_in_force
    from sixcore.revisions.models import programs_in_force

    user = request.user
    ndc = is_ndc(user)
    code = request.GET.get("period")
    period = _period(code) if code else None
    if dataset == "plan":
        if period is not None:
            program = program_in_force(period)
        else:
            program = programs_in_force().order_by("revision").last()
            if program is None:
                raise Http404(_("No program is loaded."))
        tables = exports.plan_tables(program)
        prefix = f"sixcore-plan-rev{program.revision}"
    elif dataset == "submissions":
        tables = exports.submission_tables(None if ndc else user, published_only=not ndc, period=period)
        prefix = f"sixcore-submissions{'-' + period.code if period else ''}"
    else:
        if period is None:
            period = (
                ReportingPeriod.objects.filter(submissions__isnull=False)
                .order_by("-roc_year", "-quarter")
                .first()
            )
            if period is None:
                raise Http404(_("No reporting period has submissions."))
        tables = exports.evaluation_tables(period, None if ndc else user, published_only=not ndc)
        prefix = f"sixcore-evaluation-{period.code}"
    table = request.GET.get("table")
    if table:  # one table as a single CSV file
        chosen = [t for t in tables if t.name == table]
        if not chosen or fmt != "csv":
            raise Http404(_("No such table."))
        return _file(exports.table_csv(chosen[0]), "text/csv; charset=utf-8", f"{prefix}-{table}.csv")
    content, content_type, filename = exports.render_dataset(tables, fmt, prefix)
    return _file(content, content_type, filename)
