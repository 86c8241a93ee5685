"""Change logging: who changed what, when, from where, with the values before and after.

Follows NetBox's design (see docs/CHANGELOG_DESIGN.md): a model is registered with
:func:`track_changes`; its ``pre_save``/``post_save``/``pre_delete``/``post_delete`` (and
``m2m_changed``) signals write one append-only :class:`~sixcore.core.models.ObjectChange` per change.
Who and where come from a *change context* held in a ``ContextVar``: :class:`ChangeLogMiddleware`
opens one per request, :class:`ChangeLoggedCommand` one per management command, and
:func:`change_context` anywhere else. Unlike NetBox, a change made outside any context is still
recorded (source ``system``, no user): nothing escapes the log.

Bulk writes send no signals: ``update()``/``bulk_update()`` of a model with a
:class:`ChangeLoggedQuerySet` are recorded by it; code writing with ``bulk_create`` or by hand must call
:func:`record_action` (or :func:`record_updates`) itself. Secret fields (a password hash) are recorded
as a keyed digest: the change shows, the value never does.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, models, router, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.crypto import salted_hmac
from django.utils.duration import duration_iso_string

from .models import (
    AppendOnlyError,
    ChangeAction,
    ChangeSource,
    ObjectChange,
    ObjectChangeRelation,
)

__all__ = [
    "REQUEST_ID_HEADER",
    "AppendOnlyError",
    "BulkUpdate",
    "ChangeContext",
    "ChangeLogMiddleware",
    "ChangeLoggedCommand",
    "ChangeLoggedMixin",
    "Tracking",
    "change_context",
    "changelog_command",
    "current_context",
    "history_context",
    "history_for",
    "is_tracked",
    "logged_transition",
    "record_action",
    "record_bulk_updates",
    "record_updates",
    "serialize_object",
    "serialize_value",
    "serialize_values",
    "record_event",
    "secret_digest",
    "suspended",
    "ChangeLoggedQuerySet",
    "snapshot",
    "track_changes",
    "untrack",
]

REQUEST_ID_HEADER = "X-Request-ID"
ACTION_MAX_LENGTH = ObjectChange._meta.get_field("action").max_length

ModelT = TypeVar("ModelT", bound=type[models.Model])
RelatedFn = Callable[[Any], Iterable[models.Model | None]]


# --- context -------------------------------------------------------------------------------------


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


# --- serialisation -------------------------------------------------------------------------------


_PLAIN_TYPES = frozenset({str, int, bool, float, type(None)})


def _jsonable(value: Any) -> Any:
    """A JSON value that compares equal exactly when the field value does."""
    if type(value) in _PLAIN_TYPES:  # the common case, one lookup (exact types: no subclass lands here)
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return str(value)  # drops str subclasses such as TextChoices members
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def secret_digest(value: Any) -> str | None:
    """What the log holds of a secret field (a password hash): a keyed digest that changes when the
    value does, so that a change is recorded, and that tells nothing about the value to a reader of
    the log (keyed by SECRET_KEY; the hash's salt is not in the log either)."""
    if value in (None, ""):
        return None
    return "hmac:" + salted_hmac("sixcore.changelog.secret", str(value)).hexdigest()[:16]


def _secrets(model: type[models.Model]) -> frozenset[str]:
    tracking = _registry.get(model)
    return tracking.secret if tracking is not None else frozenset()


def serialize_object(obj: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Field values as JSON: foreign keys as ids, decimals as strings, dates ISO, many-to-many as
    sorted id lists. Fields named in ``exclude`` are left out; the model's registered ``secret``
    fields are given as :func:`secret_digest`."""
    excluded = set(exclude)
    secret = _secrets(type(obj))
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in excluded or field.attname in excluded:
            continue
        value = field.value_from_object(obj)
        data[field.name] = secret_digest(value) if field.name in secret else _jsonable(value)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            if field.name in excluded:
                continue
            ids = getattr(obj, field.name).values_list("pk", flat=True)
            data[field.name] = sorted(_jsonable(pk) for pk in ids)
    return data


# --- registration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracking:
    """How a model is tracked: ``track_changes(model, related=t.related, exclude=t.exclude)``."""

    related: RelatedFn | None
    exclude: frozenset[str]
    secret: frozenset[str] = frozenset()


_registry: dict[type[models.Model], Tracking] = {}
# Objects whose generic create/update is not recorded because a named transition records it.
_suppressed: contextvars.ContextVar[frozenset[tuple[str, str]]] = contextvars.ContextVar(
    "sixcore_change_suppressed", default=frozenset()
)
_SIGNALS = (
    ("pre_save", pre_save),
    ("post_save", post_save),
    ("pre_delete", pre_delete),
    ("post_delete", post_delete),
)


def _uid(model: type[models.Model], signal_name: str) -> str:
    return f"sixcore.changelog.{signal_name}.{model._meta.label}"


def track_changes(
    model: ModelT | None = None,
    *,
    related: RelatedFn | None = None,
    exclude: Iterable[str] = (),
    secret: Iterable[str] = (),
) -> Any:
    """Record every create, update and delete of a model (decorator or plain call).

    ``related(obj)`` returns the objects a change also belongs to (``None`` entries are skipped), so
    the change shows in their history too; ``exclude`` names fields left out of the snapshots (an
    update touching only those is not recorded); ``secret`` names fields whose changes are recorded
    but never their values (a password hash: :func:`secret_digest`). Registering a model again
    replaces its options.

    >>> @track_changes(related=lambda actual: [actual.submission, actual.kpi], exclude=("modified",))
    ... class KPIActual(models.Model): ...
    """

    def register(model_class: ModelT) -> ModelT:
        if model_class._meta.abstract:
            raise TypeError(f"{model_class.__name__} is abstract: register its concrete subclasses")
        if issubclass(model_class, ObjectChange | ObjectChangeRelation):
            raise TypeError("the change log does not log itself")
        untrack(model_class)
        _registry[model_class] = Tracking(
            related=related, exclude=frozenset(exclude) - frozenset(secret), secret=frozenset(secret)
        )
        receivers = {
            "pre_save": _on_pre_save,
            "post_save": _on_post_save,
            "pre_delete": _on_pre_delete,
            "post_delete": _on_post_delete,
        }
        for name, signal in _SIGNALS:
            signal.connect(receivers[name], sender=model_class, dispatch_uid=_uid(model_class, name))
        return model_class

    return register if model is None else register(model)


def untrack(model: type[models.Model]) -> Tracking | None:
    """Stop recording changes of ``model`` (for tests; production models stay tracked).

    Returns the registration it removed, so a test can put it back::

        previous = untrack(Agency)
        ...
        if previous: track_changes(Agency, related=previous.related, exclude=previous.exclude)
    """
    previous = _registry.pop(model, None)
    for name, signal in _SIGNALS:
        signal.disconnect(sender=model, dispatch_uid=_uid(model, name))
    return previous


def is_tracked(model: type[models.Model]) -> bool:
    """Whether changes of ``model`` are recorded."""
    return model in _registry


# --- recording -----------------------------------------------------------------------------------


def _key(obj: models.Model) -> tuple[str, str]:
    return (obj._meta.concrete_model._meta.label_lower, str(obj.pk))


def _options(obj: models.Model) -> Tracking | None:
    return _registry.get(type(obj))


def _related_objects(obj: models.Model, extra: Iterable[models.Model | None] = ()) -> list[models.Model]:
    """The registered related objects plus ``extra``, without duplicates, unsaved objects or ``obj``."""
    candidates: list[models.Model | None] = []
    tracking = _options(obj)
    if tracking is not None and tracking.related is not None:
        try:
            candidates.extend(tracking.related(obj))
        except ObjectDoesNotExist:
            # A parent that does not exist (yet, in a raw load; or no more) cannot list the change.
            pass
    candidates.extend(extra)
    seen = {_key(obj)}
    result = []
    for candidate in candidates:
        if candidate is None or candidate.pk is None or _key(candidate) in seen:
            continue
        seen.add(_key(candidate))
        result.append(candidate)
    return result


# Users being deleted in this context (between their pre_delete and post_delete): a change recorded
# meanwhile names such an actor by name only, as the row it would refer to is going away (a user who
# deletes their own account; the deletion of the user itself).
_deleting_users: contextvars.ContextVar[frozenset[Any]] = contextvars.ContextVar(
    "sixcore_change_deleting_users", default=frozenset()
)
# Set by :func:`suspended`: nothing is recorded (a restore writes the recorded history back).
_off: contextvars.ContextVar[bool] = contextvars.ContextVar("sixcore_change_off", default=False)


def _actor(context: ChangeContext | None) -> tuple[str, Any, str]:
    """(source, user or None, user name) of a change recorded now; the name is kept even when the user
    row cannot be referred to."""
    if context is None:
        # Outside any request or command (a shell, a signal of a signal, a test): still recorded.
        return ChangeSource.SYSTEM, None, ""
    user = context.resolve_user()
    if user is None:
        return context.source, None, ""
    name = user.get_username()
    if user.pk in _deleting_users.get():
        return context.source, None, name
    return context.source, user, name


def _is_user_model(model: type[models.Model]) -> bool:
    return model._meta.label_lower == settings.AUTH_USER_MODEL.lower()


@contextmanager
def suspended() -> Iterator[None]:
    """Record nothing inside the block, in this context only (other threads and requests go on being
    logged). For a restore, which writes the recorded history itself back, then records itself."""
    token = _off.set(True)
    try:
        yield
    finally:
        _off.reset(token)


def record_event(action: str, object_repr: str, message: str = "", data: dict[str, Any] | None = None):
    """Record something that happened to the system as a whole (``backup.restore``): no one object
    changed, so the change is filed under the change log's own type. The actor is named, not linked:
    the event may have replaced the user rows themselves (a restore)."""
    context = _context.get()
    source, _user, user_name = _actor(context)
    return ObjectChange.objects.create(
        user=None,
        user_name=user_name,
        request_id=context.request_id if context is not None else uuid.uuid4(),
        source=source,
        action=action,
        changed_object_type=ContentType.objects.get_for_model(ObjectChange),
        changed_object_id="",
        object_repr=object_repr[:200],
        postchange_data=data,
        message=message,
    )


def _write(
    obj: models.Model,
    action: str,
    prechange: dict[str, Any] | None,
    postchange: dict[str, Any] | None,
    related: list[models.Model],
    message: str = "",
) -> ObjectChange:
    context = _context.get()
    source, user, user_name = _actor(context)
    request_id = context.request_id if context is not None else uuid.uuid4()
    content_type = ContentType.objects.get_for_model(obj)
    related_types = [ContentType.objects.get_for_model(other) for other in related]
    change = ObjectChange.objects.create(
        user=user,
        user_name=user_name,
        request_id=request_id,
        source=source,
        action=action,
        changed_object_type=content_type,
        changed_object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        related_objects=[
            {"type": f"{ct.app_label}.{ct.model}", "id": str(other.pk), "repr": str(other)[:200]}
            for ct, other in zip(related_types, related, strict=True)
        ],
        prechange_data=prechange,
        postchange_data=postchange,
        message=message,
    )
    # The object itself is a relation row too, so that history_for is one indexed join.
    ObjectChangeRelation.objects.bulk_create(
        [ObjectChangeRelation(change=change, content_type=content_type, object_id=str(obj.pk))]
        + [
            ObjectChangeRelation(change=change, content_type=ct, object_id=str(other.pk))
            for ct, other in zip(related_types, related, strict=True)
        ]
    )
    return change


def snapshot(obj: models.Model) -> dict[str, Any] | None:
    """The serialised state of ``obj`` as the change log would record it (its model's exclusions applied)."""
    tracking = _options(obj)
    return serialize_object(obj, tracking.exclude if tracking is not None else ())


def record_updates(pairs: Iterable[tuple[models.Model, dict[str, Any] | None]], message: str = "") -> int:
    """Record updates written in bulk (``bulk_update`` sends no signals): ``pairs`` are (object as saved,
    ``snapshot()`` taken before the change). Unchanged objects are skipped; the rows are inserted in
    two queries whatever their number. Returns the number of changes recorded."""
    if _off.get():
        return 0
    context = _context.get()
    source, user, user_name = _actor(context)
    request_id = context.request_id if context is not None else uuid.uuid4()
    pending = []
    for obj, prechange in pairs:
        postchange = snapshot(obj)
        if postchange == prechange:
            continue
        related = _related_objects(obj)
        content_type = ContentType.objects.get_for_model(obj)
        related_types = [ContentType.objects.get_for_model(other) for other in related]
        change = ObjectChange(
            user=user,
            user_name=user_name,
            request_id=request_id,
            source=source,
            action="update",
            changed_object_type=content_type,
            changed_object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            related_objects=[
                {"type": f"{ct.app_label}.{ct.model}", "id": str(other.pk), "repr": str(other)[:200]}
                for ct, other in zip(related_types, related, strict=True)
            ],
            prechange_data=prechange,
            postchange_data=postchange,
            message=message,
        )
        pending.append((change, [(content_type, obj)] + list(zip(related_types, related, strict=True))))
    if not pending:
        return 0
    ObjectChange.objects.bulk_create([change for change, _ in pending])
    ObjectChangeRelation.objects.bulk_create(
        [
            ObjectChangeRelation(change=change, content_type=ct, object_id=str(other.pk))
            for change, targets in pending
            for ct, other in targets
        ]
    )
    return len(pending)


def serialize_value(value: Any) -> Any:
    """One field value in the JSON form the snapshots hold (decimals as strings, dates ISO, …)."""
    return _jsonable(value)


def serialize_values(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """What :func:`serialize_object` (and :func:`snapshot`) give for an instance of ``model`` whose
    concrete fields hold ``values`` (keyed by field name or attname; foreign keys as ids), without
    building the instance. The model's registered exclusions apply. Models with many-to-many fields
    are refused: their lists can only be read from the database."""
    if model._meta.many_to_many:
        raise TypeError(f"{model.__name__} has many-to-many fields: use serialize_object")
    tracking = _registry.get(model)
    excluded = tracking.exclude if tracking is not None else frozenset()
    secret = _secrets(model)
    data: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.name in excluded or field.attname in excluded:
            continue
        value = values[field.attname] if field.attname in values else values[field.name]
        data[field.name] = secret_digest(value) if field.name in secret else _jsonable(value)
    return data


@dataclass(frozen=True)
class BulkUpdate:
    """An update written with plain SQL (no instance, no signal), described for the change log.

    ``prechange``/``postchange`` as :func:`serialize_values` gives them, ``object_repr`` is ``str()`` of
    the object after the change and ``related`` the ``(model, pk, str())`` of the objects its model's
    registered ``related`` would name. Entries with the same ``group`` share a request id when no change
    context is open (as the changes of one :func:`record_updates` call do).
    """

    model: type[models.Model]
    pk: Any
    object_repr: str
    prechange: dict[str, Any]
    postchange: dict[str, Any]
    related: tuple[tuple[type[models.Model], Any, str], ...] = ()
    group: Any = None


def record_bulk_updates(changes: Iterable[BulkUpdate], message: str = "") -> int:
    """Record updates written in bulk, with the same content :func:`record_updates` writes for them,
    through two ``bulk_create`` calls whatever their number (one multi-row INSERT each where the
    database returns the new ids; row by row for the changes otherwise, as their relations need the ids).
    Entries whose before and after are equal are skipped. Returns the number of changes recorded."""
    entries = [c for c in changes if c.prechange != c.postchange]
    if not entries or _off.get():
        return 0
    context = _context.get()
    source, user, user_name = _actor(context)
    request_ids: dict[Any, uuid.UUID] = {}
    pending = []
    for entry in entries:
        if context is None and entry.group not in request_ids:
            request_ids[entry.group] = uuid.uuid4()
        request_id = context.request_id if context else request_ids[entry.group]
        ct = ContentType.objects.get_for_model(entry.model)
        related = [(ContentType.objects.get_for_model(model), pk, text) for model, pk, text in entry.related]
        change = ObjectChange(
            user=user,
            user_name=user_name,
            request_id=request_id,
            source=source,
            action=ChangeAction.UPDATE,
            changed_object_type=ct,
            changed_object_id=str(entry.pk),
            object_repr=entry.object_repr[:200],
            related_objects=[
                {"type": f"{other.app_label}.{other.model}", "id": str(pk), "repr": text[:200]}
                for other, pk, text in related
            ],
            prechange_data=entry.prechange,
            postchange_data=entry.postchange,
            message=message,
        )
        pending.append((change, [(ct, entry.pk)] + [(other, pk) for other, pk, _ in related]))
    changes_made = [change for change, _ in pending]
    if connections[router.db_for_write(ObjectChange)].features.can_return_rows_from_bulk_insert:
        ObjectChange.objects.bulk_create(changes_made)
    else:
        for change in changes_made:
            change.save()  # without RETURNING, bulk_create cannot give the ids the relations need
    ObjectChangeRelation.objects.bulk_create(
        [
            ObjectChangeRelation(change=change, content_type=ct, object_id=str(pk))
            for change, targets in pending
            for ct, pk in targets
        ]
    )
    return len(pending)


def _db_snapshot(obj: models.Model, exclude: Iterable[str]) -> dict[str, Any] | None:
    if obj.pk is None:
        return None
    stored = type(obj)._base_manager.filter(pk=obj.pk).first()
    return serialize_object(stored, exclude) if stored is not None else None


def _on_pre_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    tracking = _registry.get(sender)
    if tracking is None or _off.get():
        return
    # Read the stored row rather than trusting the instance: it may have been edited in memory
    # since it was loaded. An explicit pk on a new instance may also overwrite an existing row.
    instance._changelog_prechange = _db_snapshot(instance, tracking.exclude)  # type: ignore[attr-defined]


def _on_post_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    tracking = _registry.get(sender)
    if tracking is None or _off.get() or _key(instance) in _suppressed.get():
        return
    prechange = None if created else getattr(instance, "_changelog_prechange", None)
    postchange = serialize_object(instance, tracking.exclude)
    if prechange is not None and update_fields is not None:
        # Only these fields were written; other in-memory edits never reached the database.
        written = {
            f.name
            for f in instance._meta.concrete_fields
            if f.name in update_fields or f.attname in update_fields
        }
        postchange = {k: (postchange[k] if k in written else v) for k, v in prechange.items()}
    if prechange == postchange:
        return
    action = ChangeAction.UPDATE if prechange is not None else ChangeAction.CREATE
    _write(instance, action, prechange, postchange, _related_objects(instance))


def _on_pre_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    tracking = _registry.get(sender)
    if tracking is None or _off.get():
        return
    if _is_user_model(sender):
        _deleting_users.set(_deleting_users.get() | {instance.pk})
    # Snapshot before the collector deletes many-to-many rows and parents.
    instance._changelog_deletion = (  # type: ignore[attr-defined]
        serialize_object(instance, tracking.exclude),
        _related_objects(instance),
    )


def _on_post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    tracking = _registry.get(sender)
    if tracking is None or _off.get():
        return
    prechange, related = getattr(instance, "_changelog_deletion", (None, None))
    if prechange is None:
        prechange, related = serialize_object(instance, tracking.exclude), _related_objects(instance)
    _write(instance, ChangeAction.DELETE, prechange, None, related)
    if _is_user_model(sender):
        _deleting_users.set(_deleting_users.get() - {instance.pk})


def _on_m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """Record a many-to-many edit as an update of each tracked object whose list changed."""
    phase, _, operation = action.partition("_")
    if operation not in {"add", "remove", "clear"} or _off.get():
        return
    for model, tracking in list(_registry.items()):
        for field in model._meta.many_to_many:
            if field.remote_field.through is not sender or field.name in tracking.exclude:
                continue
            stash_name = f"_changelog_m2m_{model._meta.label_lower}_{field.name}"
            if phase == "pre":
                if not reverse:
                    targets = [instance] if isinstance(instance, model) else []
                elif pk_set is None:  # clear() from the other side: every object linked to it
                    targets = list(model._base_manager.filter(**{field.name: instance.pk}))
                else:
                    targets = list(model._base_manager.filter(pk__in=pk_set))
                setattr(
                    instance,
                    stash_name,
                    [(target, serialize_object(target, tracking.exclude)) for target in targets],
                )
                continue
            for target, prechange in getattr(instance, stash_name, []):
                if _key(target) in _suppressed.get():
                    continue
                postchange = serialize_object(target, tracking.exclude)
                if postchange != prechange:
                    _write(target, ChangeAction.UPDATE, prechange, postchange, _related_objects(target))
            setattr(instance, stash_name, [])


# One receiver for all through models: an auto-created through model may not exist yet when a model
# is registered at import time, and a dictionary walk per m2m edit costs nothing.
m2m_changed.connect(_on_m2m_changed, dispatch_uid="sixcore.changelog.m2m_changed")


def record_action(
    obj: models.Model,
    action: str,
    message: str = "",
    prechange: dict[str, Any] | None = None,
    postchange: dict[str, Any] | None = None,
    related: Iterable[models.Model | None] = (),
) -> ObjectChange:
    """Record a named transition (``submission.submit``) or a change made by a bulk write.

    The object's registered related objects are added to ``related``.
    """
    if not action or len(action) > ACTION_MAX_LENGTH:
        raise ValueError(f"an action is 1–{ACTION_MAX_LENGTH} characters, got {action!r}")
    if _off.get():
        return None
    return _write(obj, action, prechange, postchange, _related_objects(obj, related), message)


@contextmanager
def logged_transition(
    obj: models.Model,
    action: str,
    message: str = "",
    related: Iterable[models.Model | None] = (),
) -> Iterator[None]:
    """Record the saves of ``obj`` inside the block as one named action, with before and after.

    For workflow methods: ``with logged_transition(self, "submission.submit", comment): ...`` logs
    ``submission.submit`` (status draft → submitted) instead of a generic ``update``. Nothing is
    recorded if the block raises.
    """
    tracking = _options(obj)
    exclude = tracking.exclude if tracking is not None else frozenset()
    prechange = _db_snapshot(obj, exclude)
    token = _suppressed.set(_suppressed.get() | {_key(obj)})
    try:
        yield
    finally:
        _suppressed.reset(token)
    record_action(
        obj, action, message, prechange, serialize_object(obj, exclude) if obj.pk else None, related
    )


# --- bulk writes --------------------------------------------------------------------------------


class ChangeLoggedQuerySet(models.QuerySet):
    """A queryset whose ``update()`` and ``bulk_update()`` are recorded as saves are.

    Both send no signals: without this, ``User.objects.filter(...).update(is_active=False)`` (a
    deactivation from a shell or an admin action) or the alert run's ``bulk_update`` escaped the log.
    The rows are read before and after the write (one query each), in the write's transaction.
    """

    def _stored(self, pks: Iterable[Any]) -> dict[Any, models.Model]:
        return self.model._base_manager.using(self.db).in_bulk(list(pks))

    def _logged(self, pks: list[Any], write: Callable[[], int]) -> int:
        if not is_tracked(self.model) or _off.get():
            return write()
        with transaction.atomic(using=self.db, savepoint=False):
            before = {pk: snapshot(obj) for pk, obj in self._stored(pks).items()}
            with suspended():  # bulk_update writes through update(): recorded once, here
                count = write()
            after = self._stored(before)
            record_updates((after[pk], before[pk]) for pk in before if pk in after)
        return count

    def update(self, **kwargs: Any) -> int:
        pks = list(self.values_list("pk", flat=True)) if is_tracked(self.model) else []
        return self._logged(pks, lambda: super(ChangeLoggedQuerySet, self).update(**kwargs))

    def bulk_update(self, objs: Iterable[models.Model], fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        return self._logged(
            [obj.pk for obj in objs],
            lambda: super(ChangeLoggedQuerySet, self).bulk_update(objs, fields, batch_size=batch_size),
        )


# --- reading -------------------------------------------------------------------------------------


def history_for(obj: models.Model) -> models.QuerySet[ObjectChange]:
    """Changes of ``obj`` and changes that belong to it (its children's), newest first; one query."""
    content_type = ContentType.objects.get_for_model(obj)
    return (
        ObjectChange.objects.filter(relations__content_type=content_type, relations__object_id=str(obj.pk))
        .select_related("user", "changed_object_type")
        .order_by("-time", "-pk")
    )


def history_context(obj: models.Model, limit: int | None = 100) -> dict[str, Any]:
    """Template context for ``{% include "core/_history.html" %}``: ``history`` and ``history_object``.

    Each change gets ``of_this_object``: false when it is a related object's change (the template
    then names that object).
    """
    content_type = ContentType.objects.get_for_model(obj)
    changes = history_for(obj)
    history = list(changes[:limit] if limit is not None else changes)
    for change in history:
        change.of_this_object = (  # type: ignore[attr-defined]
            change.changed_object_type_id == content_type.pk and change.changed_object_id == str(obj.pk)
        )
    return {"history": history, "history_object": obj}
