"""Snapshots: field values as JSON that compares equal exactly when the values do, with secret fields
given as a keyed digest.

Used by the signal receivers, the bulk paths and by callers that describe a write made in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.crypto import salted_hmac
from django.utils.duration import duration_iso_string

from .registry import _options, _registry

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


def snapshot(obj: models.Model) -> dict[str, Any] | None:
    """The serialised state of ``obj`` as the change log would record it (its model's exclusions applied)."""
    tracking = _options(obj)
    return serialize_object(obj, tracking.exclude if tracking is not None else ())


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
