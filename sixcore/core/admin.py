"""Admin for the change log: read-only for everyone, superusers included."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ObjectChange


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    """Browse and filter the log. Nobody can add, change or delete a row (the log is append-only);
    superusers get the read-only view like anyone with the view permission."""

    list_display = (
        "time",
        "user_name",
        "source",
        "action",
        "changed_object_type",
        "object_repr",
        "request_id",
    )
    list_filter = ("source", "action", ("changed_object_type", admin.RelatedOnlyFieldListFilter), "time")
    search_fields = ("object_repr", "user_name", "changed_object_id", "message")
    date_hierarchy = "time"
    list_select_related = ("changed_object_type",)
    show_full_result_count = False  # a COUNT(*) over the whole log on every page is wasted work
    fields = (
        "time",
        "user",
        "user_name",
        "request_id",
        "source",
        "action",
        "changed_object_type",
        "changed_object_id",
        "object_repr",
        "related_objects",
        "prechange_data",
        "postchange_data",
        "message",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
