"""Filter pieces shared by the apps' APIs (each app's own FilterSets live in its ``api/filters.py``).

A library layer: it imports no domain app.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from sixcore.core.roc import RocDateError, parse_quarter


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
