"""REST API of the supplies watch under /api/supplies/.

Public: the registry (items, minimums) and the aggregated statuses and item-level alerts. Companies'
figures (observations, reporters, assignments, reporter-level alerts) only for NDC and the users of
the item's responsible agency. Writes through :mod:`sixcore.supplies.policy`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sixcore.accounts.policy import EDITOR_ROLES, is_ndc
from sixcore.api.errors import FORBIDDEN, NOT_AUTHENTICATED, NOT_FOUND, VALIDATION_ERROR, ErrorSerializer
from sixcore.api.views import NulSafeLookupMixin
from sixcore.core.dates import parse_iso
from sixcore.core.uploads import UploadRefused, check_upload, import_max_bytes

from .. import policy
from ..choices import ObservationSource
from ..importer import import_file
from ..models import Alert, Assignment, Minimum, Observation, Reporter, SupplyItem
from ..registry import ensure_seeded
from ..services import compute_statuses, items_queryset
from .permissions import ItemScopedWrite, ItemWrite, ReporterWrite
from .serializers import (
    AlertSerializer,
    AssignmentSerializer,
    ImportRequestSerializer,
    ImportResultSerializer,
    MinimumSerializer,
    ObservationSerializer,
    ReporterSerializer,
    StatusRowSerializer,
    SupplyItemSerializer,
)

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="Judge as of this date (default: today).")


def _param(request: Request, name: str) -> str:
    """A text filter; a NUL character is refused (400): PostgreSQL refuses it in a query (a 500)."""
    value = request.query_params.get(name, "")
    if "\x00" in value:
        raise ValidationError({name: [ProhibitNullCharactersValidator.message]})  # Django's zh-Hant
    return value


def _as_of(request: Request) -> date:
    from sixcore.progress.clock import today

    value = request.query_params.get("as_of")
    if not value:
        return today()
    return _date_param(request, "as_of")


def _date_param(request: Request, name: str) -> date | None:
    """A date query parameter, in range (core/dates.py) before any arithmetic; 400 naming it otherwise."""
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None


def _require_edit(user, item: SupplyItem) -> None:
    if not policy.can_edit(user, item):
        raise PermissionDenied(
            "only NDC administrators and editors of the item's responsible agency may write it"
        )


class InUse(APIException):
    """409: observations (or other protected records) refer to the row; nothing was deleted."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "in_use"


UNSUPPORTED_MEDIA_TYPE = OpenApiResponse(
    ErrorSerializer, description="The body's media type is not accepted."
)
WRITE_ERRORS = {400: VALIDATION_ERROR, 401: NOT_AUTHENTICATED, 403: FORBIDDEN, 415: UNSUPPORTED_MEDIA_TYPE}
DELETE_RESPONSES = {
    204: None,
    401: NOT_AUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: OpenApiResponse(
        ErrorSerializer, description="Observations refer to it (they are kept): nothing was deleted."
    ),
}


def crud_schema(
    serializer: type, *, filters: bool = False, signed_in: bool = False, in_use: bool = False
) -> Any:
    """The documented answers of a supplies viewset's actions, errors included: 400 for a bad body (or
    query filter), 401/403 for writes (and for reads that need a sign-in), 404 for a path naming nothing,
    409 for a delete of a row observations refer to."""
    anonymous = {401: NOT_AUTHENTICATED} if signed_in else {}
    listing = {200: serializer(many=True), **anonymous}
    if filters:
        listing[400] = VALIDATION_ERROR
    one = {200: serializer, 404: NOT_FOUND, **anonymous}
    destroy = DELETE_RESPONSES if in_use else {k: v for k, v in DELETE_RESPONSES.items() if k != 409}
    return extend_schema_view(
        list=extend_schema(responses=listing),
        retrieve=extend_schema(responses=one),
        create=extend_schema(responses={201: serializer, **WRITE_ERRORS}),
        update=extend_schema(responses={200: serializer, **WRITE_ERRORS, 404: NOT_FOUND}),
        partial_update=extend_schema(responses={200: serializer, **WRITE_ERRORS, 404: NOT_FOUND}),
        destroy=extend_schema(responses=destroy),
    )


def _delete_unless_used(instance: SupplyItem | Reporter, message: str) -> None:
    """Delete ``instance``, or answer 409 with ``message`` (``%(code)s``, ``%(count)s``) when
    observations refer to it: they are the record and are never deleted with it."""
    count = instance.observations.count()  # a count, not Django's ProtectedError listing every row
    if not count:
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as exc:  # another protected relation, or an observation added meanwhile
            count = len(exc.protected_objects)
        else:
            return
    raise InUse(message % {"code": instance.code, "count": count})


class ItemScopedWritesMixin:
    """Writes of rows that belong to a supply item: only editors of that item (before and after an
    update that moves the row to another item) may create, change or delete them."""

    create_values: dict = {}

    def perform_create(self, serializer) -> None:
        _require_edit(self.request.user, serializer.validated_data["item"])
        serializer.save(**self.create_values)

    def perform_update(self, serializer) -> None:
        _require_edit(self.request.user, serializer.instance.item)
        _require_edit(self.request.user, serializer.validated_data.get("item", serializer.instance.item))
        serializer.save()

    def perform_destroy(self, instance) -> None:
        _require_edit(self.request.user, instance.item)
        instance.delete()


class StatusView(APIView):
    """Every item's current cover against its minimum (public, aggregated)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[AS_OF], responses={200: StatusRowSerializer(many=True), 400: VALIDATION_ERROR})
    def get(self, request: Request) -> Response:
        ensure_seeded()
        rows = [s.as_row() for s in compute_statuses(_as_of(request))]
        return Response(rows)


@extend_schema(tags=["supplies"])
@crud_schema(SupplyItemSerializer, in_use=True)
class SupplyItemViewSet(NulSafeLookupMixin, viewsets.ModelViewSet):
    """The monitored items with their minimums; written by NDC and the responsible agency."""

    serializer_class = SupplyItemSerializer
    permission_classes = [ItemWrite]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    pagination_class = None

    def get_queryset(self):
        return items_queryset()

    def perform_create(self, serializer) -> None:
        if not policy.can_create_items(self.request.user):
            raise PermissionDenied(gettext("Only NDC administrators register new items."))
        serializer.save()

    def perform_update(self, serializer) -> None:
        _require_edit(self.request.user, serializer.instance)
        agency = serializer.validated_data.get("responsible_agency")
        if (
            agency is not None
            and agency != serializer.instance.responsible_agency
            and not policy.can_create_items(self.request.user)
        ):
            raise PermissionDenied(gettext("Only NDC administrators move an item to another agency."))
        serializer.save()

    def perform_destroy(self, instance: SupplyItem) -> None:
        if not policy.can_create_items(self.request.user):
            raise PermissionDenied(gettext("Only NDC administrators delete items."))
        _delete_unless_used(
            instance,
            gettext("item %(code)s cannot be deleted: %(count)s observation(s) or other records refer to it"),
        )


@extend_schema(tags=["supplies"])
@crud_schema(MinimumSerializer, filters=True)
@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("item", OpenApiTypes.STR)]))
class MinimumViewSet(NulSafeLookupMixin, ItemScopedWritesMixin, viewsets.ModelViewSet):
    """Minimums by date (public read)."""

    serializer_class = MinimumSerializer
    permission_classes = [ItemScopedWrite]
    lookup_value_regex = "[^/]+"  # "1.5" is a 404 in JSON, not the resolver's HTML 404
    pagination_class = None

    def get_queryset(self):
        queryset = Minimum.objects.select_related("item").order_by("item__order", "effective_from")
        if code := _param(self.request, "item"):
            queryset = queryset.filter(item__code=code)
        return queryset


@extend_schema(tags=["supplies"])
@crud_schema(ReporterSerializer, signed_in=True, in_use=True)
class ReporterViewSet(NulSafeLookupMixin, viewsets.ModelViewSet):
    """Reporters (companies, associations, agencies, stockpile tiers); signed-in users only."""

    serializer_class = ReporterSerializer
    permission_classes = [ReporterWrite]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        queryset = Reporter.objects.select_related("agency").order_by("code")
        if is_ndc(self.request.user):
            return queryset
        own = policy.responsible_agency_ids(self.request.user)
        return queryset.filter(items__responsible_agency__in=own).distinct()

    def _check(self) -> None:
        user = self.request.user
        if not (policy.is_ndc_admin(user) or user.role in EDITOR_ROLES):
            raise PermissionDenied(gettext("Only NDC administrators and agency editors register reporters."))

    def perform_create(self, serializer) -> None:
        self._check()
        serializer.save()

    def perform_update(self, serializer) -> None:
        self._check()
        serializer.save()

    def perform_destroy(self, instance: Reporter) -> None:
        if not policy.is_ndc_admin(self.request.user):
            raise PermissionDenied(gettext("Only NDC administrators delete reporters."))
        _delete_unless_used(
            instance,
            gettext(
                "reporter %(code)s cannot be deleted: %(count)s observation(s) or other records refer to it"
            ),
        )


@extend_schema(tags=["supplies"])
@crud_schema(AssignmentSerializer, signed_in=True)
class AssignmentViewSet(NulSafeLookupMixin, ItemScopedWritesMixin, viewsets.ModelViewSet):
    """Which reporter reports which item (and a tier's safety level)."""

    serializer_class = AssignmentSerializer
    lookup_value_regex = "[^/]+"  # "1.5" is a 404 in JSON, not the resolver's HTML 404
    permission_classes = [permissions.IsAuthenticated, ItemScopedWrite]

    def get_queryset(self):
        queryset = Assignment.objects.select_related("item", "reporter").order_by(
            "item__order", "reporter__code"
        )
        return policy.visible_details(self.request.user, queryset)


@extend_schema(tags=["supplies"])
@crud_schema(ObservationSerializer, filters=True, signed_in=True)
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("item", OpenApiTypes.STR),
            OpenApiParameter("reporter", OpenApiTypes.STR),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ]
    )
)
class ObservationViewSet(NulSafeLookupMixin, ItemScopedWritesMixin, viewsets.ModelViewSet):
    """Observations: read by NDC and the responsible agency; written by its editors and NDC admins."""

    serializer_class = ObservationSerializer
    lookup_value_regex = "[^/]+"  # "1.5" is a 404 in JSON, not the resolver's HTML 404
    permission_classes = [permissions.IsAuthenticated, ItemScopedWrite]
    filter_backends: list = []

    def get_queryset(self):
        queryset = Observation.objects.select_related("item", "reporter").order_by(
            "item__order", "date", "reporter__code"
        )
        queryset = policy.visible_details(self.request.user, queryset)
        if item := _param(self.request, "item"):
            queryset = queryset.filter(item__code=item)
        if reporter := _param(self.request, "reporter"):
            queryset = queryset.filter(reporter__code=reporter)
        if (first := _date_param(self.request, "date_from")) is not None:
            queryset = queryset.filter(date__gte=first)
        if (last := _date_param(self.request, "date_to")) is not None:
            queryset = queryset.filter(date__lte=last)
        return queryset

    create_values = {"source": ObservationSource.API}


@extend_schema(tags=["supplies"])
@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "all"])],
        responses={200: AlertSerializer(many=True), 400: VALIDATION_ERROR},
    ),
    retrieve=extend_schema(responses={200: AlertSerializer, 404: NOT_FOUND}),
)
class AlertViewSet(
    NulSafeLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Alert episodes; reporter-level ones only for NDC and the responsible agency."""

    serializer_class = AlertSerializer
    lookup_value_regex = "[^/]+"
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        queryset = Alert.objects.select_related("item", "reporter").order_by("closed_on", "-opened_on", "pk")
        if not is_ndc(self.request.user):
            own = policy.responsible_agency_ids(self.request.user)
            queryset = queryset.filter(Q(reporter__isnull=True) | Q(item__responsible_agency__in=own))
        if self.request.query_params.get("state", "all") == "open":
            queryset = queryset.filter(closed_on__isnull=True)
        return queryset


class ImportView(APIView):
    """Import a CSV/XLSX of observations: all rows or none (400 with every bad row)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=ImportRequestSerializer,
        responses={
            200: OpenApiResponse(ImportResultSerializer, description="Every row was already recorded."),
            201: OpenApiResponse(ImportResultSerializer, description="Observations written."),
            400: OpenApiResponse(
                ImportResultSerializer,
                description="Nothing written: no file, a refused file, or every bad row in `errors`.",
            ),
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            415: UNSUPPORTED_MEDIA_TYPE,
        },
    )
    def post(self, request: Request) -> Response:
        # Rights before the file is looked at (a refused caller learns nothing from its errors).
        if not policy.editable_items(request.user, SupplyItem.objects.all()).exists():
            raise PermissionDenied("only editors of a responsible agency and NDC administrators import")
        upload = request.FILES.get("file")
        if upload is None:
            reason = gettext("a CSV or XLSX file is required")
            body = {"file": "", "rows": 0, "created": 0, "unchanged": 0}
            body["errors"] = [{"file": "", "row": 0, "reason": reason}]
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        try:
            content = check_upload(upload, (".csv", ".ods", ".xlsx"), import_max_bytes()).content
        except UploadRefused as exc:
            body = {"file": upload.name, "rows": 0, "created": 0, "unchanged": 0}
            body["errors"] = [{"file": upload.name, "row": 0, "reason": str(exc)}]
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        from ..importer import item_codes

        try:
            codes = item_codes(upload.name, content)
        except Exception:  # noqa: BLE001 - an unreadable file is reported by the importer
            codes = set()
        for item in SupplyItem.objects.filter(code__in=codes):
            _require_edit(request.user, item)
        result = import_file(name=upload.name, content=content, user=request.user)
        body = {
            "file": result.file,
            "rows": result.rows,
            "created": result.created,
            "unchanged": result.unchanged,
            "errors": [{"file": e.file, "row": e.row, "reason": e.reason} for e in result.errors],
        }
        if result.errors:
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
