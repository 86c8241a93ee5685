"""Query filters of the list endpoints, by natural codes (``?industry=1&measure=1.2&period=111Q2``).

An ``agency`` filter matches the agency and its sub-units (``moea`` also finds 經濟部(工業局)); that is a
search convenience, not a permission rule — what a caller may see is decided by progress/policy.py.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from sixcore.accounts.models import Agency
from sixcore.core.roc import RocDateError, parse_quarter
from sixcore.plan import models as plan
from sixcore.progress import models as progress
from sixcore.progress.choices import SubmissionStatus


def agency_and_units(code: str) -> QuerySet[Agency]:
    """The agency with this code and its sub-units (the register nests one level)."""
    return Agency.objects.filter(Q(code=code) | Q(parent__code=code))


class PeriodCodeFilter(django_filters.CharFilter):
    """``111Q2`` / ``2022Q2`` → the period's year and quarter; a malformed code is a 400 naming the field."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        try:
            roc_year, quarter = parse_quarter(value)
        except RocDateError:
            raise ValidationError(
                {self.field_name.split("__")[-1]: [f"{value!r} is not a reporting quarter like 111Q2."]}
            ) from None
        return qs.filter(**{f"{self.field_name}__roc_year": roc_year, f"{self.field_name}__quarter": quarter})


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


class AgencyFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Parent agency code.")

    class Meta:
        model = Agency
        fields = ["kind", "recognized", "parent"]


class SubmissionFilter(django_filters.FilterSet):
    period = PeriodCodeFilter(field_name="period", help_text="Reporting quarter, e.g. 111Q2.")
    industry = django_filters.CharFilter(field_name="industry__code", help_text="Industry code.")
    agency = django_filters.CharFilter(field_name="agency__code", help_text="Agency code, e.g. moea.")
    status = django_filters.ChoiceFilter(choices=SubmissionStatus.choices)

    class Meta:
        model = progress.Submission
        fields = ["period", "industry", "agency", "status"]


class KPIReportFilter(django_filters.FilterSet):
    period = PeriodCodeFilter(field_name="submission__period", help_text="Reporting quarter, e.g. 111Q2.")
    kpi = django_filters.CharFilter(method="filter_kpi", help_text="KPI code, e.g. 1.2.2, or MEASURE/CODE.")
    measure = django_filters.CharFilter(field_name="kpi__measure__code", help_text="Measure code.")
    industry = django_filters.CharFilter(field_name="submission__industry__code", help_text="Industry code.")
    agency = django_filters.CharFilter(field_name="submission__agency__code", help_text="Agency code.")
    status = django_filters.ChoiceFilter(field_name="submission__status", choices=SubmissionStatus.choices)

    class Meta:
        model = progress.KPIReport
        fields = ["period", "kpi", "measure", "industry", "agency", "status"]

    def filter_kpi(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if "/" in value:
            measure, code = value.split("/", 1)
            return qs.filter(kpi__measure__code=measure, kpi__code=code)
        return qs.filter(kpi__code=value)
