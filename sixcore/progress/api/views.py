"""The quarterly cycle's API: periods, submissions and KPI actuals, read and written within the caller's
scope.

Views are thin. Who may see and do what is asked of ``progress/policy.submission_policy``; lines are
written by ``progress/services.save_lines`` and steps taken by ``progress/workflow``; the domain
exceptions become HTTP statuses in :class:`~sixcore.progress.api.errors.CycleErrorsMixin`. Each write
runs in one transaction, so a request that fails leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from sixcore.accounts.models import Agency
from sixcore.accounts.policy import EDITOR_ROLES, agency_scope
from sixcore.api import errors
from sixcore.api.pagination import BoundedLimitOffsetPagination
from sixcore.core.roc import RocDateError, parse_quarter

from .. import models as progress
from .. import workflow
from ..choices import SubmissionStatus
from ..periods import CycleReads, period_states, period_writable
from ..policy import submission_policy
from ..services import ConflictError, save_lines
from . import filters
from . import serializers as s
from .errors import CycleErrorsMixin


def _caller_agency(request: Request) -> Agency | None:
    user = request.user
    return user.agency if getattr(user, "is_authenticated", False) and user.agency_id else None


@extend_schema_view(
    list=extend_schema(tags=["cycle"], responses={200: s.PeriodSerializer(many=True)}),
    retrieve=extend_schema(
        tags=["cycle"],
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH, description="e.g. 111Q2 or 2022Q2.")
        ],
        responses={200: s.PeriodSerializer, 404: errors.NOT_FOUND},
    ),
)
class PeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Reporting quarters with their due dates and state (for the caller's agency when signed in)."""

    serializer_class = s.PeriodSerializer
    pagination_class = BoundedLimitOffsetPagination
    queryset = progress.ReportingPeriod.objects.order_by("roc_year", "quarter")
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_object(self) -> progress.ReportingPeriod:
        code = self.kwargs["code"]
        try:
            roc_year, quarter = parse_quarter(code)
        except RocDateError:
            raise NotFound(f"{code!r} is not a reporting quarter like 111Q2.") from None
        return get_object_or_404(self.get_queryset(), roc_year=roc_year, quarter=quarter)

    def _context_for(self, periods: list[progress.ReportingPeriod]) -> dict[str, Any]:
        return {
            **self.get_serializer_context(),
            "states": period_states(periods, _caller_agency(self.request)),
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        periods = list(self.paginate_queryset(self.get_queryset()) or [])
        data = s.PeriodSerializer(periods, many=True, context=self._context_for(periods)).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        period = self.get_object()
        return Response(s.PeriodSerializer(period, context=self._context_for([period])).data)


def _line_prefetches() -> list[Prefetch | str]:
    # Without the plan's columns no line shows (transcription notes, parsed targets, inferred dates):
    # decoding their JSON and text was a good part of a detail's CPU.
    measure_unused = ("measure__notes", "measure__code_as_written")
    return [
        Prefetch(
            "measure_reports",
            queryset=progress.MeasureReport.objects.select_related("measure").defer(*measure_unused),
        ),
        Prefetch(
            "kpi_reports",
            queryset=progress.KPIReport.objects.select_related("kpi__measure").defer(
                "kpi__notes",
                "kpi__full_term_target",
                "kpi__extra_lines",
                *(f"kpi__{f}" for f in measure_unused),
            ),
        ),
        Prefetch(
            "work_item_reports",
            queryset=progress.WorkItemReport.objects.select_related("work_item__schedule").defer(
                "work_item__notes",
                "work_item__inferred",
                "work_item__schedule__notes",
                "work_item__schedule__heading_agency_names",
            ),
        ),
        Prefetch(
            "budget_reports",
            queryset=progress.BudgetReport.objects.select_related("measure").defer(*measure_unused),
        ),
        "attachments",
    ]


def _submission_lines(queryset: QuerySet[progress.Submission]) -> QuerySet[progress.Submission]:
    return queryset.prefetch_related(*_line_prefetches())


SUBMISSION_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Submission id.")
TRANSITION_ERRORS = {
    400: errors.INCOMPLETE,
    401: errors.NOT_AUTHENTICATED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    409: errors.WRONG_STATE,
}


def transition_schema(summary: str, example: dict[str, str]) -> Any:
    return extend_schema(
        tags=["cycle"],
        summary=summary,
        parameters=[SUBMISSION_PATH],
        request=s.TransitionSerializer,
        responses={200: s.SubmissionDetailSerializer, **TRANSITION_ERRORS},
        examples=[OpenApiExample("body", value=example, request_only=True)],
    )


@extend_schema_view(
    list=extend_schema(
        tags=["cycle"],
        summary="Submissions the caller may see (approved ones for everybody, drafts within scope).",
        responses={200: s.SubmissionSerializer(many=True), 400: errors.VALIDATION_ERROR},
    ),
    retrieve=extend_schema(
        tags=["cycle"],
        parameters=[SUBMISSION_PATH],
        responses={200: s.SubmissionDetailSerializer, 404: errors.NOT_FOUND},
    ),
)
class SubmissionViewSet(CycleErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """Agency submissions: one per (period, industry, agency), with their lines and ``version``.

    Invisible submissions (another agency's drafts) are 404 for every method, readable-but-not-yours
    ones 403 on writes.
    """

    filterset_class = filters.SubmissionFilter
    pagination_class = BoundedLimitOffsetPagination
    # Any segment reaches the view, so that a malformed id is the API's JSON 404, not Django's HTML one.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[progress.Submission]:
        base = progress.Submission.objects.select_related("period", "industry", "agency")
        if getattr(self, "swagger_fake_view", False):
            return base.none()
        queryset = submission_policy.visible(self.request.user, base)
        # Only a read of one submission shows its lines: a write answers with ``detail_response``
        # (re-read after the write), so its lookup needs the row alone.
        return _submission_lines(queryset) if self.action == "retrieve" else queryset

    def get_serializer_class(self) -> type:
        return s.SubmissionSerializer if self.action == "list" else s.SubmissionDetailSerializer

    def cycle_reads(self) -> CycleReads:
        """The request's reads of the cycle's settings, shared by the check before a write and the
        answer after it (a view instance serves one request); the locked step reads its own."""
        if not hasattr(self, "_cycle_reads"):
            self._cycle_reads = CycleReads()
        return self._cycle_reads

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "cycle_reads": self.cycle_reads()}

    def detail_response(self, pk: int) -> Response:
        """The submission as stored now (re-read: a write changed its lines and version)."""
        submission = _submission_lines(
            progress.Submission.objects.select_related("period", "industry", "agency")
        ).get(pk=pk)
        return Response(s.SubmissionDetailSerializer(submission, context=self.get_serializer_context()).data)

    def written_response(self, submission: progress.Submission) -> Response:
        """The answer of a write: the submission the write refreshed from its row before the commit
        (``save_lines`` and the steps do; its period, industry and agency stay loaded), with its lines
        read now."""
        prefetch_related_objects([submission], *_line_prefetches())
        return Response(s.SubmissionDetailSerializer(submission, context=self.get_serializer_context()).data)

    def conflict_body(self, exc: ConflictError) -> dict:
        current = self.detail_response(exc.submission.pk).data
        return {"detail": str(exc), "current": current}

    @extend_schema(
        tags=["cycle"],
        summary="Change lines of the submission (all or nothing, guarded by version).",
        parameters=[SUBMISSION_PATH],
        request=s.LinesPatchSerializer,
        responses={
            200: s.SubmissionDetailSerializer,
            400: OpenApiResponse(
                errors.LineErrorsSerializer,
                description="Invalid lines (`errors`), or an invalid body (`{field: [message]}`).",
            ),
            401: errors.NOT_AUTHENTICATED,
            403: errors.FORBIDDEN,
            404: errors.NOT_FOUND,
            409: OpenApiResponse(
                s.ConflictSerializer,
                description="Changed since `version`: nothing saved; `current` is the stored data.",
            ),
        },
        examples=[
            OpenApiExample(
                "KPI actual and a narrative",
                value={
                    "version": 3,
                    "kpis": {"1.2.2": {"value": 5, "note": "2 家完成簽約"}},
                    "measures": {"1.2": {"progress": "…"}},
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["patch"])
    def lines(self, request: Request, pk: str | None = None) -> Response:
        submission = self.get_object()
        # The right before the body: a caller who may not write learns nothing from a 400.
        if not submission_policy.can_edit(request.user, submission, self.cycle_reads()):
            raise PermissionDenied(
                _("You may not edit this submission (not your agency's draft, or the period is locked).")
            )
        body = s.LinesPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = {kind: rows for kind, rows in body.validated_data.items() if kind != "version"}
        with transaction.atomic():
            save_lines(submission, request.user, body.validated_data["version"], changes)
        return self.written_response(submission)

    def _step(self, request: Request, step: Any, action: str) -> Response:
        submission = self.get_object()
        if not workflow.may(action, request.user, submission, self.cycle_reads()):
            raise PermissionDenied(
                _("You may not %(action)s this submission.") % {"action": workflow.ACTIONS[action]}
            )
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            step(submission, request.user, body.text)
        return self.written_response(submission)

    @transition_schema("Send the draft to review (agency editor).", {"comment": "第 2 季填報完成"})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.submit, "submit")

    @transition_schema("Take a submitted report into the industry's report (industry lead).", {"comment": ""})
    @action(detail=True, methods=["post"])
    def consolidate(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.consolidate, "consolidate")

    @transition_schema("Approve and publish (NDC).", {"comment": ""})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.approve, "approve")

    @transition_schema("Return to the agency for revision; comment required.", {"comment": "請補充落後原因"})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_revision(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.return_for_revision, "return")

    @transition_schema(
        "Send the draft to the agency's supervisor (陳核; agency editor, where NDC set internal review). "
        "Nobody edits it meanwhile; the supervisor submits it or sends it back.",
        {"comment": "請核閱第 2 季季報"},
    )
    @action(detail=True, methods=["post"], url_path="internal-review", url_name="internal-review")
    def internal_review(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.request_internal_review, "internal_review")

    @transition_schema(
        "Send a report under 陳核 back to the officer (the agency's supervisor); comment required.",
        {"comment": "請補充亮點"},
    )
    @action(detail=True, methods=["post"], url_path="internal-return", url_name="internal-return")
    def internal_return(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.return_internally, "internal_return")

    @transition_schema(
        "Reopen approved data for correction (NDC admin); reason required.", {"reason": "數值誤植"}
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, workflow.reopen, "reopen")


@extend_schema_view(
    list=extend_schema(
        tags=["cycle"],
        summary="KPI actuals of the submissions the caller may see.",
        responses={200: s.KPIReportSerializer(many=True), 400: errors.VALIDATION_ERROR},
    ),
    create=extend_schema(
        tags=["cycle"],
        summary="Set the caller's agency's actual of a KPI for a period.",
        request=s.KPIActualWriteSerializer,
        responses={
            200: OpenApiResponse(s.KPIReportSerializer, description="Updated (the actual was set before)."),
            201: OpenApiResponse(s.KPIReportSerializer, description="Created (the actual was empty before)."),
            400: errors.VALIDATION_ERROR,
            401: errors.NOT_AUTHENTICATED,
            403: errors.FORBIDDEN,
            409: OpenApiResponse(
                errors.ErrorSerializer,
                description="Period locked, submission not a draft, or changed concurrently.",
            ),
        },
        examples=[
            OpenApiExample(
                "actual",
                value={"kpi": "1.2.2", "period": "111Q2", "value": 5, "note": "…"},
                request_only=True,
            )
        ],
    ),
)
class KPIReportViewSet(CycleErrorsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """KPI actuals. ``POST`` writes the caller's agency's line through ``services.save_lines``."""

    filterset_class = filters.KPIReportFilter
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self) -> QuerySet[progress.KPIReport]:
        base = progress.KPIReport.objects.select_related(
            "submission__period", "submission__industry", "submission__agency", "kpi__measure"
        )
        if getattr(self, "swagger_fake_view", False):
            return base.none()
        visible = submission_policy.visible(self.request.user, progress.Submission.objects.all())
        return base.filter(submission__in=visible.values("pk")).order_by(
            "submission__period__roc_year",
            "submission__period__quarter",
            "submission__industry__code",
            "submission__agency__order",
            "kpi__measure__order",
            "kpi__order",
        )

    def get_serializer_class(self) -> type:
        return s.KPIActualWriteSerializer if self.action == "create" else s.KPIReportSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The rights before the values: first the role, then (the KPI and period are public, named by
        # the body) whether the caller's agency has the line; only then the line's values are validated.
        if getattr(request.user, "role", None) not in EDITOR_ROLES:
            raise PermissionDenied(_("Your role may read but not write report lines."))
        target = s.KPILineTargetSerializer(data=request.data)
        target.is_valid(raise_exception=True)
        kpi, period = target.validated_data["kpi"], target.validated_data["period"]
        with transaction.atomic():
            # The caller's agency's submission for the KPI's industry that has a line for this KPI.
            submission = (
                progress.Submission.objects.select_related("period", "agency")
                .filter(
                    period=period,
                    industry=kpi.measure.industry,
                    agency__in=agency_scope(request.user),
                    kpi_reports__kpi=kpi,
                )
                .first()
            )
            if submission is None:
                raise PermissionDenied(
                    f"Your agency is not on KPI {target.validated_data['kpi_label']} "
                    f"(no line for it in {period.code})."
                )
            body = s.KPIActualWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            if not period_writable(period, submission.agency):
                return Response(
                    {"detail": f"The period {period.code} is locked for {submission.agency.name}."},
                    status=status.HTTP_409_CONFLICT,
                )
            if submission.status != SubmissionStatus.DRAFT:
                return Response(
                    {
                        "detail": f"The submission is {submission.get_status_display()}: "
                        "only drafts can be changed (ask NDC to return or reopen it)."
                    },
                    status=status.HTTP_409_CONFLICT,
                )
            line = submission.kpi_reports.get(kpi=kpi)
            was_empty = line.value is None and line.done is None and not line.evidence and not line.note
            fields = {name: data[name] for name in s.KPIActualWriteSerializer.LINE_FIELDS if name in data}
            # "MEASURE/CODE" names the line even for a code printed under two measures (6.2.2).
            save_lines(
                submission,
                request.user,
                submission.version,
                {"kpis": {f"{kpi.measure.code}/{kpi.code}": fields}},
            )
        row = self.get_queryset().get(pk=line.pk)
        return Response(
            s.KPIReportSerializer(row).data,
            status=status.HTTP_201_CREATED if was_empty else status.HTTP_200_OK,
        )
