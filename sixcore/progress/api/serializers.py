"""Serializers of the quarterly cycle's API: periods, submissions with their lines, KPI actuals, and the
request bodies of changes and steps.

Periods are named by their code (``111Q2``), plan objects by their natural codes; submissions and their
rows, which have no natural code of their own, by id. Every serializer reads only what its view's
queryset selected or prefetched, so lists cost a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sixcore.core.roc import RocDateError
from sixcore.plan import models as plan
from sixcore.plan.api.serializers import month
from sixcore.plan.export import printed_code

from .. import models as progress
from .. import workflow
from ..choices import PeriodState, SubmissionStatus, WorkItemStatus
from ..periods import CycleReads, period_state
from ..policy import submission_policy
from ..services import program_in_force
from ..values import LINE_FIELDS


def _number(**kwargs: Any) -> serializers.DecimalField:
    """A decimal shown as a JSON number (the export's convention), not as a string."""
    return serializers.DecimalField(max_digits=16, decimal_places=4, coerce_to_string=False, **kwargs)


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
            "internal_review_at",
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

    def to_representation(self, instance: progress.WorkItemReport) -> dict[str, Any]:
        # The most numerous lines of a detail (58 in a 10× report): one dict per line, not DRF's walk
        # over eleven fields (≈4× the CPU). test_progress_api_perf.py compares both.
        item, percent, completed_on = instance.work_item, instance.percent, instance.completed_on
        return {
            "key": f"{item.schedule.code}/{item.code}",
            "schedule": item.schedule.code,
            "code": printed_code(item.code),
            "title": item.title,
            "start": month(item.start),
            "end": month(item.end),
            "percent": None if percent is None else self.fields["percent"].to_representation(percent),
            "status": instance.status,
            "lag_reason": instance.lag_reason,
            "remedy": instance.remedy,
            "completed_on": (
                None if completed_on is None else self.fields["completed_on"].to_representation(completed_on)
            ),
        }

    def get_key(self, obj: progress.WorkItemReport) -> str:
        # The key services.save_lines addresses work-item lines by.
        return f"{obj.work_item.schedule.code}/{obj.work_item.code}"

    def get_code(self, obj: progress.WorkItemReport) -> str:
        return printed_code(obj.work_item.code)

    @extend_schema_field(OpenApiTypes.STR)
    def get_start(self, obj: progress.WorkItemReport) -> str | None:
        return month(obj.work_item.start)

    @extend_schema_field(OpenApiTypes.STR)
    def get_end(self, obj: progress.WorkItemReport) -> str | None:
        return month(obj.work_item.end)


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
    internal_review = serializers.BooleanField(help_text="May send the draft to the supervisor (陳核).")
    internal_return = serializers.BooleanField(help_text="May send a report under 陳核 back.")


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

    def _reads(self) -> CycleReads:
        # The state and the seven rights read the settings and reopenings once: from the view's
        # request (``cycle_reads``), which its permission check may already have filled.
        return self.context.setdefault("cycle_reads", CycleReads())

    @extend_schema_field(serializers.ChoiceField(choices=PeriodState.choices))
    def get_period_state(self, obj: progress.Submission) -> str:
        return str(period_state(obj.period, obj.agency, self._reads()))

    @extend_schema_field(SubmissionPermissionsSerializer)
    def get_permissions(self, obj: progress.Submission) -> dict[str, bool]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        reads = self._reads()
        return {
            "edit": bool(submission_policy.can_edit(user, obj, reads)),
            "submit": bool(submission_policy.can_submit(user, obj, reads)),
            "consolidate": bool(submission_policy.can_consolidate(user, obj)),
            "review": bool(submission_policy.can_review(user, obj)),
            "reopen": bool(submission_policy.can_reopen(user, obj)),
            "internal_review": bool(
                workflow.may("internal_review", user, obj, reads)
                and submission_policy.can_edit(user, obj, reads)
            ),
            "internal_return": bool(
                workflow.may("internal_return", user, obj, reads) and obj.in_internal_review
            ),
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
