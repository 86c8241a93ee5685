"""Follow-up items in the API: the item, its 辦理情形 by quarter (signed-in callers) and NDC's rulings."""

from __future__ import annotations

from rest_framework import serializers

from sixcore.core.dates import MAX_DATE, MIN_DATE

from ..models import FollowUp, FollowUpResponse, FollowUpRuling
from ..services import MAX_RESPONSE_CHARS


class ResponseSerializer(serializers.ModelSerializer):
    period = serializers.CharField(
        source="period.code", default=None, help_text="e.g. 111Q2; null before the cycle."
    )
    by = serializers.CharField(source="by.username")

    class Meta:
        model = FollowUpResponse
        fields = ["period", "submission", "text", "by", "at", "updated_at"]


class RulingSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="period.code", default=None)
    by = serializers.CharField(source="by.username")

    class Meta:
        model = FollowUpRuling
        fields = ["kind", "comment", "period", "new_due_date", "by", "at"]


class FollowUpSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.code", help_text="Owner agency code, e.g. moea.")
    owner_name = serializers.CharField(source="owner.name")
    industry = serializers.CharField(source="industry.code", default=None)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "source",
            "text",
            "owner",
            "owner_name",
            "industry",
            "opened_on",
            "due_date",
            "status",
            "published",
            "version",
            "closed_at",
            "is_demo",
        ]


class FollowUpDetailSerializer(FollowUpSerializer):
    responses = serializers.SerializerMethodField(help_text="辦理情形 by quarter; empty for the public.")
    rulings = RulingSerializer(many=True, read_only=True)

    class Meta(FollowUpSerializer.Meta):
        fields = [*FollowUpSerializer.Meta.fields, "responses", "rulings"]

    def get_responses(self, obj: FollowUp) -> list[dict]:
        if not self.context.get("with_responses"):
            return []
        return ResponseSerializer(obj.responses.select_related("period", "by"), many=True).data


class RulingRequestSerializer(serializers.Serializer):
    """NDC's step: ``version`` as read (a stale one is 409), a comment (required to keep)."""

    version = serializers.IntegerField(min_value=1)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    new_due_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_new_due_date(self, value):
        if value is not None and not (MIN_DATE <= value <= MAX_DATE):
            raise serializers.ValidationError("date outside the accepted range")
        return value


class RespondRequestSerializer(serializers.Serializer):
    """The owner's 辦理情形 in one of its quarterly reports (a draft; blank removes the answer)."""

    submission = serializers.IntegerField(help_text="The quarterly report (submission id) carrying the item.")
    text = serializers.CharField(allow_blank=True, max_length=MAX_RESPONSE_CHARS)
