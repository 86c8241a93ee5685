"""``/api/follow-ups/``: the follow-up items (追蹤事項) the caller may read, NDC's rulings, and the owner's
辦理情形 written into its quarterly report. Scope first (``policy.py``: invisible is 404), then the role
(403), then the body (400), then the state (409). A refused write leaves nothing written."""

from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sixcore.api import errors
from sixcore.api.pagination import BoundedLimitOffsetPagination
from sixcore.api.views import NulSafeLookupMixin
from sixcore.progress.api.errors import CycleErrorsMixin
from sixcore.progress.clock import today
from sixcore.progress.models import Submission
from sixcore.progress.policy import submission_policy

from .. import services
from ..choices import FollowUpSource, FollowUpStatus
from ..models import FollowUp, InvalidTransition
from ..policy import follow_up_policy
from . import serializers as s

FILTERS = [
    OpenApiParameter("agency", OpenApiTypes.STR, description="Owner agency code, e.g. moea."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=FollowUpStatus.values),
    OpenApiParameter("source", OpenApiTypes.STR, enum=FollowUpSource.values),
    OpenApiParameter(
        "overdue", OpenApiTypes.BOOL, description="Tracked and past the due date (as of today)."
    ),
]
STEP_ERRORS = {
    400: errors.VALIDATION_ERROR,
    401: errors.NOT_AUTHENTICATED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    409: errors.WRONG_STATE,
}


def step_schema(summary: str) -> Any:
    return extend_schema(
        tags=["follow-ups"],
        summary=summary,
        request=s.RulingRequestSerializer,
        responses={200: s.FollowUpDetailSerializer, **STEP_ERRORS},
    )


@extend_schema_view(
    list=extend_schema(
        tags=["follow-ups"],
        summary="Follow-up items the caller may read (published ones for everybody).",
        parameters=FILTERS,
        responses={200: s.FollowUpSerializer(many=True), 400: errors.VALIDATION_ERROR},
    ),
    retrieve=extend_schema(
        tags=["follow-ups"], responses={200: s.FollowUpDetailSerializer, 404: errors.NOT_FOUND}
    ),
)
class FollowUpViewSet(CycleErrorsMixin, NulSafeLookupMixin, viewsets.ReadOnlyModelViewSet):
    pagination_class = BoundedLimitOffsetPagination
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        base = FollowUp.objects.select_related("owner", "industry").order_by("due_date", "pk")
        if getattr(self, "swagger_fake_view", False):
            return base.none()
        items = follow_up_policy.visible(self.request.user, base)
        if self.action != "list":
            return items.prefetch_related("rulings__by", "rulings__period")
        params = self.request.query_params
        bad = {}
        for name, allowed in (("status", FollowUpStatus.values), ("source", FollowUpSource.values)):
            if params.get(name) and params[name] not in allowed:
                bad[name] = [_("Choose one of: %(values)s") % {"values": ", ".join(allowed)}]
        if params.get("overdue", "false") not in ("true", "false", "1", "0", "True", "False"):
            bad["overdue"] = [_("Write true or false.")]
        if "\x00" in params.get("agency", ""):
            bad["agency"] = [ProhibitNullCharactersValidator.message]  # Django's zh-Hant
        if bad:
            raise ValidationError(bad)
        if agency := params.get("agency"):
            items = items.filter(owner__code=agency)
        if state := params.get("status"):
            items = items.filter(status=state)
        if source := params.get("source"):
            items = items.filter(source=source)
        if params.get("overdue") in ("1", "true", "True"):
            items = items.filter(status=FollowUpStatus.TRACKED, due_date__lt=today())
        return items

    def get_serializer_class(self) -> type:
        return s.FollowUpSerializer if self.action == "list" else s.FollowUpDetailSerializer

    def get_serializer_context(self) -> dict:
        return {
            **super().get_serializer_context(),
            "with_responses": follow_up_policy.can_read_responses(self.request.user),
        }

    def _detail(self, pk: int) -> Response:
        item = FollowUp.objects.select_related("owner", "industry").get(pk=pk)
        return Response(s.FollowUpDetailSerializer(item, context=self.get_serializer_context()).data)

    def _step(self, request: Request, name: str) -> Response:
        item = self.get_object()
        if not follow_up_policy.can_rule(request.user):
            raise PermissionDenied(_("Only NDC rules on follow-up items."))
        body = s.RulingRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if name == "keep" and not data["comment"].strip():
            return Response(
                {"comment": [_("Write why the item stays tracked (繼續列管).")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        kwargs: dict[str, Any] = {"expected_version": data["version"]}
        if name == "keep":
            kwargs["new_due_date"] = data["new_due_date"]
        try:
            getattr(item, name)(request.user, data["comment"], **kwargs)
        except InvalidTransition as exc:  # the followups' own (a stale version too): 409
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return self._detail(item.pk)

    @step_schema("Close the item (解除列管; NDC).")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "close")

    @step_schema("Keep tracking the item (繼續列管; NDC): comment required, new due date optional.")
    @action(detail=True, methods=["post"])
    def keep(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "keep")

    @step_schema("Track a closed item again (NDC).")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "reopen")

    @step_schema("Publish the item (NDC): the public reads published items.")
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "publish")

    @step_schema("Withdraw the item from the public (NDC).")
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, "unpublish")

    @extend_schema(
        tags=["follow-ups"],
        summary="The owner's 辦理情形 in its quarterly report (owner agency editors; the report's draft).",
        request=s.RespondRequestSerializer,
        responses={
            200: s.FollowUpDetailSerializer,
            400: OpenApiResponse(description="Invalid body, or the report does not carry the item."),
            401: errors.NOT_AUTHENTICATED,
            403: errors.FORBIDDEN,
            404: errors.NOT_FOUND,
        },
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        if not follow_up_policy.can_respond(request.user, item):
            raise PermissionDenied(_("Only the owner agency's editors report its progress."))
        body = s.RespondRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submission = get_object_or_404(
            submission_policy.visible(request.user, Submission.objects.all()),
            pk=body.validated_data["submission"],
        )
        try:
            with transaction.atomic():
                services.save_responses(request.user, submission, {item.pk: body.validated_data["text"]})
        except services.ResponseErrors as exc:
            return Response(
                {"detail": str(exc), "errors": [{"item": i, "message": m} for i, m in exc.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return self._detail(item.pk)
