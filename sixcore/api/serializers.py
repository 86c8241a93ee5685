"""Serializers of the API: the plan (read-only, shaped like ``plan/export.py``) and the quarterly cycle.

Objects are named by their natural codes (industry ``1``, measure ``1.2``, KPI ``1.2.2`` with its measure,
work item ``1-1/1.1.1``, period ``111Q2``, agency ``moea``), never by database ids, except submissions and
their rows, which have no natural code of their own. Every serializer reads only what its view's queryset
selected or prefetched, so lists cost a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sixcore.accounts.models import Agency
from sixcore.core.roc import RocDateError
from sixcore.plan import models as plan
from sixcore.plan.export import printed_code
from sixcore.progress import models as progress
from sixcore.progress.choices import PeriodState, SubmissionStatus, WorkItemStatus
from sixcore.progress.periods import period_state
from sixcore.progress.policy import submission_policy
from sixcore.progress.services import LINE_FIELDS, program_in_force


def _number(**kwargs: Any) -> serializers.DecimalField:
    """A decimal shown as a JSON number (the export's convention), not as a string."""
    return serializers.DecimalField(max_digits=16, decimal_places=4, coerce_to_string=False, **kwargs)


def _month(value) -> str | None:
    return value.strftime("%Y-%m") if value else None


# --- plan ----------------------------------------------------------------------------------------


class AgencyRefSerializer(serializers.ModelSerializer):
    """An agency as other objects refer to it."""

    class Meta:
        model = Agency
        fields = ["code", "name"]


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = ["code", "name", "full_name", "parent", "kind", "recognized"]


def _agency_refs(links) -> list[dict[str, Any]]:
    # AgencyRefSerializer's fields, as plain dicts: a serializer per KPI rebuilt its fields from the
    # model every time (≈60 % of the KPI list's CPU).
    return [{"code": link.agency.code, "name": link.agency.name} for link in links]


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
        return _agency_refs(obj.industryleadagency_set.all())


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
        return _agency_refs(obj.measureagency_set.all())

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


class KPISerializer(serializers.ModelSerializer):
    """A KPI; ``code`` as printed, ``key`` as stored (the code of its line in a submission)."""

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

    def get_code(self, obj: plan.KPI) -> str:
        return printed_code(obj.code)

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_agencies(self, obj: plan.KPI) -> list[dict[str, Any]]:
        return _agency_refs(obj.kpiagency_set.all())


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
        return _month(obj.start)

    @extend_schema_field(OpenApiTypes.STR)
    def get_end(self, obj: plan.WorkItem) -> str | None:
        return _month(obj.end)

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_lead_agencies(self, obj: plan.WorkItem) -> list[dict[str, Any]]:
        return _agency_refs(link for link in obj.workitemagency_set.all() if link.role == "lead")

    @extend_schema_field(AgencyRefSerializer(many=True))
    def get_co_agencies(self, obj: plan.WorkItem) -> list[dict[str, Any]]:
        return _agency_refs(link for link in obj.workitemagency_set.all() if link.role == "co")


class BudgetLineSerializer(serializers.ModelSerializer):
    """A cell of 表 3, in 億元."""

    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = plan.BudgetLine
        fields = ["industry", "industry_name", "year", "amount", "line"]


# --- cycle ---------------------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    """A reporting quarter; ``state`` as it is for the caller's agency (reopenings included)."""

    code = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    state = serializers.SerializerMethodField()

    class Meta:
        model = progress.ReportingPeriod
        fields = ["code", "label", "roc_year", "quarter", "start", "end", "due_date", "closed", "state"]

    @extend_schema_field(serializers.ChoiceField(choices=PeriodState.choices))
    def get_state(self, obj: progress.ReportingPeriod) -> str:
        return str(self.context["states"][obj.pk])


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission in a list: who reports what for which period, and where it stands."""

    period = serializers.CharField(source="period.code")
    period_label = serializers.CharField(source="period.label")
    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")

    class Meta:
        model = progress.Submission
        fields = [
            "id",
            "period",
            "period_label",
            "industry",
            "industry_name",
            "agency",
            "agency_name",
            "status",
            "version",
            "is_demo",
            "submitted_at",
            "consolidated_at",
            "approved_at",
            "returned_at",
            "return_comment",
            "modified_at",
        ]


class MeasureLineSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="measure.code", help_text="Key of the line in `PATCH …/lines/`.")
    measure = serializers.CharField(source="measure.code")
    name = serializers.CharField(source="measure.name")

    class Meta:
        model = progress.MeasureReport
        fields = ["key", "measure", "name", "progress", "highlights", "next_quarter"]


class KPILineSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="kpi.code", help_text="Key of the line in `PATCH …/lines/`.")
    kpi = serializers.SerializerMethodField()
    measure = serializers.CharField(source="kpi.measure.code")
    text = serializers.CharField(source="kpi.full_term_text")
    value = _number(allow_null=True)

    class Meta:
        model = progress.KPIReport
        fields = ["key", "kpi", "measure", "text", "value", "done", "evidence", "note"]

    def get_kpi(self, obj: progress.KPIReport) -> str:
        return printed_code(obj.kpi.code)


class WorkItemLineSerializer(serializers.ModelSerializer):
    key = serializers.SerializerMethodField(help_text="Key of the line in `PATCH …/lines/`: `SCHEDULE/CODE`.")
    schedule = serializers.CharField(source="work_item.schedule.code")
    code = serializers.SerializerMethodField()
    title = serializers.CharField(source="work_item.title")
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True
    )

    class Meta:
        model = progress.WorkItemReport
        fields = [
            "key",
            "schedule",
            "code",
            "title",
            "start",
            "end",
            "percent",
            "status",
            "lag_reason",
            "remedy",
            "completed_on",
        ]

    def get_key(self, obj: progress.WorkItemReport) -> str:
        # The key services.save_lines addresses work-item lines by.
        return f"{obj.work_item.schedule.code}/{obj.work_item.code}"

    def get_code(self, obj: progress.WorkItemReport) -> str:
        return printed_code(obj.work_item.code)

    @extend_schema_field(OpenApiTypes.STR)
    def get_start(self, obj: progress.WorkItemReport) -> str | None:
        return _month(obj.work_item.start)

    @extend_schema_field(OpenApiTypes.STR)
    def get_end(self, obj: progress.WorkItemReport) -> str | None:
        return _month(obj.work_item.end)


class BudgetReportLineSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="measure.code", help_text="Key of the line in `PATCH …/lines/`.")
    measure = serializers.CharField(source="measure.code")
    allocated = _number(allow_null=True)
    executed = _number(allow_null=True)
    annual_budget = _number(allow_null=True)

    class Meta:
        model = progress.BudgetReport
        fields = ["key", "measure", "unit", "allocated", "executed", "annual_budget"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = progress.Attachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class SubmissionPermissionsSerializer(serializers.Serializer):
    """What the caller may do with the submission now (from progress/policy.py)."""

    edit = serializers.BooleanField()
    submit = serializers.BooleanField()
    consolidate = serializers.BooleanField()
    review = serializers.BooleanField()
    reopen = serializers.BooleanField()


class SubmissionDetailSerializer(SubmissionSerializer):
    """A submission with all its lines; send its ``version`` back with every change."""

    period_state = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    measures = MeasureLineSerializer(many=True, source="measure_reports")
    kpis = KPILineSerializer(many=True, source="kpi_reports")
    work_items = WorkItemLineSerializer(many=True, source="work_item_reports")
    budget = BudgetReportLineSerializer(many=True, source="budget_reports")
    attachments = AttachmentSerializer(many=True)

    class Meta(SubmissionSerializer.Meta):
        fields = [
            *SubmissionSerializer.Meta.fields,
            "period_state",
            "permissions",
            "measures",
            "kpis",
            "work_items",
            "budget",
            "attachments",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=PeriodState.choices))
    def get_period_state(self, obj: progress.Submission) -> str:
        return str(period_state(obj.period, obj.agency))

    @extend_schema_field(SubmissionPermissionsSerializer)
    def get_permissions(self, obj: progress.Submission) -> dict[str, bool]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return {
            "edit": bool(submission_policy.can_edit(user, obj)),
            "submit": bool(submission_policy.can_submit(user, obj)),
            "consolidate": bool(submission_policy.can_consolidate(user, obj)),
            "review": bool(submission_policy.can_review(user, obj)),
            "reopen": bool(submission_policy.can_reopen(user, obj)),
        }


class ConflictSerializer(serializers.Serializer):
    """409 of a stale ``version``: nothing was saved; ``current`` is the submission as stored now."""

    detail = serializers.CharField()
    current = SubmissionDetailSerializer()


class KPIReportSerializer(serializers.ModelSerializer):
    """A KPI actual with the submission it belongs to."""

    submission = serializers.IntegerField(source="submission_id")
    period = serializers.CharField(source="submission.period.code")
    industry = serializers.CharField(source="submission.industry.code")
    agency = serializers.CharField(source="submission.agency.code")
    status = serializers.ChoiceField(source="submission.status", choices=SubmissionStatus.choices)
    version = serializers.IntegerField(source="submission.version")
    kpi = serializers.SerializerMethodField()
    measure = serializers.CharField(source="kpi.measure.code")
    value = _number(allow_null=True)

    class Meta:
        model = progress.KPIReport
        fields = [
            "id",
            "submission",
            "period",
            "industry",
            "agency",
            "status",
            "version",
            "kpi",
            "measure",
            "value",
            "done",
            "evidence",
            "note",
        ]

    def get_kpi(self, obj: progress.KPIReport) -> str:
        return printed_code(obj.kpi.code)


# --- requests ------------------------------------------------------------------------------------


def _section(kind: str, help_text: str) -> serializers.DictField:
    fields = ", ".join(LINE_FIELDS[kind])
    return serializers.DictField(
        child=serializers.DictField(child=serializers.JSONField(allow_null=True)),
        required=False,
        help_text=f"{help_text} Fields: {fields}.",
    )


class LinesPatchSerializer(serializers.Serializer):
    """``PATCH …/lines/``: changed fields of lines by kind and key, with the version they were read at."""

    version = serializers.IntegerField(min_value=1, help_text="The submission's `version` as you read it.")
    measures = _section("measures", "{measure code: {field: value}}.")
    kpis = _section("kpis", "{KPI key: {field: value}}.")
    work_items = _section(
        "work_items",
        "{SCHEDULE/CODE: {field: value}}; status one of " + ", ".join(WorkItemStatus.values) + ".",
    )
    budget = _section("budget", "{measure code: {field: value}}; unit 億元 or 千元.")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Unknown top-level keys would otherwise be dropped silently and look like a saved change; they
        # are reported together with the other fields' errors.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name: ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class TransitionSerializer(serializers.Serializer):
    """The comment of a step (required to return); ``reason`` is accepted for ``reopen``."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    @property
    def text(self) -> str:
        return self.validated_data["reason"] or self.validated_data["comment"]


class KPILineTargetSerializer(serializers.Serializer):
    """Which line ``POST /api/progress/kpi-reports/`` names: the KPI and the period (public plan data),
    resolved before the caller's right to the line is checked and before the values are validated."""

    kpi = serializers.CharField(help_text="KPI code, e.g. 1.2.2, or MEASURE/CODE, e.g. 6.1/6.2.2.")
    period = serializers.CharField(help_text="Reporting quarter, e.g. 111Q2 or 2022Q2.")
    measure = serializers.CharField(
        required=False, help_text="The KPI's measure, when its code is ambiguous."
    )

    def validate_period(self, value: str) -> progress.ReportingPeriod:
        try:
            return progress.ReportingPeriod.by_code(value)
        except RocDateError:
            raise serializers.ValidationError(
                f"{value!r} is not a reporting quarter like 111Q2 or 2022Q2."
            ) from None
        except progress.ReportingPeriod.DoesNotExist:
            raise serializers.ValidationError(f"There is no reporting period {value}.") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        period = attrs["period"]
        # The KPI is the one of the plan revision in force for the period (its submissions refer to it).
        program = program_in_force(period)
        code, measure = attrs["kpi"].strip(), attrs.get("measure", "").strip()
        if "/" in code and not measure:
            measure, code = (part.strip() for part in code.split("/", 1))
        kpis = plan.KPI.objects.filter(measure__industry__program=program, code=code).select_related(
            "measure__industry"
        )
        if measure:
            kpis = kpis.filter(measure__code=measure)
        found = list(kpis.order_by("measure__industry__code", "measure__order")[:3])
        if not found:
            where = f" of measure {measure}" if measure else ""
            raise serializers.ValidationError(
                {"kpi": [f"Unknown KPI {code}{where} in plan revision {program.revision}."]}
            )
        if len(found) > 1:
            measures = " and ".join(k.measure.code for k in found)
            raise serializers.ValidationError(
                {
                    "kpi": [
                        f"KPI {code} is printed under measures {measures}: give measure, or MEASURE/{code}."
                    ]
                }
            )
        attrs["kpi_label"] = attrs["kpi"].strip()
        attrs["kpi"] = found[0]
        attrs["program"] = program
        return attrs


class KPIActualWriteSerializer(KPILineTargetSerializer):
    """``POST /api/progress/kpi-reports/``: the caller's agency's actual of one KPI for one period.

    Only the fields sent are changed. ``kpi`` is the printed code; a code printed under two measures
    (6.2.2) needs ``measure`` or the form ``6.1/6.2.2``.
    """

    value = serializers.DecimalField(max_digits=16, decimal_places=4, required=False, allow_null=True)
    done = serializers.BooleanField(required=False, allow_null=True, help_text="For milestones.")
    evidence = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)

    LINE_FIELDS = ("value", "done", "evidence", "note")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(name in attrs for name in self.LINE_FIELDS):
            raise serializers.ValidationError(
                {"value": [f"Give at least one of {', '.join(self.LINE_FIELDS)}."]}
            )
        return super().validate(attrs)
