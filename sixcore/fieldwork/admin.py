"""The thresholds of selection by exception are data NDC maintains here (one row, defaults until then)."""

from django.contrib import admin

from . import models


@admin.register(models.SelectionSettings)
class SelectionSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "lag_threshold", "repeat_threshold", "lookback_quarters")

    def has_add_permission(self, request) -> bool:
        # One row: NDC edits it rather than adding a second set of thresholds.
        return super().has_add_permission(request) and not models.SelectionSettings.objects.exists()
