"""Registering a model (:func:`track_changes`) and the ``pre/post_save``, ``pre/post_delete`` and
``m2m_changed`` receivers that record its changes.

Importing this module connects the one ``m2m_changed`` receiver for all through models.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from ..models import ChangeAction, ObjectChange, ObjectChangeRelation
from .registry import (
    RelatedFn,
    Tracking,
    _deleting_users,
    _is_user_model,
    _key,
    _off,
    _registry,
    _related_objects,
    _suppressed,
)
from .serialize import serialize_object
from .writing import _db_snapshot, _write

ModelT = TypeVar("ModelT", bound=type[models.Model])


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
