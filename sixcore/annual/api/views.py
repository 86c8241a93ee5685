"""REST API of the year-end evaluation under /api/annual-evaluations/.

Read: evaluations the caller may see (``annual_policy.visible``: published ones for everybody, drafts
within scope; another agency's draft is 404), and the year's indicators, grades and calendar (public).
Write: scoring (``PATCH …/{id}/scores/``) and the steps (``POST …/{id}/submit-self/`` …), each asking
the policy for the caller's right before reading the body (403 before any 400), then calling
``services`` inside one transaction; the domain refusals become HTTP statuses here.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sixcore.accounts.api.filters import agency_and_units
from sixcore.api import errors
from sixcore.api.pagination import BoundedLimitOffsetPagination
from sixcore.api.views import NulSafeLookupMixin
from sixcore.progress.api.errors import CycleErrorsMixin

from .. import services
from ..choices import SCORING_STAGE, Stage
from ..exceptions import DeadlinePassed, EvaluationConflict, Problems
from ..models import AnnualCycle, AnnualEvaluation, GradeThreshold, Indicator, IndicatorScore
from ..policy import annual_policy
from . import serializers as s

TAGS = ["annual"]


class YearFilter(django_filters.CharFilter):
    """``?year=111`` (ROC); anything else is a 400 naming the field (never an SQL overflow)."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        if not (value.isascii() and value.isdigit() and 100 <= int(value) <= 200):
            raise ValidationError({"year": [f"{value!r} is not a ROC year like 111."]})
        return qs.filter(year=int(value))


class EvaluationFilter(django_filters.FilterSet):
    year = YearFilter(help_text="ROC year, e.g. 111.")
    industry = django_filters.CharFilter(field_name="industry__code", help_text="Industry code, e.g. 1.")
    agency = django_filters.CharFilter(method="filter_agency", help_text="Agency code (with its sub-units).")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = AnnualEvaluation
        fields = ["year", "industry", "agency", "stage"]

    def filter_agency(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(agency__in=agency_and_units(value))


class YearOnlyFilter(django_filters.FilterSet):
    year = YearFilter(help_text="ROC year, e.g. 111.")


class IndicatorFilter(YearOnlyFilter):
    class Meta:
        model = Indicator
        fields = ["year"]


class GradeThresholdFilter(YearOnlyFilter):
    class Meta:
        model = GradeThreshold
        fields = ["year"]


class CycleFilter(YearOnlyFilter):
    class Meta:
        model = AnnualCycle
        fields = ["year"]


LIST_ERRORS = {400: errors.VALIDATION_ERROR}


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="The year's evaluation indicators and weights (public).",
        responses={200: s.IndicatorSerializer(many=True), **LIST_ERRORS},
    )
)
class IndicatorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Indicator.objects.order_by("year", "order", "code")
    serializer_class = s.IndicatorSerializer
    filterset_class = IndicatorFilter
    pagination_class = BoundedLimitOffsetPagination


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="The year's grades and their lowest scores (public).",
        responses={200: s.GradeThresholdSerializer(many=True), **LIST_ERRORS},
    )
)
class GradeThresholdViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = GradeThreshold.objects.order_by("year", "-min_score")
    serializer_class = s.GradeThresholdSerializer
    filterset_class = GradeThresholdFilter
    pagination_class = BoundedLimitOffsetPagination


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="The evaluation calendar of each year (public).",
        responses={200: s.AnnualCycleSerializer(many=True), **LIST_ERRORS},
    )
)
class CycleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = AnnualCycle.objects.order_by("year")
    serializer_class = s.AnnualCycleSerializer
    filterset_class = CycleFilter
    pagination_class = BoundedLimitOffsetPagination


EVALUATION_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Year-end evaluation id.")
STEP_ERRORS = {
    400: OpenApiResponse(s.AnnualProblemsSerializer, description="Not ready for this step, or a bad body."),
    401: errors.NOT_AUTHENTICATED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    409: OpenApiResponse(
        s.AnnualWrongStageSerializer, description="Wrong stage, or the deadline has passed."
    ),
}


def step_schema(summary: str, request: type, example: dict[str, Any]) -> Any:
    return extend_schema(
        tags=TAGS,
        summary=summary,
        parameters=[EVALUATION_PATH],
        request=request,
        responses={200: s.AnnualEvaluationDetailSerializer, **STEP_ERRORS},
        examples=[OpenApiExample("body", value=example, request_only=True)],
    )


def _with_scores(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch("scores", queryset=IndicatorScore.objects.select_related("indicator"))
    )


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="Year-end evaluations the caller may see (published ones for everybody, drafts within scope).",
        responses={200: s.AnnualEvaluationSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="One evaluation: scores of each stage, totals, deadline and the caller's next steps.",
        parameters=[EVALUATION_PATH],
        responses={200: s.AnnualEvaluationDetailSerializer, 404: errors.NOT_FOUND},
    ),
)
class AnnualEvaluationViewSet(NulSafeLookupMixin, CycleErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """One evaluation per (year, industry, agency) with its scores of each stage and ``version``.

    Invisible evaluations (another agency's drafts) are 404 for every method; readable ones the caller
    may not act on are 403 on writes.
    """

    filterset_class = EvaluationFilter
    pagination_class = BoundedLimitOffsetPagination
    # Any segment reaches the view, so that a malformed id is the API's JSON 404, not Django's HTML one.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[AnnualEvaluation]:
        base = AnnualEvaluation.objects.select_related("industry", "agency").order_by(
            "-year", "industry__code", "agency__order", "pk"
        )
        if getattr(self, "swagger_fake_view", False):
            return base.none()
        queryset = annual_policy.visible(self.request.user, base)
        return queryset if self.action == "list" else _with_scores(queryset)

    def get_object(self) -> AnnualEvaluation:
        value = self.kwargs.get("pk", "")
        if not (str(value).isascii() and str(value).isdigit()) or int(value) > 2**31:
            raise NotFound()
        return super().get_object()

    def get_serializer_class(self) -> type:
        return s.AnnualEvaluationSerializer if self.action == "list" else s.AnnualEvaluationDetailSerializer

    def detail_response(self, pk: int) -> Response:
        """The evaluation as stored now (re-read: a write changed its scores, stage and version)."""
        evaluation = _with_scores(AnnualEvaluation.objects.select_related("industry", "agency")).get(pk=pk)
        return Response(
            s.AnnualEvaluationDetailSerializer(evaluation, context=self.get_serializer_context()).data
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, EvaluationConflict):
            return Response(
                {"detail": str(exc), "current": self.detail_response(exc.evaluation.pk).data},
                status=status.HTTP_409_CONFLICT,
            )
        if isinstance(exc, Problems):
            return Response(
                {"detail": str(exc), "problems": [str(p) for p in exc.problems], "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, DeadlinePassed):
            return Response({"detail": str(exc), "field": exc.field}, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)

    def _step(self, request: Request, action_name: str, call) -> Response:
        evaluation = self.get_object()
        if not annual_policy.may(action_name, request.user, evaluation):
            raise PermissionDenied(services.refusal(action_name))
        serializer = {"reopen": s.AnnualReasonSerializer, "extend": s.ExtendSerializer}.get(
            action_name, s.AnnualStepSerializer
        )
        body = serializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            call(evaluation, request.user, body.validated_data)
        return self.detail_response(evaluation.pk)

    @extend_schema(
        tags=TAGS,
        summary="Write one stage's scores and texts (all or nothing, guarded by version).",
        parameters=[EVALUATION_PATH],
        request=s.ScoresPatchSerializer,
        responses={200: s.AnnualEvaluationDetailSerializer, **STEP_ERRORS},
        examples=[
            OpenApiExample(
                "self-assessment",
                value={
                    "stage": "self",
                    "version": 2,
                    "scores": {
                        "planning": {"score": 85, "comment": "分工明確"},
                        "budget": {"argued_score": 95, "argued_reason": "追加預算於 12 月撥付"},
                    },
                    "self_summary": "…",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["patch"])
    def scores(self, request: Request, pk: str | None = None) -> Response:
        evaluation = self.get_object()
        # The right before the body: a caller who may not score the stage being scored now learns
        # nothing from a 400 (once no stage scores, those with a right to some stage get the 409).
        current = [st for st, during in SCORING_STAGE.items() if during == evaluation.stage]
        stages = current or list(SCORING_STAGE)
        if not any(annual_policy.may_score(request.user, evaluation, st) for st in stages):
            raise PermissionDenied(services.refusal("score"))
        body = s.ScoresPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            services.save_scores(
                evaluation, request.user, data["stage"], data["version"], data.get("scores", {}), body.texts()
            )
        return self.detail_response(evaluation.pk)

    @step_schema(
        "Submit the self-assessment (agency editor).", s.AnnualStepSerializer, {"comment": "自評完成"}
    )
    @action(detail=True, methods=["post"], url_path="submit-self", url_name="submit-self")
    def submit_self(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "submit_self", lambda e, u, d: services.submit_self(e, u, d["comment"]))

    @step_schema(
        "Complete the initial review (industry lead unit).", s.AnnualStepSerializer, {"comment": "初核完成"}
    )
    @action(detail=True, methods=["post"], url_path="complete-initial", url_name="complete-initial")
    def complete_initial(self, request: Request, pk: str | None = None) -> Response:
        return self._step(
            request, "complete_initial", lambda e, u, d: services.complete_initial(e, u, d["comment"])
        )

    @step_schema(
        "Complete the NDC review: final score and grade (NDC).", s.AnnualStepSerializer, {"comment": ""}
    )
    @action(detail=True, methods=["post"], url_path="complete-review", url_name="complete-review")
    def complete_review(self, request: Request, pk: str | None = None) -> Response:
        return self._step(
            request, "complete_review", lambda e, u, d: services.complete_review(e, u, d["comment"])
        )

    @step_schema(
        "Approve (核定) the reviewed evaluation (NDC administrator).", s.AnnualStepSerializer, {"comment": ""}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "approve", lambda e, u, d: services.approve(e, u, d["comment"]))

    @step_schema(
        "Publish (公告) the approved evaluation (NDC administrator).", s.AnnualStepSerializer, {"comment": ""}
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "publish", lambda e, u, d: services.publish(e, u, d["comment"]))

    @step_schema(
        "Return to the previous stage; comment required.",
        s.AnnualStepSerializer,
        {"comment": "請補充佐證資料"},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_previous(self, request: Request, pk: str | None = None) -> Response:
        return self._step(
            request, "return", lambda e, u, d: services.return_to_previous(e, u, d["comment"], d["until"])
        )

    @step_schema(
        "Reopen a published evaluation (NDC administrator); reason required.",
        s.AnnualReasonSerializer,
        {"reason": "經費數值誤植"},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "reopen", lambda e, u, d: services.reopen(e, u, d["reason"]))

    @step_schema(
        "Extend the current stage's deadline for this evaluation (NDC).",
        s.ExtendSerializer,
        {"until": "2024-03-31", "reason": "系統維護順延"},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "extend", lambda e, u, d: services.extend(e, u, d["until"], d["reason"]))
