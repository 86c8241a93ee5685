"""Who is acting and from where: the change context held in a ``ContextVar``, opened per request by
:class:`ChangeLogMiddleware`, per management command by :class:`ChangeLoggedCommand`, and anywhere else
by :func:`change_context`.

Apart from the recording so that the request and command plumbing can be read without the signal code.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from ..models import ChangeSource

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass(frozen=True)
class ChangeContext:
    """Who is acting and from where, for every change recorded while the context is open.

    ``request`` is set by the middleware instead of ``user``: authentication (session, or an API
    token checked only inside the view) may settle ``request.user`` after the context opens, so the
    user is read from the request when a change is recorded.
    """

    source: str
    request_id: uuid.UUID
    user: Any = None
    request: HttpRequest | None = None

    def resolve_user(self) -> Any:
        """The acting user if authenticated, else ``None``."""
        user = getattr(self.request, "user", None) if self.request is not None else self.user
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return user


_context: contextvars.ContextVar[ChangeContext | None] = contextvars.ContextVar(
    "sixcore_change_context", default=None
)


@contextmanager
def change_context(
    user: Any = None,
    source: str = ChangeSource.COMMAND,
    request_id: uuid.UUID | str | None = None,
    *,
    request: HttpRequest | None = None,
) -> Iterator[ChangeContext]:
    """Attribute every change made inside the block to ``user``, ``source`` and one request id.

    Held in a ``ContextVar``: each thread and each asyncio task sees only its own context (a new
    thread starts with none; ``contextvars.copy_context().run`` or asgiref's ``sync_to_async`` carry
    it over). Contexts nest; the innermost wins.
    """
    if source not in ChangeSource.values:
        raise ValueError(f"unknown change source {source!r}; expected one of {ChangeSource.values}")
    if request_id is None:
        request_id = uuid.uuid4()
    elif not isinstance(request_id, uuid.UUID):
        request_id = uuid.UUID(str(request_id))
    context = ChangeContext(source=str(source), request_id=request_id, user=user, request=request)
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def current_context() -> ChangeContext | None:
    """The innermost open change context, or ``None`` outside any."""
    return _context.get()


# --- middleware ----------------------------------------------------------------------------------


def parse_request_id(value: str | None) -> uuid.UUID | None:
    """A client-supplied request id if it is a valid UUID (anything else is ignored, not trusted)."""
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def request_source(request: HttpRequest) -> str:
    """``api`` under ``/api/``, ``admin`` under the admin site's path, else ``web``."""
    if request.path_info.startswith("/api/"):
        return ChangeSource.API
    try:
        # The admin path is configurable (SIXCORE_ADMIN_PATH), so ask the URLconf.
        admin_prefix = reverse("admin:index")
    except NoReverseMatch:
        admin_prefix = None
    if admin_prefix and request.path.startswith(admin_prefix):
        return ChangeSource.ADMIN
    return ChangeSource.WEB


class ChangeLogMiddleware:
    """Open a change context for each request and answer with its ``X-Request-ID``.

    Place it after ``AuthenticationMiddleware``. The request id comes from the client's
    ``X-Request-ID`` header when that is a UUID (so a proxy's id follows the request into the log),
    otherwise a new one; it is also set as ``request.id``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = parse_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4()
        request.id = request_id  # type: ignore[attr-defined]
        with change_context(source=request_source(request), request_id=request_id, request=request):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = str(request_id)
        return response


# --- management commands -------------------------------------------------------------------------


def _acting_user(username: str | None) -> Any:
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    try:
        return user_model._default_manager.get_by_natural_key(username)
    except user_model.DoesNotExist:
        raise CommandError(f"--as: there is no user named {username!r}") from None


class ChangeLoggedMixin:
    """Run a management command inside a change context (source ``command``).

    Adds ``--as USERNAME``: the changes are attributed to that user (it must exist).
    """

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)  # type: ignore[misc]
        parser.add_argument(
            "--as",
            dest="acting_user",
            metavar="USERNAME",
            default=None,
            help="Record the changes made by this command as made by this user.",
        )
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        user = _acting_user(options.get("acting_user"))
        with change_context(user=user, source=ChangeSource.COMMAND):
            return super().execute(*args, **options)  # type: ignore[misc]


class ChangeLoggedCommand(ChangeLoggedMixin, BaseCommand):
    """Base class for sixcore's management commands: their changes carry source ``command``."""


CommandT = TypeVar("CommandT", bound=type[BaseCommand])


def changelog_command(command_class: CommandT) -> CommandT:
    """Class decorator: the same as deriving from :class:`ChangeLoggedCommand`, for any command class."""
    return type(  # type: ignore[return-value]
        command_class.__name__,
        (ChangeLoggedMixin, command_class),
        {"__module__": command_class.__module__, "__doc__": command_class.__doc__},
    )
