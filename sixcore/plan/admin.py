"""Django admin for every plan model: NDC staff can inspect and correct the loaded program.

A correction here (a target, a KPI's text, an agency link, a revision's first quarter…) changes the
results of the periods that read the revision: every admin of this module announces it through
``plan_changed`` in the admin's own transaction, as ``plan load`` does, so the stored evaluation is
rebuilt with the edit and commits, or rolls back, with it.
"""

from django.contrib import admin
from django.db import transaction

from . import models as plan
from .signals import plan_changed


class PlanAdmin(admin.ModelAdmin):
    """A plan model's admin whose saves and deletions announce ``plan_changed`` (every period: a
    superset of the periods the edited revision is in force for, and still exact)."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change or form.has_changed() or any(f.has_changed() for f in formsets):
            plan_changed.send(self.model, since=None)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        plan_changed.send(self.model, since=None)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            plan_changed.send(self.model, since=None)


class LineMixin:
    readonly_fields = ("line",)


class IndustryLeadInline(admin.TabularInline):
    model = plan.IndustryLeadAgency
    extra = 0


class SubAreaInline(admin.StackedInline):
    model = plan.SubArea
    extra = 0


@admin.register(plan.Program)
class ProgramAdmin(PlanAdmin):
    list_display = ("revision", "name", "title", "revision_date", "effective_from", "loaded_at")
    readonly_fields = ("content_hash", "loaded_at")


@admin.register(plan.Industry)
class IndustryAdmin(PlanAdmin):
    list_display = ("code", "name", "vision", "program")
    list_filter = ("program",)
    inlines = [IndustryLeadInline, SubAreaInline]


@admin.register(plan.SubArea)
class SubAreaAdmin(PlanAdmin):
    list_display = ("name", "industry", "vision")


@admin.register(plan.Strategy)
class StrategyAdmin(PlanAdmin):
    list_display = ("industry", "seq", "label", "name", "sub_area", "line")
    list_filter = ("industry__program", "industry")


class MeasureAgencyInline(admin.TabularInline):
    model = plan.MeasureAgency
    extra = 0


@admin.register(plan.Measure)
class MeasureAdmin(PlanAdmin):
    list_display = ("code", "name", "industry", "strategy", "schedule", "line")
    list_filter = ("industry__program", "industry")
    search_fields = ("code", "name")
    inlines = [MeasureAgencyInline]


@admin.register(plan.ScheduleTable)
class ScheduleTableAdmin(PlanAdmin):
    list_display = ("code", "title", "industry", "line")
    list_filter = ("industry__program", "industry")


@admin.register(plan.Task)
class TaskAdmin(PlanAdmin):
    list_display = ("schedule", "seq", "title", "line")
    list_filter = ("schedule__industry",)


@admin.register(plan.Approach)
class ApproachAdmin(PlanAdmin):
    list_display = ("task", "code", "title", "line")


class WorkItemAgencyInline(admin.TabularInline):
    model = plan.WorkItemAgency
    extra = 0


@admin.register(plan.WorkItem)
class WorkItemAdmin(PlanAdmin):
    list_display = ("schedule", "code", "title", "period_text", "start", "end", "line")
    list_filter = ("schedule__industry__program", "schedule__industry")
    search_fields = ("code", "title")
    inlines = [WorkItemAgencyInline]


class KPIAgencyInline(admin.TabularInline):
    model = plan.KPIAgency
    extra = 0


class AnnualTargetInline(admin.TabularInline):
    model = plan.AnnualTarget
    extra = 0
    raw_id_fields = ("cell",)


@admin.register(plan.KPI)
class KPIAdmin(PlanAdmin):
    list_display = ("code", "measure", "full_term_text", "line")
    list_filter = ("measure__industry__program", "measure__industry")
    search_fields = ("code", "full_term_text")
    inlines = [KPIAgencyInline, AnnualTargetInline]


@admin.register(plan.TargetCell)
class TargetCellAdmin(PlanAdmin):
    list_display = ("id", "text", "line", "program")
    search_fields = ("text",)


@admin.register(plan.AnnualTarget)
class AnnualTargetAdmin(PlanAdmin):
    list_display = ("kpi", "year", "merged", "source")
    list_filter = ("year", "merged", "source")
    raw_id_fields = ("kpi", "cell")


@admin.register(plan.BudgetLine)
class BudgetLineAdmin(PlanAdmin):
    list_display = ("industry", "year", "amount", "line")
    list_filter = ("program", "year")


@admin.register(plan.BudgetStatedTotal)
class BudgetStatedTotalAdmin(PlanAdmin):
    list_display = ("kind", "industry", "year", "amount", "line")


@admin.register(plan.SecurityBudgetRatio)
class SecurityBudgetRatioAdmin(PlanAdmin):
    list_display = ("year_label", "tier", "text", "percent", "line")


@admin.register(plan.Footnote)
class FootnoteAdmin(PlanAdmin):
    list_display = ("program", "number", "attaches_to", "marker", "line")
    list_filter = ("program",)
    search_fields = ("text", "attaches_to")
