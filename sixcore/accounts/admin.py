from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Agency, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "full_name", "parent", "kind", "recognized")
    list_filter = ("kind", "recognized")
    search_fields = ("code", "name", "full_name")


@admin.register(User)
class SixcoreUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "agency", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "agency")
    fieldsets = (*UserAdmin.fieldsets, ("sixcore", {"fields": ("agency", "role")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("sixcore", {"fields": ("agency", "role")}))
