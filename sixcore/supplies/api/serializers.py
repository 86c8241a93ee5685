"""Serializers of the supplies API (quantities as decimal strings, items and reporters by code)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sixcore.accounts.models import Agency

from ..models import Alert, Assignment, Minimum, Observation, Reporter, SupplyItem


class MinimumSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", queryset=SupplyItem.objects.all())

    class Meta:
        model = Minimum
        fields = ["id", "item", "effective_from", "value", "line", "basis_text"]


class NestedMinimumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Minimum
        fields = ["effective_from", "value", "line", "basis_text"]


class SupplyItemSerializer(serializers.ModelSerializer):
    responsible_agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.all())
    minimums = NestedMinimumSerializer(many=True, read_only=True)

    class Meta:
        model = SupplyItem
        fields = [
            "code",
            "name",
            "group",
            "unit",
            "price_unit",
            "frequency",
            "grace_days",
            "responsible_agency",
            "minimum_kind",
            "basis",
            "window_days",
            "forecast_points",
            "price_warning_pct",
            "price_window",
            "line",
            "extra_lines",
            "source",
            "notes",
            "minimums",
        ]


class ReporterSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(
        slug_field="code", queryset=Agency.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Reporter
        fields = ["id", "code", "name", "kind", "agency", "demo"]
        read_only_fields = ["demo"]


class AssignmentSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", queryset=SupplyItem.objects.all())
    reporter = serializers.SlugRelatedField(slug_field="code", queryset=Reporter.objects.all())

    class Meta:
        model = Assignment
        fields = ["id", "item", "reporter", "safety_level", "active"]


class ObservationSerializer(serializers.ModelSerializer):
    """One observation; ``unit``, if given, must be the item's unit (a guard against mixed units)."""

    item = serializers.SlugRelatedField(slug_field="code", queryset=SupplyItem.objects.all())
    reporter = serializers.SlugRelatedField(slug_field="code", queryset=Reporter.objects.all())
    unit = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = Observation
        fields = [
            "id",
            "item",
            "reporter",
            "date",
            "unit",
            "production",
            "imports",
            "consumption",
            "stock",
            "price",
            "source",
        ]
        read_only_fields = ["source"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from sixcore.progress.clock import today

        item = attrs.get("item") or getattr(self.instance, "item", None)
        reporter = attrs.get("reporter") or getattr(self.instance, "reporter", None)
        unit = attrs.pop("unit", None)
        errors: dict[str, str] = {}
        if unit is not None and item is not None and unit.strip() != item.unit:
            errors["unit"] = f"unit {unit!r} does not match the item's unit {item.unit!r}"
        day = attrs.get("date")
        if day is not None and day > today():
            errors["date"] = f"date {day.isoformat()} is in the future"
        for name in ("production", "imports", "consumption", "stock", "price"):
            if attrs.get(name) is not None and attrs[name] < 0:
                errors[name] = f"{name} is negative"
        if (
            item is not None
            and reporter is not None
            and not Assignment.objects.filter(item=item, reporter=reporter).exists()
        ):
            errors["reporter"] = f"reporter {reporter.code!r} does not report item {item.code!r}"
        if item is not None and reporter is not None and day is not None:
            duplicate = Observation.objects.filter(item=item, reporter=reporter, date=day)
            if self.instance is not None:
                duplicate = duplicate.exclude(pk=self.instance.pk)
            if duplicate.exists():
                errors["date"] = "duplicate observation: same item, reporter and date"
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reporter = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "item",
            "reporter",
            "kind",
            "opened_on",
            "closed_on",
            "value",
            "minimum",
            "message",
            "notified_at",
        ]


class StatusRowSerializer(serializers.Serializer):
    """One row of ``GET /api/supplies/status/`` (also ``sixcore supplies status --format json``)."""

    item = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    measure = serializers.ChoiceField(choices=["days", "months", "percent"])
    days_of_cover = serializers.FloatField(allow_null=True)
    cover = serializers.FloatField(
        allow_null=True, help_text="In the measure of the minimum (days, months or %)."
    )
    minimum = serializers.FloatField(
        allow_null=True, help_text="In force on the as-of date, in the item's measure."
    )
    status = serializers.ChoiceField(choices=["red", "yellow", "green", "grey"])
    forecast_breach = serializers.DateField(allow_null=True)
    as_of = serializers.DateField()
    last_report = serializers.DateField(allow_null=True)
    overdue_reporters = serializers.IntegerField()
    price_warning = serializers.BooleanField()


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    row = serializers.IntegerField()
    reason = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    file = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)
