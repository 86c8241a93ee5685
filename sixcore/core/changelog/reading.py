"""Reading the log: the history of one object and the context of the history tab.

Read-only, one query, separate from everything that writes.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from ..models import ObjectChange


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
