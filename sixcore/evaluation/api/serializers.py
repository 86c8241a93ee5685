"""Output shapes of the evaluation API (numbers as JSON numbers, lights as their English names)."""

from __future__ import annotations

from rest_framework import serializers

LIGHTS = ["green", "yellow", "red", "white"]


class KpiEvaluationSerializer(serializers.Serializer):
    kpi = serializers.CharField(help_text="KPI code as printed, e.g. 1.2.2")
    measure = serializers.CharField()
    industry = serializers.CharField()
    kind = serializers.CharField(
        allow_null=True, help_text="cumulative, per_period, level or milestone this year"
    )
    expected = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, coerce_to_string=False
    )
    actual = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, coerce_to_string=False
    )
    achievement = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        coerce_to_string=False,
        help_text="actual ÷ expected",
    )
    light = serializers.ChoiceField(choices=LIGHTS)
    reason = serializers.CharField()


class RollUpSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="industry / strategy / measure / agency code")
    label = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="KPIs per light")
    items = serializers.IntegerField()
    weighted_achievement = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, coerce_to_string=False
    )
