"""The plan API: public and read-only, one revision at a time (``?revision=N``, default the latest in
force). Views are thin: querysets select and prefetch what the serializers read, so a list costs a fixed
number of queries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sixcore.api import errors
from sixcore.api.pagination import BoundedLimitOffsetPagination
from sixcore.api.views import NulSafeLookupMixin
from sixcore.plan.models import programs_in_force

from .. import models as plan
from . import filters
from . import serializers as s

REVISION = OpenApiParameter(
    "revision",
    OpenApiTypes.INT,
    description="Plan revision (0 = 核定本); default the latest.",
)
PLAN_ERRORS = {400: errors.VALIDATION_ERROR, 404: errors.NOT_FOUND}


def plan_schema(serializer: type, tag: str = "plan") -> Any:
    """The schema of a read-only plan viewset: list and retrieve, both taking ``?revision=``."""
    return extend_schema_view(
        list=extend_schema(
            tags=[tag], parameters=[REVISION], responses={200: serializer(many=True), **PLAN_ERRORS}
        ),
        retrieve=extend_schema(tags=[tag], parameters=[REVISION], responses={200: serializer, **PLAN_ERRORS}),
    )


class PlanRevisionMixin(NulSafeLookupMixin):
    """Read one revision of the plan: ``?revision=N``, else the latest."""

    request: Request

    def get_program(self) -> plan.Program:
        if hasattr(self, "_program"):
            return self._program
        raw = self.request.query_params.get("revision", "").strip()
        # Drafts and rejected proposals are not the plan (NDC reads them on the revision pages).
        programs = programs_in_force().order_by("revision")
        if raw:
            try:
                revision = int(raw)
            except ValueError:
                raise ValidationError({"revision": [f"{raw!r} is not a revision number."]}) from None
            program = programs.filter(revision=revision).first()
            if program is None:
                raise ValidationError({"revision": [f"There is no plan revision {revision}."]})
        else:
            program = programs.last()
            if program is None:
                raise NotFound("No plan is loaded (run 'sixcore plan load').")
        self._program = program
        return program


@plan_schema(s.IndustrySerializer)
class IndustryViewSet(PlanRevisionMixin, viewsets.ReadOnlyModelViewSet):
    """The six industries, with their lead units and sub-areas."""

    serializer_class = s.IndustrySerializer
    pagination_class = BoundedLimitOffsetPagination
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[plan.Industry]:
        if getattr(self, "swagger_fake_view", False):
            return plan.Industry.objects.none()
        return (
            plan.Industry.objects.filter(program=self.get_program())
            .select_related("program")
            .prefetch_related(
                Prefetch(
                    "industryleadagency_set",
                    queryset=plan.IndustryLeadAgency.objects.select_related("agency"),
                ),
                "sub_areas",
            )
            .order_by("code")
        )


@plan_schema(s.MeasureSerializer)
class MeasureViewSet(PlanRevisionMixin, viewsets.ReadOnlyModelViewSet):
    """Measures (具體措施) ``N.M``, with their agencies and KPI codes."""

    serializer_class = s.MeasureSerializer
    pagination_class = BoundedLimitOffsetPagination
    filterset_class = filters.MeasureFilter
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[plan.Measure]:
        if getattr(self, "swagger_fake_view", False):
            return plan.Measure.objects.none()
        return (
            plan.Measure.objects.filter(industry__program=self.get_program())
            .select_related("industry", "schedule", "strategy__industry", "strategy__sub_area")
            .prefetch_related(
                Prefetch("measureagency_set", queryset=plan.MeasureAgency.objects.select_related("agency")),
                Prefetch("kpis", queryset=plan.KPI.objects.order_by("order")),
            )
            .order_by("industry__code", "order")
        )


def _kpi_queryset(program: plan.Program) -> QuerySet[plan.KPI]:
    # The measure's and industry's codes only, not two more model instances per KPI; the agencies and
    # annual targets come after pagination, for the page (serializers.read_kpi_lines).
    return (
        plan.KPI.objects.filter(measure__industry__program=program)
        .annotate(api_measure=F("measure__code"), api_industry=F("measure__industry__code"))
        .defer("notes")
        .order_by("measure__industry__code", "measure__order", "order")
    )


@extend_schema_view(
    list=extend_schema(
        tags=["plan"], parameters=[REVISION], responses={200: s.KPISerializer(many=True), **PLAN_ERRORS}
    ),
    retrieve=extend_schema(
        tags=["plan"],
        parameters=[
            REVISION,
            OpenApiParameter("measure", str, OpenApiParameter.PATH, description="Measure code, e.g. 6.1."),
            OpenApiParameter("code", str, OpenApiParameter.PATH, description="KPI code, e.g. 6.2.2."),
        ],
        responses={200: s.KPISerializer, **PLAN_ERRORS},
    ),
)
class KPIViewSet(PlanRevisionMixin, viewsets.GenericViewSet, mixins.ListModelMixin):
    """KPIs (全期目標) with their annual targets. A KPI is named by its measure and code: 6.2.2 is printed
    under 6.1 and under 6.2, so the detail is ``/api/plan/kpis/{measure}/{code}/``."""

    serializer_class = s.KPISerializer
    pagination_class = BoundedLimitOffsetPagination
    filterset_class = filters.KPIFilter

    def get_queryset(self) -> QuerySet[plan.KPI]:
        if getattr(self, "swagger_fake_view", False):
            return plan.KPI.objects.none()
        return _kpi_queryset(self.get_program())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(s.read_kpi_lines(page), many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, measure: str, code: str) -> Response:
        kpi = get_object_or_404(self.get_queryset(), measure__code=measure, code=code)
        return Response(self.get_serializer(s.read_kpi_lines([kpi])[0]).data)


@extend_schema_view(
    list=extend_schema(
        tags=["plan"], parameters=[REVISION], responses={200: s.WorkItemSerializer(many=True), **PLAN_ERRORS}
    ),
    retrieve=extend_schema(
        tags=["plan"],
        parameters=[
            REVISION,
            OpenApiParameter("schedule", str, OpenApiParameter.PATH, description="Schedule table, e.g. 1-1."),
            OpenApiParameter(
                "code", str, OpenApiParameter.PATH, description="Work-item key (a repeated code is CODE#2)."
            ),
        ],
        responses={200: s.WorkItemSerializer, **PLAN_ERRORS},
    ),
)
class WorkItemViewSet(PlanRevisionMixin, viewsets.GenericViewSet, mixins.ListModelMixin):
    """Work items (重點工作項目) of the schedule tables; detail at ``/api/plan/work-items/{schedule}/{code}/``."""

    serializer_class = s.WorkItemSerializer
    pagination_class = BoundedLimitOffsetPagination
    filterset_class = filters.WorkItemFilter

    def get_queryset(self) -> QuerySet[plan.WorkItem]:
        if getattr(self, "swagger_fake_view", False):
            return plan.WorkItem.objects.none()
        return (
            plan.WorkItem.objects.filter(schedule__industry__program=self.get_program())
            .select_related("schedule__industry", "approach__task")
            .prefetch_related(
                Prefetch("workitemagency_set", queryset=plan.WorkItemAgency.objects.select_related("agency")),
                Prefetch("schedule__measures", queryset=plan.Measure.objects.order_by("order")),
            )
            .order_by("schedule__industry__code", "schedule__order", "order")
        )

    def retrieve(self, request: Request, schedule: str, code: str) -> Response:
        item = get_object_or_404(self.get_queryset(), schedule__code=schedule, code=code)
        return Response(self.get_serializer(item).data)


@extend_schema_view(
    list=extend_schema(
        tags=["plan"],
        parameters=[REVISION],
        responses={200: s.BudgetLineSerializer(many=True), **PLAN_ERRORS},
    )
)
class BudgetViewSet(PlanRevisionMixin, viewsets.GenericViewSet, mixins.ListModelMixin):
    """表 3: each industry's budget per year, in 億元."""

    serializer_class = s.BudgetLineSerializer
    pagination_class = BoundedLimitOffsetPagination
    filterset_class = filters.BudgetFilter

    def get_queryset(self) -> QuerySet[plan.BudgetLine]:
        if getattr(self, "swagger_fake_view", False):
            return plan.BudgetLine.objects.none()
        return (
            plan.BudgetLine.objects.filter(program=self.get_program())
            .select_related("industry")
            .order_by("industry__code", "year")
        )
