"""Serializers of /api/field-verifications/: a visit with its items, findings, evidence (names, for the
parties) and recommendations with their follow-up items; the bodies of its writes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import ItemKind, Reason, VerificationStatus
from ..models import Evidence, FieldVerification, Recommendation, VerifiedItem


class FollowUpRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    due_date = serializers.DateField()


class RecommendationSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    follow_up = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = ["id", "text", "owner", "due_date", "follow_up"]

    @extend_schema_field(FollowUpRefSerializer(allow_null=True))
    def get_follow_up(self, obj: Recommendation) -> dict | None:
        follow_up = getattr(obj, "follow_up", None)
        if follow_up is None:
            return None
        return {"id": follow_up.pk, "status": follow_up.status, "due_date": follow_up.due_date}


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "original_name", "size", "sha256", "uploaded_at"]


class VerifiedItemSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    reasons = serializers.ListField(child=serializers.CharField(), source="reason_list")
    evidence = serializers.SerializerMethodField()
    recommendations = RecommendationSerializer(many=True)

    class Meta:
        model = VerifiedItem
        fields = [
            "id",
            "kind",
            "code",
            "label",
            "reasons",
            "findings",
            "version",
            "evidence",
            "recommendations",
        ]

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, obj: VerifiedItem) -> list[dict]:
        # Evidence files are for NDC and the attending agencies only (policy.py).
        if not self.context.get("party"):
            return []
        return EvidenceSerializer(obj.evidence.all(), many=True).data


class FieldVerificationListSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=VerificationStatus.choices)
    agencies = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    basis_period = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = FieldVerification
        fields = [
            "id",
            "title",
            "date",
            "place",
            "reviewers",
            "agencies",
            "basis_period",
            "status",
            "version",
            "is_demo",
        ]


class FieldVerificationSerializer(FieldVerificationListSerializer):
    items = serializers.SerializerMethodField()

    class Meta(FieldVerificationListSerializer.Meta):
        fields = [
            *FieldVerificationListSerializer.Meta.fields,
            "purpose",
            "completed_at",
            "published_at",
            "items",
        ]

    @extend_schema_field(VerifiedItemSerializer(many=True))
    def get_items(self, obj: FieldVerification) -> list[dict]:
        return VerifiedItemSerializer(obj.items.all(), many=True, context=self.context).data


class SelectionReasonSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Reason.choices)
    text = serializers.CharField(help_text="the reason as the candidate list words it (zh-TW)")


class CandidateSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="kind:code, the value to pick")
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    code = serializers.CharField()
    label = serializers.CharField()
    industry = serializers.CharField()
    agencies = serializers.ListField(child=serializers.CharField())
    reasons = serializers.SerializerMethodField()

    @extend_schema_field(SelectionReasonSerializer(many=True))
    def get_reasons(self, obj) -> list[dict[str, str]]:
        return [{"reason": code, "text": text} for code, text in obj.reasons]


class PlanSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    date = serializers.DateField()
    place = serializers.CharField(max_length=200)
    reviewers = serializers.CharField(max_length=300)
    agencies = serializers.ListField(child=serializers.CharField(), required=False, help_text="agency codes")
    purpose = serializers.CharField(required=False, allow_blank=True, default="")
    period = serializers.CharField(help_text="the period the candidates come from, e.g. 111Q2")
    picks = serializers.ListField(child=serializers.CharField(), help_text="candidate keys (kind:code)")


class UpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField(max_length=200, required=False)
    date = serializers.DateField(required=False)
    place = serializers.CharField(max_length=200, required=False)
    reviewers = serializers.CharField(max_length=300, required=False)
    agencies = serializers.ListField(child=serializers.CharField(), required=False)
    purpose = serializers.CharField(required=False, allow_blank=True)


class VerificationStepSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FindingsSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="the item's version")
    findings = serializers.CharField()


class RecommendationWriteSerializer(serializers.Serializer):
    text = serializers.CharField()
    owner = serializers.CharField(help_text="agency code")
    due_date = serializers.DateField()


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
