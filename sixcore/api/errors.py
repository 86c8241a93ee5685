"""The API's error bodies and the mapping of app-independent exceptions onto HTTP statuses.

Every error is JSON with a ``detail`` message, as DRF answers its own errors; a few carry more:

- 400 invalid input: ``{"field": ["message", ...]}`` naming each bad field (DRF's validation format);
  invalid report lines: ``{"detail", "errors": [{"line", "field", "message"}]}``;
  a submission not ready for a step: ``{"detail", "problems": [...]}``.
- 401 no or bad credentials on a write; 403 not allowed (``PermissionDenied``); 404 unknown or invisible.
- 409 wrong state or locked period; a stale ``version``: ``{"detail", "current": <the object as stored now>}``.

Settings (``EXCEPTION_HANDLER``) belong to the project, so the mapping lives in view mixins:
:class:`DomainErrorsMixin` here answers what any app may raise (a refused value, a policy's refusal);
each app's API adds its own exceptions (the quarterly cycle's in ``progress/api/errors.py``). This module
is a library layer: it imports no domain app, the apps import it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.response import Response


class ErrorSerializer(serializers.Serializer):
    """``{"detail": "..."}`` — 401, 403, 404 and 409 answers."""

    detail = serializers.CharField()


class LineErrorSerializer(serializers.Serializer):
    line = serializers.CharField(help_text="The line, e.g. `kpis 1.2.2` or `work_items 1-1/1.1.1`.")
    field = serializers.CharField(help_text="The field of the line (blank when the line itself is wrong).")
    message = serializers.CharField()


class LineErrorsSerializer(serializers.Serializer):
    """400 from ``PATCH …/lines/``, nothing written: ``detail`` and ``errors`` (every invalid value) for
    invalid lines; ``detail`` alone for a value the database refuses or a body that is not JSON; for an
    invalid field DRF's ``{"<field>": ["message", ...]}`` instead (hence both fields optional)."""

    detail = serializers.CharField(required=False)
    errors = LineErrorSerializer(many=True, required=False)


class ProblemsSerializer(serializers.Serializer):
    """400 from a transition: what is missing (e.g. 落後原因 of a lagging work item, a comment) in
    ``problems``; a body that is not JSON has ``detail`` alone, an invalid field DRF's
    ``{"<field>": ["message", ...]}`` (hence both fields optional)."""

    detail = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False)


VALIDATION_ERROR = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='Invalid input: `{"<field>": ["message", ...]}`, one entry per bad field.',
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Not allowed for the caller's role or agency.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown, or not visible to the caller.")
WRONG_STATE = OpenApiResponse(
    ErrorSerializer, description="Wrong state for this step, or the period is locked."
)
INCOMPLETE = OpenApiResponse(ProblemsSerializer, description="The submission is not ready for this step.")


class DomainErrorsMixin:
    """Answer the exceptions any app's domain code may raise with their HTTP status (see the module
    docstring); apps subclass it to map their own exceptions first.

    Views raise them from inside ``transaction.atomic`` blocks, so by the time they arrive here the
    request's writes have been rolled back: an error never leaves anything half-written.
    """

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DataError):
            # A value the database refused (a number too large for its column; on PostgreSQL, text with
            # a NUL character): the write was rolled back with the transaction.
            return Response(
                {
                    "detail": "A value does not fit its field (a number has at most 12 digits before the "
                    "point and 4 after; text may not contain NUL characters)."
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, DjangoPermissionDenied):
            # DRF would replace the policy's message by a generic one; keep the reason.
            message = str(exc) or "You do not have permission to perform this action."
            return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
        return super().handle_exception(exc)  # type: ignore[misc]
