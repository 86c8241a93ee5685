"""Admin for the cycle. Status and version are read-only here: only the workflow methods move a
submission (see workflow.py), so an admin edit can never skip review or overwrite a newer version."""

from django.contrib import admin

from sixcore.core.dates import DateRangeAdminMixin

from . import models


@admin.register(models.CycleSettings)
class CycleSettingsAdmin(DateRangeAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "as_of", "grace_days")
    filter_horizontal = ("internal_review_agencies", "internal_reviewers")  # 陳核: agencies, supervisors


@admin.register(models.ReportingPeriod)
class ReportingPeriodAdmin(DateRangeAdminMixin, admin.ModelAdmin):
    list_display = ("code", "label", "due_date", "grace_days", "closed")
    list_editable = ("due_date", "grace_days", "closed")


@admin.register(models.PeriodReopening)
class PeriodReopeningAdmin(DateRangeAdminMixin, admin.ModelAdmin):
    list_display = ("period", "agency", "until", "opened_by", "opened_at")
    readonly_fields = ("opened_by", "opened_at")

    def save_model(self, request, obj, form, change):
        obj.opened_by = obj.opened_by if change else request.user
        super().save_model(request, obj, form, change)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class KPIReportInline(ReadOnlyInline):
    model = models.KPIReport


class WorkItemReportInline(ReadOnlyInline):
    model = models.WorkItemReport


@admin.register(models.Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("period", "industry", "agency", "status", "version", "submitted_at", "is_demo")
    list_filter = ("period", "status", "industry", "is_demo")
    search_fields = ("agency__name", "agency__code")
    readonly_fields = [f.name for f in models.Submission._meta.fields]
    inlines = [KPIReportInline, WorkItemReportInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "submission", "size", "uploaded_by", "uploaded_at")
    readonly_fields = [f.name for f in models.Attachment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(models.IndustryReport)
class IndustryReportAdmin(admin.ModelAdmin):
    list_display = ("period", "industry", "is_demo", "modified_at")
