"""REST API of field verification under /api/field-verifications/ (docs/API.md).

Reads are scoped as the pages (``policy.py``): NDC everything, agencies the visits they attend or own
a recommendation of, the public published ones; evidence file names for the parties only. Writes are
NDC's, through ``services`` / ``workflow`` (atomic, version-checked, audited): the caller's scope is
checked first (another's visit is 404), the role next (403), then the body (400), the state and the
version last (409).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from sixcore.accounts.models import Agency
from sixcore.api.errors import FORBIDDEN, NOT_AUTHENTICATED, NOT_FOUND, VALIDATION_ERROR, ErrorSerializer
from sixcore.api.pagination import BoundedLimitOffsetPagination
from sixcore.api.views import NulSafeLookupMixin
from sixcore.core.roc import RocDateError
from sixcore.progress.models import ReportingPeriod

from .. import selection, services, workflow
from ..models import FieldVerification, Recommendation, VerifiedItem
from ..policy import fieldwork_policy
from . import serializers as s

CONFLICT = OpenApiResponse(
    ErrorSerializer, description="Wrong state, or a stale version: nothing was written."
)
WRITE_ERRORS = {400: VALIDATION_ERROR, 401: NOT_AUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}
ITEM_ID = OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="verified item id")


def _period(code: str) -> ReportingPeriod:
    try:
        return ReportingPeriod.by_code(code)
    except (ReportingPeriod.DoesNotExist, RocDateError):
        raise ValidationError({"period": [f"No reporting period {code!r}."]}) from None


def _agencies(codes: list[str], field: str) -> list[Agency]:
    found = list(Agency.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {a.code for a in found})
    if unknown:
        raise ValidationError({field: [f"Unknown agency: {', '.join(unknown)}"]})
    return found


@extend_schema_view(
    list=extend_schema(summary="Field verifications the caller may read", tags=["field verification"]),
    retrieve=extend_schema(
        summary="One field verification with its items, findings, evidence and recommendations",
        tags=["field verification"],
        responses={200: s.FieldVerificationSerializer, 404: NOT_FOUND},
    ),
)
class FieldVerificationViewSet(
    NulSafeLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = BoundedLimitOffsetPagination
    lookup_value_regex = "[^/]+"  # "1.5" is a 404 in JSON, not the resolver's HTML 404
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        queryset = FieldVerification.objects.select_related("basis_period").prefetch_related(
            "agencies",
            Prefetch(
                "items",
                queryset=VerifiedItem.objects.prefetch_related(
                    "evidence",
                    Prefetch(
                        "recommendations",
                        queryset=Recommendation.objects.select_related("owner", "follow_up"),
                    ),
                ),
            ),
        )
        return fieldwork_policy.verifications(self.request.user, queryset).order_by("-date", "-pk")

    def get_serializer_class(self):
        return s.FieldVerificationListSerializer if self.action == "list" else s.FieldVerificationSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        pk = self.kwargs.get("pk")
        if pk is not None and self.request.user.is_authenticated:
            verification = FieldVerification.objects.filter(pk=pk).first()
            context["party"] = verification is not None and fieldwork_policy.is_party(
                self.request.user, verification
            )
        return context

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.FieldErrors):
            return Response(
                {name: [str(m) for m in messages] for name, messages in exc.errors.items()},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, (services.StaleVersion, services.InvalidTransition)):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, DjangoPermissionDenied):
            return Response({"detail": str(exc) or "Not allowed."}, status=status.HTTP_403_FORBIDDEN)
        return super().handle_exception(exc)

    def _manager(self) -> None:
        if not fieldwork_policy.can_manage(self.request.user):
            raise DjangoPermissionDenied("Only NDC plans and records field verifications.")

    def _detail(self, verification: FieldVerification, code: int = status.HTTP_200_OK) -> Response:
        verification = self.get_queryset().get(pk=verification.pk)
        context = self.get_serializer_context() | {
            "party": fieldwork_policy.is_party(self.request.user, verification)
        }
        return Response(s.FieldVerificationSerializer(verification, context=context).data, status=code)

    def _item(self, item_id: str) -> VerifiedItem:
        verification = self.get_object()
        if not item_id.isdigit():  # "1.5" names no item: a 404 in JSON, never a query error
            raise NotFound("No such verified item in this field verification.")
        item = (
            VerifiedItem.objects.filter(pk=item_id, verification=verification)
            .select_related("verification")
            .first()
        )
        if item is None:
            raise NotFound("No such verified item in this field verification.")
        return item

    @extend_schema(
        summary="Plan a field verification of picked candidates (NDC)",
        tags=["field verification"],
        request=s.PlanSerializer,
        responses={201: s.FieldVerificationSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        self._manager()
        body = s.PlanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        period = _period(data["period"])
        found = {c.key: c for c in selection.candidates(period, request.user)}
        unknown = [key for key in data["picks"] if key not in found]
        if unknown:
            raise ValidationError({"picks": [f"Not a candidate in {period.code}: {', '.join(unknown)}"]})
        verification = services.plan_verification(
            request.user,
            title=data["title"],
            date=data["date"],
            place=data["place"],
            reviewers=data["reviewers"],
            agencies=_agencies(data.get("agencies", []), "agencies"),
            purpose=data["purpose"],
            period=period,
            picked=[found[key] for key in data["picks"]],
        )
        return self._detail(verification, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a planned field verification (NDC; `version` required)",
        tags=["field verification"],
        request=s.UpdateSerializer,
        responses={200: s.FieldVerificationSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        verification = self.get_object()
        self._manager()
        body = s.UpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version")
        if "agencies" in data:
            data["agencies"] = _agencies(data["agencies"], "agencies")
        services.update_verification(request.user, verification, version, **data)
        return self._detail(verification)

    def _step(self, request: Request, name: str) -> Response:
        verification = self.get_object()
        self._manager()
        body = s.VerificationStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workflow.STEPS[name](
            verification, request.user, body.validated_data.get("version"), body.validated_data["reason"]
        )
        return self._detail(verification)

    def _step_schema(summary: str):  # noqa: N805 - a decorator factory used in the class body
        return extend_schema(
            summary=summary,
            tags=["field verification"],
            request=s.VerificationStepSerializer,
            responses={200: s.FieldVerificationSerializer, **WRITE_ERRORS},
        )

    @_step_schema("Complete: every item has findings; recommendations become follow-up items (NDC)")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "complete")

    @_step_schema("Publish a completed field verification (NDC)")
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "publish")

    @_step_schema("Reopen to correct it, with a reason (NDC)")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "reopen")

    @_step_schema("Cancel a planned field verification, with a reason (NDC)")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "cancel")

    @extend_schema(
        summary="Record the findings of a verified item (NDC; the item's `version`)",
        tags=["field verification"],
        parameters=[ITEM_ID],
        request=s.FindingsSerializer,
        responses={200: s.FieldVerificationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[^/]+)/findings")
    def findings(self, request: Request, pk: str | None = None, item_id: str = "") -> Response:
        item = self._item(item_id)
        self._manager()
        body = s.FindingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.record_findings(
            request.user, item, body.validated_data["version"], body.validated_data["findings"]
        )
        return self._detail(item.verification)

    @extend_schema(
        summary="Add a recommendation to a verified item (NDC); tracked once the visit is completed",
        tags=["field verification"],
        parameters=[ITEM_ID],
        request=s.RecommendationWriteSerializer,
        responses={201: s.FieldVerificationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[^/]+)/recommendations")
    def recommendations(self, request: Request, pk: str | None = None, item_id: str = "") -> Response:
        item = self._item(item_id)
        self._manager()
        body = s.RecommendationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        owner = _agencies([data["owner"]], "owner")[0]
        services.add_recommendation(
            request.user, item, text=data["text"], owner=owner, due_date=data["due_date"]
        )
        return self._detail(item.verification, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Upload evidence (photo or document) for a verified item (NDC; checked as cycle uploads)",
        tags=["field verification"],
        parameters=[ITEM_ID],
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses={201: s.FieldVerificationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[^/]+)/evidence")
    def evidence(self, request: Request, pk: str | None = None, item_id: str = "") -> Response:
        item = self._item(item_id)
        self._manager()
        services.add_evidence(request.user, item, request.FILES.get("file"))
        return self._detail(item.verification, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Candidates for field verification, with reasons (NDC)",
        tags=["field verification"],
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, description="e.g. 111Q2 (required)", required=True),
            OpenApiParameter("industry", OpenApiTypes.STR),
            OpenApiParameter("agency", OpenApiTypes.STR),
            OpenApiParameter("reason", OpenApiTypes.STR, enum=list(selection.Reason.values)),
            OpenApiParameter("lag", OpenApiTypes.DECIMAL, description="lag threshold (points)"),
            OpenApiParameter("repeat", OpenApiTypes.INT, description="late/returned at least this often"),
        ],
        responses={
            200: s.CandidateSerializer(many=True),
            400: VALIDATION_ERROR,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    @action(
        detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated], pagination_class=None
    )
    def candidates(self, request: Request) -> Response:
        self._manager()
        from ..forms import CandidateFilterForm

        form = CandidateFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        if not data["period"]:
            raise ValidationError({"period": ["This field is required."]})
        period = _period(data["period"])
        default = selection.default_criteria()
        criteria = selection.Criteria(
            data["lag"] if data["lag"] is not None else default.lag_threshold,
            data["repeat"] or default.repeat_threshold,
            default.lookback_quarters,
        )
        found = selection.filtered(
            selection.candidates(period, request.user, criteria),
            industry=data["industry"],
            agency=data["agency"],
            reason=data["reason"],
        )
        return Response(s.CandidateSerializer(found, many=True).data)
