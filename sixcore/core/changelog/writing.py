"""Writing one change: the actor of the open context, the ``ObjectChange`` row and its relation rows,
and the named transitions (:func:`record_action`, :func:`logged_transition`) and system events.

The one place a single change is inserted, so every path records the same fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from ..models import ChangeSource, ObjectChange, ObjectChangeRelation
from .context import ChangeContext, _context
from .registry import _deleting_users, _key, _off, _options, _related_objects, _suppressed
from .serialize import serialize_object

ACTION_MAX_LENGTH = ObjectChange._meta.get_field("action").max_length


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


def _db_snapshot(obj: models.Model, exclude: Iterable[str]) -> dict[str, Any] | None:
    if obj.pk is None:
        return None
    stored = type(obj)._base_manager.filter(pk=obj.pk).first()
    return serialize_object(stored, exclude) if stored is not None else None


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
