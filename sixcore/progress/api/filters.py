"""Query filters of the quarterly cycle's lists, by natural codes (``?industry=1&period=111Q2``).

They narrow what the caller may see; what that is, is decided by progress/policy.py.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from sixcore.api.filters import PeriodCodeFilter

from .. import models as progress
from ..choices import SubmissionStatus


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
