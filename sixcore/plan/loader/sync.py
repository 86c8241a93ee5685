"""Make one model's rows match the data: matched by natural key, changed fields updated, new rows created,
missing ones deleted, in a few bulk queries. Its own module because every step of the load uses it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass
class LoadStats:
    """What a load changed, per model (for the command's summary)."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    unchanged: bool = False

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())


class Key:
    """Natural key of a row dict or a model instance: foreign keys by primary key, then plain fields."""

    def __init__(self, *fields: str):
        self.fields = fields

    def __call__(self, obj: Any) -> tuple:
        values = []
        for name in self.fields:
            if isinstance(obj, dict):
                value = obj[name]
                values.append(value.pk if isinstance(value, models.Model) else value)
            else:
                field = obj._meta.get_field(name)
                values.append(getattr(obj, field.attname))
        return tuple(values)


def sync(
    model: type[models.Model],
    existing: Iterable[models.Model],
    rows: list[dict[str, Any]],
    *,
    key: Callable[[Any], Any],
    stats: LoadStats,
    delete: bool = True,
) -> dict[Any, models.Model]:
    """Make ``existing`` match ``rows`` (matched by ``key``) in a few bulk queries; return objects by key."""
    current = {key(obj): obj for obj in existing}
    result: dict[Any, models.Model] = {}
    new, changed_objs, changed_fields = [], [], set()
    name = model._meta.model_name
    for row in rows:
        k = key(row)
        obj = current.pop(k, None)
        if obj is None:
            obj = model(**row)
            new.append(obj)
        else:
            changed = [f for f, v in row.items() if f != "loaded_at" and _value(obj, f) != _value(row, f)]
            if changed:
                for f, v in row.items():
                    setattr(obj, f, v)
                changed_objs.append(obj)
                changed_fields.update(row)
        result[k] = obj
    if delete and current:
        model.objects.filter(pk__in=[o.pk for o in current.values()]).delete()
        stats.deleted[name] += len(current)
    if new:
        # SQLite ≥ 3.35 and PostgreSQL return the new primary keys from one INSERT.
        model.objects.bulk_create(new, batch_size=500)
        stats.created[name] += len(new)
    if changed_objs:
        model.objects.bulk_update(changed_objs, sorted(changed_fields), batch_size=500)
        stats.updated[name] += len(changed_objs)
    return result


def _value(obj: Any, name: str) -> Any:
    """A field's comparable value: foreign keys by primary key (without fetching the related object)."""
    if isinstance(obj, dict):
        value = obj[name]
        return value.pk if isinstance(value, models.Model) else value
    return getattr(obj, obj._meta.get_field(name).attname)
