"""The history tab in people's terms: actions in zh-TW, field labels, display values (choices, 是/否,
the related object's name, ROC dates in Asia/Taipei time), and the person's name — never the stored
JSON (``update``, ``agency: — → 1``, ``True``, UTC)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sixcore.core import actions, roc

register = template.Library()

# Generic actions, and the verbs of named transitions (``submission.submit``, ``issue.close`` …).
ACTIONS = {
    "create": gettext_lazy("Created"),
    "update": gettext_lazy("Edited"),
    "delete": gettext_lazy("Deleted"),
}
VERBS = {
    "submit": gettext_lazy("Submitted for review"),
    "consolidate": gettext_lazy("Consolidated"),
    "approve": gettext_lazy("Approved"),
    "return": gettext_lazy("Returned for revision"),
    "reopen": gettext_lazy("Reopened"),
    "close": gettext_lazy("Closed"),
    "upload": gettext_lazy("Uploaded"),
    "internal_review": gettext_lazy("Sent for internal review"),
    "internal_return": gettext_lazy("Sent back to the officer"),
}


@register.filter
def action_label(action: str) -> str:
    """``update`` → 修改, ``submission.return`` → 退回修正; an unknown action is shown as stored."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    registered = actions.label(action)
    if registered is not None:
        return registered
    verb = action.rsplit(".", 1)[-1]
    return str(VERBS[verb]) if verb in VERBS else action


@register.filter
def person(change) -> str:
    """Who acted: the account's full name when it has one, else the name kept in the log."""
    user = getattr(change, "user", None)
    if user is not None:
        full = user.get_full_name().strip()
        if full:
            return full
    return change.user_name


def _local(value: datetime) -> str:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{roc.format_roc_date(local.date())} {local:%H:%M}"


def display_value(model: type[models.Model] | None, name: str, value: Any, cache: dict) -> str:
    """A stored JSON value as the field shows it on a page."""
    if value is None or value == "":
        return "—"
    field = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.many_to_one and field.related_model is not None:
        key = (field.related_model, value)
        if key not in cache:
            found = field.related_model._meta.default_manager.filter(pk=value).first()
            cache[key] = str(found) if found is not None else f"#{value}"
        return cache[key]
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        try:
            return _local(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(field, models.DateField) and isinstance(value, str):
        try:
            return roc.format_roc_date(date.fromisoformat(value))
        except (ValueError, roc.RocDateError):
            return value
    if isinstance(field, models.DecimalField | models.FloatField) and isinstance(value, str | int | float):
        try:
            return format(Decimal(str(value)).normalize(), "f")
        except InvalidOperation:
            return str(value)
    return str(value)


@register.filter
def field_changes(change) -> list[dict[str, str]]:
    """The changed fields of a log entry, each with its label and before/after as shown on pages."""
    model = change.changed_object_type.model_class() if change.changed_object_type_id else None
    cache: dict = {}
    shown = []
    for item in change.diff():
        old = display_value(model, item.name, item.old, cache)
        new = display_value(model, item.name, item.new, cache)
        # A new object's empty fields (— → —) and its id say nothing to a reader.
        if item.name != "id" and old != new:
            shown.append({"label": item.label, "old": old, "new": new})
    return shown


@register.filter
def local_time(value: datetime | None) -> str:
    """A moment in Asia/Taipei local time, ROC date: ``112/7/15 14:05``."""
    return _local(value) if value else ""
