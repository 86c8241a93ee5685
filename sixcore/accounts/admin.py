from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from .models import Agency, User
from .signals import reporters_changed

# What decides who reports a plan item and the code a result names; name, order and aliases do not.
REPORTING_FIELDS = {"code", "parent", "kind"}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    """An agency moved under another parent, given another kind or code, or deleted changes the
    stored evaluation's agencies and reporters: announced in the admin's own transaction."""

    list_display = ("code", "name", "full_name", "parent", "kind", "recognized")
    list_filter = ("kind", "recognized")
    search_fields = ("code", "name", "full_name")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and REPORTING_FIELDS & set(form.changed_data):
            reporters_changed.send(Agency)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        reporters_changed.send(Agency)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            reporters_changed.send(Agency)


@admin.register(User)
class SixcoreUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "agency", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "agency")
    fieldsets = (*UserAdmin.fieldsets, ("sixcore", {"fields": ("agency", "role")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("sixcore", {"fields": ("agency", "role")}))
