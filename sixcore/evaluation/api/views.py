"""Evaluation API: KPI lights and roll-ups of a period, within the caller's scope (anonymous →
approved reports only), read from the stored evaluation (``read.evaluation_for``) like the dashboards."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from sixcore.api.errors import NOT_FOUND, VALIDATION_ERROR
from sixcore.core.roc import RocDateError
from sixcore.progress.models import ReportingPeriod

from .. import read, service, summary
from .serializers import KpiEvaluationSerializer, RollUpSerializer

PERIOD = OpenApiParameter("period", OpenApiTypes.STR, required=True, description="ROC quarter, e.g. 111Q2")
# 400: no or a malformed period (or an unknown ``by``); 404: no such reporting period.
ERRORS = {400: VALIDATION_ERROR, 404: NOT_FOUND}


def _evaluation(request) -> service.Evaluation:
    return read.evaluation_for(_period(request), request.user)


def _period(request) -> ReportingPeriod:
    code = request.query_params.get("period")
    if not code:
        raise ValidationError({"period": "required, e.g. 111Q2"})
    try:
        period = ReportingPeriod.by_code(code)
    except RocDateError as exc:
        raise ValidationError({"period": str(exc)}) from None
    except ReportingPeriod.DoesNotExist:
        raise NotFound(f"no reporting period {code}") from None
    return period


class KpiEvaluationView(APIView):
    """Every KPI of the revision in force: expected value, actual, achievement and light."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[PERIOD],
        responses={200: KpiEvaluationSerializer(many=True), **ERRORS},
        tags=["evaluation"],
    )
    def get(self, request):
        evaluation = _evaluation(request)
        return Response(KpiEvaluationSerializer(evaluation.kpis, many=True).data)


class RollUpView(APIView):
    """KPI lights and weighted achievement per industry, strategy, measure or agency."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            PERIOD,
            OpenApiParameter(
                "by", OpenApiTypes.STR, enum=list(service.ROLLUP_KINDS), description="default industry"
            ),
        ],
        responses={200: RollUpSerializer(many=True), **ERRORS},
        tags=["evaluation"],
    )
    def get(self, request):
        by = request.query_params.get("by", "industry")
        if by not in service.ROLLUP_KINDS:
            raise ValidationError({"by": f"one of {', '.join(service.ROLLUP_KINDS)}"})
        period = _period(request)
        return Response(RollUpSerializer(summary.program_rollups(period, request.user, by), many=True).data)
