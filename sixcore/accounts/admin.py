from django.contrib import admin

from .models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "full_name", "parent", "kind", "recognized")
    list_filter = ("kind", "recognized")
    search_fields = ("code", "name", "full_name")
