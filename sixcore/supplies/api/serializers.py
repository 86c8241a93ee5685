"""Serializers of the supplies API (quantities as decimal strings, items and reporters by code)."""

from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext
from rest_framework import serializers

from sixcore.accounts.models import Agency
from sixcore.core.dates import validate_date_range

from ..importer import column_label, stored_exactly, too_many_digits
from ..models import Alert, Assignment, Minimum, Observation, Reporter, SupplyItem


class CodeField(serializers.SlugRelatedField):
    """A related row by its code; a NUL character is refused here (400), as PostgreSQL refuses it in text
    (an error, i.e. a 500, if it reached the query)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError(ProhibitNullCharactersValidator.message)  # Django's zh-Hant
        return super().to_internal_value(data)


class MinimumSerializer(serializers.ModelSerializer):
    item = CodeField(slug_field="code", queryset=SupplyItem.objects.all())

    class Meta:
        model = Minimum
        fields = ["id", "item", "effective_from", "value", "line", "basis_text"]
        # The table's CHECK supplies_minimum_not_negative: refused here (400), not by the database (500).
        extra_kwargs = {"value": {"min_value": 0}, "effective_from": {"validators": [validate_date_range]}}


class NestedMinimumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Minimum
        fields = ["effective_from", "value", "line", "basis_text"]


class SupplyItemSerializer(serializers.ModelSerializer):
    responsible_agency = CodeField(slug_field="code", queryset=Agency.objects.all())
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
    agency = CodeField(slug_field="code", queryset=Agency.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Reporter
        fields = ["id", "code", "name", "kind", "agency", "demo"]
        read_only_fields = ["demo"]


class AssignmentSerializer(serializers.ModelSerializer):
    item = CodeField(slug_field="code", queryset=SupplyItem.objects.all())
    reporter = CodeField(slug_field="code", queryset=Reporter.objects.all())

    class Meta:
        model = Assignment
        fields = ["id", "item", "reporter", "safety_level", "active"]


class ObservationSerializer(serializers.ModelSerializer):
    """One observation; ``unit``, if given, must be the item's unit (a guard against mixed units)."""

    item = CodeField(slug_field="code", queryset=SupplyItem.objects.all())
    reporter = CodeField(slug_field="code", queryset=Reporter.objects.all())
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
        extra_kwargs = {"date": {"validators": [validate_date_range]}}
        validators: list = []  # the unique (item, reporter, date) is checked in validate(), in zh-Hant

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from sixcore.progress.clock import today

        item = attrs.get("item") or getattr(self.instance, "item", None)
        reporter = attrs.get("reporter") or getattr(self.instance, "reporter", None)
        unit = attrs.pop("unit", None)
        errors: dict[str, str] = {}
        # The importer's messages (zh-Hant through its msgids), so a file and the API say the same.
        if unit is not None and item is not None and unit.strip() != item.unit:
            errors["unit"] = gettext("unit %(unit)s does not match the item's unit %(expected)s") % {
                "unit": unit,
                "expected": item.unit,
            }
        day = attrs.get("date")
        if day is not None and day > today():
            errors["date"] = gettext("date %(date)s is in the future (today is %(today)s)") % {
                "date": day.isoformat(),
                "today": today().isoformat(),
            }
        for name in ("production", "imports", "consumption", "stock", "price"):
            if attrs.get(name) is not None and attrs[name] < 0:
                errors[name] = gettext("%(column)s is negative (%(value)s)") % {
                    "column": column_label(name),
                    "value": f"{attrs[name].normalize():f}",  # -1, not the field's -1.0000
                }
            elif attrs.get(name) is not None and not stored_exactly(attrs[name]):
                # Within max_digits, but SQLite would keep it rounded (as the importer refuses it).
                errors[name] = too_many_digits(name, str(attrs[name]))
        if (
            item is not None
            and reporter is not None
            and not Assignment.objects.filter(item=item, reporter=reporter).exists()
        ):
            errors["reporter"] = gettext("reporter %(reporter)s does not report item %(item)s") % {
                "reporter": reporter.code,
                "item": item.code,
            }
        day = day or getattr(self.instance, "date", None)  # a partial update keeps its date
        if item is not None and reporter is not None and day is not None:
            duplicate = Observation.objects.filter(item=item, reporter=reporter, date=day)
            if self.instance is not None:
                duplicate = duplicate.exclude(pk=self.instance.pk)
            if duplicate.exists():
                errors["date"] = gettext("duplicate observation: same item, reporter and date")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # Null for an item-level alert (the item's cover as a whole, no one reporter).
    reporter = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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
