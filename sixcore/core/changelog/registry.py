"""Which models are tracked and with what options, and the per-context switches (objects whose generic
change a named transition records, users being deleted, :func:`suspended`).

The state every other part of the change log reads; it imports none of them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

RelatedFn = Callable[[Any], Iterable[models.Model | None]]


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


def is_tracked(model: type[models.Model]) -> bool:
    """Whether changes of ``model`` are recorded."""
    return model in _registry


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
