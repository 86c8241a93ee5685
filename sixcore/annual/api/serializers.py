"""Serializers of the year-end evaluation API: the evaluation (list and detail, with its scores by
stage), the year's set-up (indicators, grades, calendar) and the bodies of scoring and the steps."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import services
from ..choices import ScoreStage
from ..models import (
    INDICATOR_FIELDS,
    AnnualCycle,
    AnnualEvaluation,
    GradeThreshold,
    Indicator,
    IndicatorScore,
)
from ..policy import annual_policy


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["year", *INDICATOR_FIELDS, "order"]


class GradeThresholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeThreshold
        fields = ["year", "label", "min_score"]


class AnnualCycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnualCycle
        fields = ["year", "self_opens", "self_due", "initial_due", "review_due", "approval_due", "note"]


class IndicatorScoreSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code")
    indicator_name = serializers.CharField(source="indicator.name")
    effective_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)

    class Meta:
        model = IndicatorScore
        fields = [
            "indicator",
            "indicator_name",
            "stage",
            "score",
            "effective_score",
            "comment",
            "evidence",
            "prefilled_value",
            "prefilled_score",
            "prefill_source",
            "argued_score",
            "argued_reason",
        ]


STEPS = (
    "submit_self",
    "complete_initial",
    "complete_review",
    "approve",
    "publish",
    "return",
    "reopen",
)


class AnnualEvaluationSerializer(serializers.ModelSerializer):
    """An evaluation in a list: the unit, its stage, and the score and grade once 複核 is done."""

    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    stage_label = serializers.CharField(source="get_stage_display")
    is_returned = serializers.BooleanField()

    class Meta:
        model = AnnualEvaluation
        fields = [
            "id",
            "year",
            "industry",
            "industry_name",
            "agency",
            "agency_name",
            "stage",
            "stage_label",
            "is_returned",
            "version",
            "final_score",
            "grade",
            "is_demo",
        ]


class AnnualEvaluationDetailSerializer(AnnualEvaluationSerializer):
    """One evaluation with its texts, stamps, scores of each stage and their weighted totals, the
    current stage's deadline and the steps the caller may take now."""

    scores = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(AnnualEvaluationSerializer.Meta):
        fields = [
            *AnnualEvaluationSerializer.Meta.fields,
            "self_summary",
            "initial_opinion",
            "review_opinion",
            "improvement_items",
            "prefilled_from",
            "prefilled_at",
            "extended_until",
            "self_submitted_at",
            "initial_at",
            "reviewed_at",
            "approved_at",
            "published_at",
            "returned_at",
            "return_comment",
            "reopened_at",
            "reopen_reason",
            "deadline",
            "scores",
            "totals",
            "actions",
        ]

    def _by_stage(self, obj: AnnualEvaluation) -> dict[str, list[IndicatorScore]]:
        cached = getattr(obj, "_scores_by_stage", None)
        if cached is None:
            cached = {stage: [] for stage in ScoreStage.values}
            for score in sorted(obj.scores.all(), key=lambda s: (s.indicator.order, s.indicator.code)):
                cached[score.stage].append(score)
            obj._scores_by_stage = cached
        return cached

    @extend_schema_field(
        {
            "type": "object",
            "description": "Scores per stage (self, initial, review), each a list per indicator.",
            "additionalProperties": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/IndicatorScore"},
            },
        }
    )
    def get_scores(self, obj: AnnualEvaluation) -> dict[str, Any]:
        return {
            stage: IndicatorScoreSerializer(rows, many=True).data
            for stage, rows in self._by_stage(obj).items()
        }

    @extend_schema_field(
        {
            "type": "object",
            "description": "Weighted total of each stage's scores (null while an indicator is unscored).",
            "additionalProperties": {"type": "string", "nullable": True},
        }
    )
    def get_totals(self, obj: AnnualEvaluation) -> dict[str, str | None]:
        return {
            stage: (str(total) if (total := services.stage_total(rows)) is not None else None)
            for stage, rows in self._by_stage(obj).items()
        }

    @extend_schema_field(OpenApiTypes.DATE)
    def get_deadline(self, obj: AnnualEvaluation):
        cycle = AnnualCycle.objects.filter(year=obj.year).first()
        return services.stage_deadline(obj, cycle) if cycle else None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(STEPS))))
    def get_actions(self, obj: AnnualEvaluation) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        checks = {
            "submit_self": annual_policy.can_submit_self,
            "complete_initial": annual_policy.can_complete_initial,
            "complete_review": annual_policy.can_complete_review,
            "approve": annual_policy.can_approve,
            "publish": annual_policy.can_publish,
            "return": annual_policy.can_return,
            "reopen": annual_policy.can_reopen,
        }
        return [name for name in STEPS if user is not None and checks[name](user, obj)]


class AnnualStepSerializer(serializers.Serializer):
    """The comment of a step (required to return); ``until`` optionally gives a returned stage its own
    deadline."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")
    until = serializers.DateField(required=False, allow_null=True, default=None)


class AnnualReasonSerializer(serializers.Serializer):
    """The reason of a reopen (required)."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ExtendSerializer(serializers.Serializer):
    """A new deadline for the evaluation's current stage, with a reason."""

    until = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ScoreLineSerializer(serializers.Serializer):
    """One indicator's values; every field optional (only those given change). Scores are checked
    against the indicator's range by the service, which names the indicator in its message."""

    score = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    argued_score = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True)
    argued_reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ScoresPatchSerializer(serializers.Serializer):
    """Scores of one stage, all or nothing, guarded by the evaluation's ``version``."""

    stage = serializers.ChoiceField(choices=ScoreStage.choices)
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    scores = serializers.DictField(
        child=ScoreLineSerializer(), required=False, help_text="Indicator code → values."
    )
    self_summary = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    initial_opinion = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    review_opinion = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    improvement_items = serializers.CharField(required=False, allow_blank=True, max_length=20_000)

    TEXTS = ("self_summary", "initial_opinion", "review_opinion", "improvement_items")

    def texts(self) -> dict[str, str]:
        return {name: self.validated_data[name] for name in self.TEXTS if name in self.validated_data}


class AnnualFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="e.g. `scores.planning.score`.")
    label = serializers.CharField(help_text="The field as people see it (指標 規劃 分數).")
    message = serializers.CharField()


class AnnualProblemsSerializer(serializers.Serializer):
    """400: ``problems`` (messages, each naming its field) and ``errors`` (the same, keyed by field);
    DRF's ``{"<field>": ["message"]}`` for a malformed body (hence every field optional)."""

    detail = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False)
    errors = AnnualFieldErrorSerializer(many=True, required=False)


class AnnualWrongStageSerializer(serializers.Serializer):
    """409: wrong stage, passed deadline (``field`` names the deadline) or a stale version
    (``current`` is the evaluation as stored now)."""

    detail = serializers.CharField()
    field = serializers.CharField(required=False)
    current = AnnualEvaluationDetailSerializer(required=False)
