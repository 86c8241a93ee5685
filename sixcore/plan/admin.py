"""Django admin for every plan model: NDC staff can inspect and correct the loaded program."""

from django.contrib import admin

from . import models as plan


class LineMixin:
    readonly_fields = ("line",)


class IndustryLeadInline(admin.TabularInline):
    model = plan.IndustryLeadAgency
    extra = 0


class SubAreaInline(admin.StackedInline):
    model = plan.SubArea
    extra = 0


@admin.register(plan.Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("revision", "name", "title", "revision_date", "effective_from", "loaded_at")
    readonly_fields = ("content_hash", "loaded_at")


@admin.register(plan.Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "vision", "program")
    list_filter = ("program",)
    inlines = [IndustryLeadInline, SubAreaInline]


@admin.register(plan.SubArea)
class SubAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "vision")


@admin.register(plan.Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("industry", "seq", "label", "name", "sub_area", "line")
    list_filter = ("industry__program", "industry")


class MeasureAgencyInline(admin.TabularInline):
    model = plan.MeasureAgency
    extra = 0


@admin.register(plan.Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "industry", "strategy", "schedule", "line")
    list_filter = ("industry__program", "industry")
    search_fields = ("code", "name")
    inlines = [MeasureAgencyInline]


@admin.register(plan.ScheduleTable)
class ScheduleTableAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "industry", "line")
    list_filter = ("industry__program", "industry")


@admin.register(plan.Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("schedule", "seq", "title", "line")
    list_filter = ("schedule__industry",)


@admin.register(plan.Approach)
class ApproachAdmin(admin.ModelAdmin):
    list_display = ("task", "code", "title", "line")


class WorkItemAgencyInline(admin.TabularInline):
    model = plan.WorkItemAgency
    extra = 0


@admin.register(plan.WorkItem)
class WorkItemAdmin(admin.ModelAdmin):
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
class KPIAdmin(admin.ModelAdmin):
    list_display = ("code", "measure", "full_term_text", "line")
    list_filter = ("measure__industry__program", "measure__industry")
    search_fields = ("code", "full_term_text")
    inlines = [KPIAgencyInline, AnnualTargetInline]


@admin.register(plan.TargetCell)
class TargetCellAdmin(admin.ModelAdmin):
    list_display = ("id", "text", "line", "program")
    search_fields = ("text",)


@admin.register(plan.AnnualTarget)
class AnnualTargetAdmin(admin.ModelAdmin):
    list_display = ("kpi", "year", "merged", "source")
    list_filter = ("year", "merged", "source")
    raw_id_fields = ("kpi", "cell")


@admin.register(plan.BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ("industry", "year", "amount", "line")
    list_filter = ("program", "year")


@admin.register(plan.BudgetStatedTotal)
class BudgetStatedTotalAdmin(admin.ModelAdmin):
    list_display = ("kind", "industry", "year", "amount", "line")


@admin.register(plan.SecurityBudgetRatio)
class SecurityBudgetRatioAdmin(admin.ModelAdmin):
    list_display = ("year_label", "tier", "text", "percent", "line")


@admin.register(plan.Footnote)
class FootnoteAdmin(admin.ModelAdmin):
    list_display = ("program", "number", "attaches_to", "marker", "line")
    list_filter = ("program",)
    search_fields = ("text", "attaches_to")
