"""Serializers of the plan API (read-only, shaped like ``plan/export.py``).

Objects are named by their natural codes (industry ``1``, measure ``1.2``, KPI ``1.2.2`` with its measure,
work item ``1-1/1.1.1``), never by database ids. Every serializer reads only what its view's queryset
selected or prefetched, so lists cost a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sixcore.accounts.api.serializers import AgencyRefSerializer, agency_refs

from .. import models as plan
from ..export import printed_code


def month(value) -> str | None:
    """A month as ``YYYY-MM`` (a work item's start and end), or None."""
    return value.strftime("%Y-%m") if value else None


class SubAreaSerializer(serializers.ModelSerializer):
    lead_agencies = serializers.ListField(child=serializers.CharField(), source="lead_agency_names")

    class Meta:
        model = plan.SubArea
        fields = ["code", "name", "vision", "lead_agencies", "kpi_table_heading", "line"]


class IndustrySerializer(serializers.ModelSerializer):
    revision = serializers.IntegerField(source="program.revision")
    lead_agencies = serializers.SerializerMethodField()
    sub_areas = SubAreaSerializer(many=True)
    framework_strategies = serializers.JSONField()

    class Meta:
        model = plan.Industry
        fields = [
            "code",
            "name",
            "revision",
            "vision",
            "lead_agencies",
            "kpi_table_heading",
            "framework_strategies",
            "sub_areas",
            "line",
            "vision_line",
        ]

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_lead_agencies(self, obj: plan.Industry) -> list[dict[str, Any]]:
        return agency_refs(obj.industryleadagency_set.all())


class MeasureSerializer(serializers.ModelSerializer):
    industry = serializers.CharField(source="industry.code")
    strategy = serializers.CharField(source="strategy.code")
    strategy_name = serializers.CharField(source="strategy.name")
    sub_area = serializers.CharField(source="strategy.sub_area.code", allow_null=True, default=None)
    schedule_code = serializers.CharField(source="schedule.code", allow_null=True, default=None)
    agencies = serializers.SerializerMethodField()
    kpis = serializers.SerializerMethodField()

    class Meta:
        model = plan.Measure
        fields = [
            "code",
            "code_as_written",
            "name",
            "industry",
            "strategy",
            "strategy_name",
            "sub_area",
            "schedule_code",
            "agencies",
            "kpis",
            "line",
        ]

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_agencies(self, obj: plan.Measure) -> list[dict[str, Any]]:
        return agency_refs(obj.measureagency_set.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_kpis(self, obj: plan.Measure) -> list[str]:
        return [printed_code(k.code) for k in obj.kpis.all()]


class FullTermSerializer(serializers.Serializer):
    text = serializers.CharField(source="full_term_text")
    target = serializers.JSONField(source="full_term_target", allow_null=True)
    source = serializers.CharField(source="full_term_source")


class AnnualTargetSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="cell.text")
    target = serializers.JSONField(allow_null=True)

    class Meta:
        model = plan.AnnualTarget
        fields = ["year", "text", "target", "source", "merged"]


def read_kpi_lines(kpis: Sequence[plan.KPI]) -> Sequence[plan.KPI]:
    """Put each KPI's agencies and annual targets on it as plain dicts (``api_agencies``, ``api_annual``),
    in two queries of values for the whole page.

    ``prefetch_related`` built a model instance per link, target and cell and a queryset per KPI: most
    of the KPI list's CPU. The queryset must annotate ``api_measure`` and ``api_industry`` (the codes).
    """
    by_id = {kpi.pk: kpi for kpi in kpis}
    for kpi in kpis:
        kpi.api_agencies, kpi.api_annual = [], []
    links = plan.KPIAgency.objects.filter(kpi__in=list(by_id)).order_by("order", "pk")
    for kpi_id, code, name in links.values_list("kpi_id", "agency__code", "agency__name"):
        by_id[kpi_id].api_agencies.append({"code": code, "name": name})
    targets = plan.AnnualTarget.objects.filter(kpi__in=list(by_id)).order_by("kpi", "year")
    fields = AnnualTargetSerializer.Meta.fields  # year, text, target, source, merged
    for kpi_id, *values in targets.values_list("kpi_id", "year", "cell__text", "target", "source", "merged"):
        by_id[kpi_id].api_annual.append(dict(zip(fields, values, strict=True)))
    return kpis


class KPISerializer(serializers.ModelSerializer):
    """A KPI; ``code`` as printed, ``key`` as stored (the code of its line in a submission)."""

    # (Not in the docstring, which is the schema's description.) A KPI read by read_kpi_lines is
    # written as one dict, without DRF's walk over the fields and the nested full-term and annual
    # serializers (the rest of the list's CPU); the result is the same: test_plan_api_perf.py compares
    # both on the whole seed program.

    code = serializers.SerializerMethodField()
    key = serializers.CharField(source="code")
    measure = serializers.CharField(source="measure.code")
    industry = serializers.CharField(source="measure.industry.code")
    agencies = serializers.SerializerMethodField()
    full_term = FullTermSerializer(source="*")
    annual = AnnualTargetSerializer(many=True, source="annual_targets")
    extra_lines = serializers.JSONField()

    class Meta:
        model = plan.KPI
        fields = [
            "code",
            "key",
            "measure",
            "industry",
            "agencies",
            "own_agencies",
            "full_term",
            "annual",
            "line",
            "extra_lines",
        ]

    def to_representation(self, instance: plan.KPI) -> dict[str, Any]:
        if not hasattr(instance, "api_annual"):
            return super().to_representation(instance)
        return {
            "code": printed_code(instance.code),
            "key": instance.code,
            "measure": instance.api_measure,
            "industry": instance.api_industry,
            "agencies": instance.api_agencies,
            "own_agencies": instance.own_agencies,
            "full_term": {
                "text": instance.full_term_text,
                "target": instance.full_term_target,
                "source": instance.full_term_source,
            },
            "annual": instance.api_annual,
            "line": instance.line,
            "extra_lines": instance.extra_lines,
        }

    def get_code(self, obj: plan.KPI) -> str:
        return printed_code(obj.code)

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_agencies(self, obj: plan.KPI) -> list[dict[str, Any]]:
        return agency_refs(obj.kpiagency_set.all())


class WorkItemSerializer(serializers.ModelSerializer):
    """A work item; ``code`` as printed, ``key`` as stored (``CODE#2`` for a code printed twice)."""

    schedule = serializers.CharField(source="schedule.code")
    industry = serializers.CharField(source="schedule.industry.code")
    code = serializers.SerializerMethodField()
    key = serializers.CharField(source="code")
    measures = serializers.SerializerMethodField()
    task = serializers.CharField(source="approach.task.title")
    task_seq = serializers.IntegerField(source="approach.task.seq")
    approach = serializers.CharField(source="approach.title")
    approach_code = serializers.CharField(source="approach.code")
    period = serializers.CharField(source="period_text")
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    lead_agencies = serializers.SerializerMethodField()
    co_agencies = serializers.SerializerMethodField()

    class Meta:
        model = plan.WorkItem
        fields = [
            "schedule",
            "industry",
            "code",
            "key",
            "code_in_source",
            "measures",
            "task",
            "task_seq",
            "approach",
            "approach_code",
            "title",
            "period",
            "start",
            "end",
            "lead_agencies",
            "co_agencies",
            "line",
        ]

    def get_code(self, obj: plan.WorkItem) -> str:
        return printed_code(obj.code)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_measures(self, obj: plan.WorkItem) -> list[str]:
        # A schedule table may cover two measures (2-4 covers 2.4 and 2.5).
        return [m.code for m in obj.schedule.measures.all()]

    @extend_schema_field(OpenApiTypes.STR)
    def get_start(self, obj: plan.WorkItem) -> str | None:
        return month(obj.start)

    @extend_schema_field(OpenApiTypes.STR)
    def get_end(self, obj: plan.WorkItem) -> str | None:
        return month(obj.end)

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_lead_agencies(self, obj: plan.WorkItem) -> list[dict[str, Any]]:
        return agency_refs(link for link in obj.workitemagency_set.all() if link.role == "lead")

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_co_agencies(self, obj: plan.WorkItem) -> list[dict[str, Any]]:
        return agency_refs(link for link in obj.workitemagency_set.all() if link.role == "co")


class BudgetLineSerializer(serializers.ModelSerializer):
    """A cell of 表 3, in 億元."""

    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = plan.BudgetLine
        fields = ["industry", "industry_name", "year", "amount", "line"]
