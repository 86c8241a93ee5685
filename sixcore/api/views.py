"""View mixins shared by every app's API (each app's views live in its ``api/views.py``).

A library layer: it imports no domain app.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.request import Request


class NulSafeLookupMixin:
    """A path holding a NUL character names nothing (404). PostgreSQL refuses NUL in text outright (an
    error, i.e. a 500), and no code has one, so such a lookup never reaches the database."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if any("\x00" in str(value) for value in kwargs.values()):
            raise NotFound()
