"""Query filters of the agency register (``?kind=&recognized=&parent=``), and the agency filter's
rule shared by other apps' lists: an agency code matches the agency and its sub-units.

That is a search convenience, not a permission rule — what a caller may see is decided by
accounts/policy.py.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from ..models import Agency


def agency_and_units(code: str) -> QuerySet[Agency]:
    """The agency with this code and its sub-units (the register nests one level): ``moea`` also
    finds 經濟部(工業局)."""
    return Agency.objects.filter(Q(code=code) | Q(parent__code=code))


class AgencyFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Parent agency code.")

    class Meta:
        model = Agency
        fields = ["kind", "recognized", "parent"]
