"""Web views of the quarterly cycle. Thin: rules live in workflow.py, services.py and policy.py."""

from __future__ import annotations

import hashlib
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sixcore.accounts.policy import is_ndc, is_ndc_admin
from sixcore.core.changelog import history_context
from sixcore.core.roc import RocDateError
from sixcore.core.uploads import UploadRefused, check_upload
from sixcore.plan.models import AnnualTarget

from . import workflow
from .choices import BudgetUnit, SubmissionStatus, WorkItemStatus
from .clock import today
from .extensions import report_parts, report_save_errors
from .forms import (
    ALLOWED_ATTACHMENTS,
    AttachmentForm,
    CommentForm,
    ReopenPeriodForm,
    build_cells,
    changes_from_post,
    dom_id,
)
from .models import Attachment, PeriodReopening, ReportingPeriod, Submission
from .periods import period_state
from .policy import submission_policy
from .services import ConflictError, LineErrors, save_lines

# What the user reads once a step is done (not the bare status: "完成：草稿。" after a return).
TRANSITION_DONE = {
    "submit": lambda: _("Submitted for review."),
    "consolidate": lambda: _("Consolidated into the industry's report."),
    "approve": lambda: _("Approved."),
    "return": lambda: _("Returned for revision; the agency sees your comment."),
    "reopen": lambda: _("Reopened for correction."),
    "internal_review": lambda: _("Sent to your supervisor for internal review (陳核)."),
    "internal_return": lambda: _("Sent back to the officer; they see your comment in the history."),
}

TRANSITIONS = {
    "submit": workflow.submit,
    "consolidate": workflow.consolidate,
    "approve": workflow.approve,
    "return": workflow.return_for_revision,
    "reopen": workflow.reopen,
    "internal_review": workflow.request_internal_review,
    "internal_return": workflow.return_internally,
}


def _current_period(request: HttpRequest) -> ReportingPeriod:
    code = request.GET.get("period")
    if code:
        try:
            return ReportingPeriod.by_code(code)
        except (ReportingPeriod.DoesNotExist, RocDateError):
            raise Http404(_("No reporting period %(code)s.") % {"code": code}) from None
    # Default: the latest period whose quarter has ended by "today", else the first.
    now = today()
    periods = [p for p in ReportingPeriod.objects.all() if p.end <= now or p.start <= now]
    return periods[-1] if periods else ReportingPeriod.objects.first()


@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    """The submissions of a period that the user may see, with completeness and timeliness: a
    function of the user, the period, the data and the date, so served from the page cache (an
    officer's work list, opened again after every action)."""
    period = _current_period(request)
    submissions = list(
        submission_policy.visible(request.user, period.submissions.all())
        .select_related("industry", "agency", "period")
        .order_by("industry__code", "agency__order")
    )
    all_units = period.submissions.all()
    counts = Counter(all_units.values_list("status", flat=True))
    not_submitted = (
        all_units.filter(status=SubmissionStatus.DRAFT)
        .select_related("agency", "industry")
        .order_by("industry__code")
        if is_ndc(request.user)
        else []
    )
    late = [s for s in submissions if s.submitted_late]
    returned = (
        all_units.filter(status=SubmissionStatus.DRAFT, returned_at__isnull=False)
        .filter(Q(approved_at__isnull=True) | Q(returned_at__gte=F("approved_at")))
        .count()
    )
    return render(
        request,
        "progress/submission_list.html",
        {
            "period": period,
            "periods": ReportingPeriod.objects.all(),
            "state": period_state(period, request.user.agency),
            "submissions": submissions,
            # A returned report is a draft to the workflow; people count it apart (已退回).
            "counts": {
                status: counts.get(status, 0) - (returned if status == SubmissionStatus.DRAFT else 0)
                for status in SubmissionStatus.values
            },
            "total": sum(counts.values()),
            "returned": returned,
            "not_submitted": not_submitted,
            "late": late,
            "can_bulk_approve": is_ndc(request.user),
            "is_ndc_admin": is_ndc_admin(request.user),
            "reopen_form": ReopenPeriodForm() if is_ndc_admin(request.user) else None,
            "today": today(),
        },
    )


def _visible_submission(request: HttpRequest, pk: int) -> Submission:
    queryset = submission_policy.visible(request.user, Submission.objects.filter(pk=pk))
    # Another agency's draft is "not found", not "forbidden": its existence is not disclosed.
    return get_object_or_404(queryset.select_related("period", "industry", "agency"))


def _kpi_target(report) -> None:
    """This year's target of a KPI line: its text, unit (from the plan data) and whether it is a
    milestone (then the form asks done / not done rather than a figure)."""
    targets = report.kpi.this_year
    target = (targets[0].target or {}) if targets else {}
    full = report.kpi.full_term_target or {}
    report.target_text = targets[0].cell.text if targets else ""
    report.unit = target.get("unit") or full.get("unit") or ""
    report.is_milestone = target.get("kind") == "milestone" or (
        not target and full.get("kind") == "milestone"
    )


def _lines_context(submission: Submission) -> dict:
    year = submission.period.roc_year
    kpi_reports = list(
        submission.kpi_reports.select_related("kpi__measure").prefetch_related(
            Prefetch(
                "kpi__annual_targets",
                queryset=AnnualTarget.objects.filter(year=year).select_related("cell"),
                to_attr="this_year",
            )
        )
    )
    at = min(submission.period.end, today())
    measure_reports = list(submission.measure_reports.select_related("measure"))
    item_reports = list(submission.work_item_reports.select_related("work_item__schedule"))
    budget_reports = list(submission.budget_reports.select_related("measure"))
    for report in measure_reports + budget_reports:
        report.form_code = report.measure.code
    for report in kpi_reports:
        report.form_code = f"{report.kpi.measure.code}/{report.kpi.code}"
        _kpi_target(report)
    for report in item_reports:
        report.form_code = f"{report.work_item.schedule.code}/{report.work_item.code}"
        report.planned = workflow.planned_percent(report.work_item.start, report.work_item.end, at)
        report.lagging = workflow.is_lagging(report, at)
    return {
        "measure_reports": measure_reports,
        "kpi_reports": kpi_reports,
        "item_reports": item_reports,
        "budget_reports": budget_reports,
        "attachments": list(submission.attachments.all()),
        "work_item_statuses": WorkItemStatus.choices,
        "budget_units": BudgetUnit.choices,
        "lines_as_of": at,
    }


def _save_and_maybe_submit(request: HttpRequest, submission: Submission) -> HttpResponse | None:
    """Save the form; with 送出審查 (``then=submit``) submit it once saved, so no edit is ever dropped.
    Returns the redirect after success, or None when the save was refused (the page is shown again)."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    with transaction.atomic():
        save_lines(submission, request.user, version, changes_from_post(request.POST))
        # The parts other apps keep (追蹤事項辦理情形): saved with the lines, all or nothing.
        for part in report_parts():
            part.save_from_post(request.user, submission, request.POST)
    then = request.POST.get("then")
    if then in ("submit", "internal_review"):  # 儲存並送出審查, 儲存並陳核
        try:
            TRANSITIONS[then](submission, request.user)
        except workflow.IncompleteSubmission as exc:
            messages.warning(
                request,
                _("Saved, but not submitted yet.")
                if then == "submit"
                else _("Saved, but not sent for internal review yet."),
            )
            for problem in exc.problems:
                messages.error(request, problem)
        except (workflow.InvalidTransition, PermissionDenied) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, TRANSITION_DONE[then]())
    else:
        messages.success(request, _("Saved."))
    return redirect("progress:submission", pk=submission.pk)


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Read, edit (own draft), and move a submission through the workflow; its history.

    A refused save (invalid values, or a colleague saved first) shows the page again with everything
    the user typed, each error at its field; after a conflict each disputed field shows both values."""
    submission = _visible_submission(request, pk)
    user = request.user
    conflict = None
    errors: list[dict] = []
    if request.method == "POST":
        if not submission_policy.can_edit(user, submission):
            raise PermissionDenied(_("You may not edit this submission."))
        try:
            return _save_and_maybe_submit(request, submission)
        except ConflictError as exc:
            conflict = exc
            submission.refresh_from_db()
        except LineErrors as exc:
            errors = [{**e, "anchor": dom_id(e["name"]) if e["name"] else ""} for e in exc.errors]
        except report_save_errors() as exc:
            part = next(p for p in report_parts() if isinstance(exc, p.save_errors))
            errors = [
                {**e, "anchor": dom_id(e["name"]) if e["name"] else ""} for e in part.errors_for_form(exc)
            ]
    lines = _lines_context(submission)
    refused = bool(errors or conflict)
    originals = build_cells(
        {
            "measures": lines["measure_reports"],
            "kpis": lines["kpi_reports"],
            "work_items": lines["item_reports"],
            "budget": lines["budget_reports"],
        },
        request.POST if refused else None,
        errors,
        conflict=conflict is not None,
    )
    conflicts = (
        [
            cell
            for kind in ("measure_reports", "kpi_reports", "item_reports", "budget_reports")
            for report in lines[kind]
            for cell in report.cells.values()
            if cell.theirs is not None
        ]
        if conflict
        else []
    )
    context = {
        "submission": submission,
        "can_edit": submission_policy.can_edit(user, submission),
        "can_submit": submission_policy.can_submit(user, submission),
        "can_consolidate": submission_policy.can_consolidate(user, submission),
        "can_review": submission_policy.can_review(user, submission),
        "can_reopen": submission_policy.can_reopen(user, submission),
        "can_internal_review": submission_policy.can_request_internal_review(user, submission),
        "can_internal_return": submission_policy.can_return_internally(user, submission),
        **history_context(submission),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "errors": errors,
        "conflict": conflict,
        "conflicts": conflicts,
        "originals": originals,
        # The lines are loaded once, for the page and for the completeness check. After a refused save
        # the form holds what the user typed, not the saved lines the check reads: a list of the saved
        # version's gaps would contradict the values on screen, so it waits for the next save.
        "problems": workflow.completeness_problems(
            submission,
            lines["item_reports"],
            lines["lines_as_of"],
            measure_reports=lines["measure_reports"],
            kpi_reports=lines["kpi_reports"],
        )
        if submission.status == SubmissionStatus.DRAFT and not refused
        else [],
        "problems_deferred": refused and submission.status == SubmissionStatus.DRAFT,
        **{
            part.context_name: part.section(submission, request.POST if refused else None, errors)
            for part in report_parts()
        },
        **lines,
    }
    # 200 even when the save was refused: the page is the answer (a 4xx page is logged by browsers as
    # a failed resource); the API answers 400/409.
    return render(request, "progress/submission_detail.html", context)


@login_required
def submission_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in TRANSITIONS:
        raise Http404
    submission = _visible_submission(request, pk)
    comment = request.POST.get("comment", "")[:4000]
    try:
        TRANSITIONS[action](submission, request.user, comment)
    except workflow.IncompleteSubmission as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except workflow.InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, TRANSITION_DONE[action]())
    return redirect("progress:submission", pk=submission.pk)


@login_required
def bulk_approve(request: HttpRequest) -> HttpResponse:
    """NDC approves several submitted reports at once; each is its own transition (all or nothing)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not is_ndc(request.user):
        raise PermissionDenied
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    period = request.POST.get("period", "")
    if not ids:
        messages.error(request, _("Select at least one report to approve."))
        return redirect(f"{reverse('progress:submissions')}?period={period}")
    try:
        with transaction.atomic():
            for submission in Submission.objects.filter(pk__in=ids):
                workflow.approve(submission, request.user, request.POST.get("comment", ""))
    except (workflow.InvalidTransition, PermissionDenied) as exc:
        messages.error(request, _("Nothing was approved: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, _("%(n)s submissions approved.") % {"n": len(ids)})
    return redirect(f"{reverse('progress:submissions')}?period={period}")


@login_required
def reopen_period(request: HttpRequest, code: str) -> HttpResponse:
    """NDC administrators reopen a locked period for one agency, with a reason."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not is_ndc_admin(request.user):
        raise PermissionDenied
    try:
        period = ReportingPeriod.by_code(code)
    except (ReportingPeriod.DoesNotExist, RocDateError):
        raise Http404 from None
    form = ReopenPeriodForm(request.POST)
    if form.is_valid():
        PeriodReopening.objects.create(period=period, opened_by=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("%(period)s reopened for %(agency)s.")
            % {"period": period.label, "agency": form.cleaned_data["agency"]},
        )
    else:
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label if field in form.fields else field}: {' '.join(errors)}"
            )
    return redirect(f"{reverse('progress:submissions')}?period={period.code}")


@login_required
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    submission = _visible_submission(request, pk)
    if not submission_policy.can_edit(request.user, submission):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # Beyond the form's name/magic check: zip bombs, macros and non-OOXML zips in docx/xlsx.
            check_upload(upload, ALLOWED_ATTACHMENTS, settings.ATTACHMENT_MAX_BYTES)
        except UploadRefused as exc:
            messages.error(request, str(exc))
            return redirect("progress:submission", pk=submission.pk)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        Attachment.objects.create(
            submission=submission,
            file=upload,
            original_name=upload.name[:255],
            content_type=upload.content_type or "application/octet-stream",
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=request.user,
        )
        messages.success(request, _("Attached %(name)s.") % {"name": upload.name})
    else:
        for error in form.errors.get("file", []):
            messages.error(request, error)
    return redirect("progress:submission", pk=submission.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    submission = _visible_submission(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_id, submission=submission)
    # Always a download, never rendered inline: an uploaded file is never served as a page.
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
