"""Download and upload of the agency Excel workbook (thin: the rules are in excel/ and the policy)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from sixcore.accounts.models import Agency
from sixcore.accounts.policy import EDITOR_ROLES, is_ndc
from sixcore.core.roc import RocDateError
from sixcore.core.uploads import UploadRefused, check_upload

from . import excel
from .models import ReportingPeriod
from .services import reporting_agency

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def _period(code: str | None) -> ReportingPeriod:
    try:
        return ReportingPeriod.by_code(code or "")
    except (ReportingPeriod.DoesNotExist, RocDateError, ValueError):
        raise Http404(gettext("No such reporting period.")) from None


def _own_agency(user) -> Agency:
    agency = reporting_agency(user.agency) if user.agency_id else None
    if agency is None:
        raise PermissionDenied(gettext("Your account reports for no agency."))
    return agency


@login_required
@require_GET
def download(request: HttpRequest) -> HttpResponse:
    """``?period=111Q2`` → the user's agency's workbook (``&format=ods`` for ODF, else .xlsx); NDC staff
    choose the agency with ``&agency=moea``."""
    period = _period(request.GET.get("period"))
    code = request.GET.get("agency")
    if is_ndc(request.user):
        if not code:
            raise Http404(gettext("Choose an agency."))
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise Http404(gettext("No such agency."))
    else:
        agency = _own_agency(request.user)
        if code and code != agency.code:
            raise PermissionDenied(gettext("You may not download another agency's workbook."))
    if not excel.agency_submissions(period, agency, request.user):
        raise Http404(gettext("No report of this agency in this period."))
    fmt = "ods" if request.GET.get("format") == "ods" else "xlsx"
    content = excel.build_workbook(period, agency, request.user, fmt)
    response = HttpResponse(content, content_type=ODS if fmt == "ods" else XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"sixcore_{period.code}_{agency.code}.{fmt}"
    )
    response["Cache-Control"] = "no-store"  # drafts are not public
    return response


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form; POST: validate and apply the workbook, then list problems or the changes."""
    if request.user.role not in EDITOR_ROLES:
        raise PermissionDenied(gettext("Only agency editors may upload a workbook."))
    if request.method == "GET":
        return render(request, "progress/excel_result.html", {"result": None})
    upload_file = request.FILES.get("file")
    if upload_file is None:
        result = excel.ImportResult(
            problems=[excel.Problem("", "", gettext("Choose the workbook (.xlsx or .ods) to upload."))]
        )
    elif upload_file.size > excel.MAX_UPLOAD_BYTES:
        result = excel.ImportResult(problems=[excel.Problem("", "", excel.too_large())])
    else:
        try:
            # Shared checks first (macros, zip bombs, HTML renamed .xlsx); excel/ then reads the workbook.
            checked = check_upload(
                upload_file, [".ods", ".xlsx"], excel.MAX_UPLOAD_BYTES, default_kind=".xlsx"
            )
        except UploadRefused as exc:
            result = excel.ImportResult(problems=[excel.Problem("", "", str(exc))])
        else:
            result = excel.import_workbook(checked.content, request.user)
    status = 200 if result.ok else 400
    return render(
        request,
        "progress/excel_result.html",
        {"result": result, "file_name": getattr(upload_file, "name", "")},
        status=status,
    )
