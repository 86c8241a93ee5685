"""Query filters of the plan's lists, by natural codes (``?industry=1&measure=1.2&agency=moea``).

An ``agency`` filter matches the agency and its sub-units (``accounts.api.filters.agency_and_units``).
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from sixcore.accounts.api.filters import agency_and_units

from .. import models as plan


class MeasureFilter(django_filters.FilterSet):
    industry = django_filters.CharFilter(field_name="industry__code", help_text="Industry code, e.g. 1.")

    class Meta:
        model = plan.Measure
        fields = ["industry"]


class KPIFilter(django_filters.FilterSet):
    measure = django_filters.CharFilter(field_name="measure__code", help_text="Measure code, e.g. 1.2.")
    industry = django_filters.CharFilter(field_name="measure__industry__code", help_text="Industry code.")
    agency = django_filters.CharFilter(method="filter_agency", help_text="Agency code (with its sub-units).")

    class Meta:
        model = plan.KPI
        fields = ["measure", "industry", "agency"]

    def filter_agency(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        links = plan.KPIAgency.objects.filter(agency__in=agency_and_units(value)).values("kpi")
        return qs.filter(pk__in=links)


class WorkItemFilter(django_filters.FilterSet):
    schedule = django_filters.CharFilter(field_name="schedule__code", help_text="Schedule table, e.g. 1-1.")
    measure = django_filters.CharFilter(method="filter_measure", help_text="Measure code, e.g. 1.1.")
    industry = django_filters.CharFilter(field_name="schedule__industry__code", help_text="Industry code.")
    agency = django_filters.CharFilter(
        method="filter_agency", help_text="Lead or co-operating agency code (with its sub-units)."
    )

    class Meta:
        model = plan.WorkItem
        fields = ["schedule", "measure", "industry", "agency"]

    def filter_measure(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # Work items hang on schedule tables; a measure reaches them through its table.
        return qs.filter(schedule__in=plan.Measure.objects.filter(code=value).values("schedule"))

    def filter_agency(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        links = plan.WorkItemAgency.objects.filter(agency__in=agency_and_units(value)).values("work_item")
        return qs.filter(pk__in=links)


class BudgetFilter(django_filters.FilterSet):
    industry = django_filters.CharFilter(field_name="industry__code", help_text="Industry code.")
    year = django_filters.NumberFilter(field_name="year", help_text="ROC year, 110–113.")

    class Meta:
        model = plan.BudgetLine
        fields = ["industry", "year"]
