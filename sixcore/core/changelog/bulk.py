"""Writes that send no signals: :func:`record_updates` and :func:`record_bulk_updates` record them in two
inserts whatever their number, and :class:`ChangeLoggedQuerySet` records ``update()``/``bulk_update()``.

Apart from the signal path because their cost is per batch, not per object.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction

from ..models import ChangeAction, ObjectChange, ObjectChangeRelation
from .context import _context
from .registry import _off, _related_objects, is_tracked, suspended
from .serialize import snapshot
from .writing import _actor


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
