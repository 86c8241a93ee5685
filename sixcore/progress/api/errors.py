"""The quarterly cycle's domain exceptions as HTTP statuses (the bodies are in ``sixcore/api/errors.py``):

- ``LineErrors`` 400 ``{"detail", "errors": [{"line", "field", "message"}]}``, nothing written;
- ``IncompleteSubmission`` 400 ``{"detail", "problems": [...]}``: not ready for the step;
- ``InvalidTransition`` 409: wrong state or locked period;
- ``ConflictError`` 409: a stale ``version``, ``{"detail", "current": <the submission as stored now>}``.

The year-end evaluation's exceptions derive from these, and a follow-up's 辦理情形 is written with the
quarterly report, so their APIs mix this in too.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from sixcore.api.errors import DomainErrorsMixin

from ..services import ConflictError, LineErrors
from ..workflow import IncompleteSubmission, InvalidTransition


# The docstring is also the OpenAPI description of a view that has none of its own (the follow-ups'):
# changing it changes /api/schema/.
class CycleErrorsMixin(DomainErrorsMixin):
    """Answer the cycle's domain exceptions with their HTTP status (see the module docstring).

    Views raise them from inside ``transaction.atomic`` blocks, so by the time they arrive here the
    request's writes have been rolled back: an error never leaves anything half-written.
    """

    def conflict_body(self, exc: ConflictError) -> dict:
        """The 409 body of a stale version; views that can show the submission add it as ``current``."""
        return {"detail": str(exc)}

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ConflictError):
            return Response(self.conflict_body(exc), status=status.HTTP_409_CONFLICT)
        if isinstance(exc, LineErrors):
            return Response(
                {"detail": "Invalid report lines; nothing was saved.", "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, IncompleteSubmission):
            return Response(
                {"detail": str(exc), "problems": [str(p) for p in exc.problems]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, InvalidTransition):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        # The base class answers the exceptions of every app (a refused value, a policy's refusal).
        return super().handle_exception(exc)
