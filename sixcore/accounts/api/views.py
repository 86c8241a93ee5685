"""The agency register under ``/api/plan/agencies/``: public and read-only, served with the plan's
reference data though agencies are not part of a plan revision."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from sixcore.api import errors
from sixcore.api.pagination import BoundedLimitOffsetPagination
from sixcore.api.views import NulSafeLookupMixin

from ..models import Agency
from .filters import AgencyFilter
from .serializers import AgencySerializer


@extend_schema_view(
    list=extend_schema(
        tags=["plan"], responses={200: AgencySerializer(many=True), 400: errors.VALIDATION_ERROR}
    ),
    retrieve=extend_schema(tags=["plan"], responses={200: AgencySerializer, 404: errors.NOT_FOUND}),
)
class AgencyViewSet(NulSafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    """The agency register (agencies are not part of a plan revision)."""

    serializer_class = AgencySerializer
    pagination_class = BoundedLimitOffsetPagination
    filterset_class = AgencyFilter
    queryset = Agency.objects.select_related("parent").order_by("order", "code")
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
