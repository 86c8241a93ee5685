"""The change log: one append-only ``ObjectChange`` row per create, update, delete or named transition.

The recording machinery (context, middleware, signal receivers) lives in ``sixcore.core.changelog``;
this module holds only the tables. Rows are written once and never changed: ``save()`` refuses to
update, ``delete()`` refuses, and the default manager's ``update()``/``delete()`` refuse too, so no code
path of the application (views, API, admin, commands) can rewrite history.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(PermissionDenied):
    """Raised on any attempt to change or delete a change-log row.

    A subclass of ``PermissionDenied`` so that a view which somehow reaches it answers 403.
    """


class ChangeSource(models.TextChoices):
    """Where a change came from."""

    WEB = "web", _("Web")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    COMMAND = "command", _("Command")
    SYSTEM = "system", _("System")


class ChangeAction(models.TextChoices):
    """The generic actions; named transitions (``submission.submit``) are free-form strings."""

    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset whose bulk writes refuse: the log is only ever appended to."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_("The change log is append-only: its rows cannot be updated."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("The change log is append-only: its rows cannot be deleted."))

    # As on Django's QuerySet: ``Model.objects.delete()`` would be too easy to call by mistake.
    delete.queryset_only = True  # type: ignore[attr-defined]


class AppendOnlyModel(models.Model):
    """Base for log tables: inserts only."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A row that came from the database, or one given an explicit pk (which Django would turn
        # into an UPDATE of the existing row), is an attempt to rewrite history.
        if not self._state.adding or self.pk is not None:
            raise AppendOnlyError(_("The change log is append-only: its rows cannot be updated."))
        kwargs["force_insert"] = True
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("The change log is append-only: its rows cannot be deleted."))


class FieldChange(NamedTuple):
    """One changed field of an ``ObjectChange``, for display."""

    name: str
    label: str
    old: Any
    new: Any


class ObjectChange(AppendOnlyModel):
    """One recorded change of one object: who, when, from where, what before and after.

    ``related_objects`` lists the other objects the change belongs to (a KPI actual's change belongs
    to its submission and its KPI) for display; ``ObjectChangeRelation`` holds the same list as rows
    so that an object's history is one indexed query.
    """

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="object_changes",
    )
    # Kept verbatim so the log still says who acted after the account is deleted.
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    request_id = models.UUIDField(_("request ID"), db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices)
    action = models.CharField(_("action"), max_length=32, db_index=True)
    changed_object_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        # PROTECT: removing a content type must not take its history with it.
        on_delete=models.PROTECT,
        related_name="+",
        # The (type, id) index below starts with this column: a second index would only slow inserts.
        db_index=False,
    )
    changed_object_id = models.CharField(_("object ID"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    related_objects = models.JSONField(_("related objects"), default=list, blank=True)
    prechange_data = models.JSONField(_("before"), null=True, blank=True)
    postchange_data = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("object change")
        verbose_name_plural = _("object changes")
        ordering = ["-time", "-pk"]
        indexes = [
            models.Index(fields=["changed_object_type", "changed_object_id"], name="objectchange_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"

    def diff(self) -> list[FieldChange]:
        """The fields that differ between before and after (all fields for a create or delete)."""
        before = self.prechange_data or {}
        after = self.postchange_data or {}
        model = self.changed_object_type.model_class() if self.changed_object_type_id else None
        changes = []
        for name in sorted(set(before) | set(after)):
            old, new = before.get(name), after.get(name)
            if name in before and name in after and old == new:
                continue
            changes.append(FieldChange(name, _field_label(model, name), old, new))
        return changes


def _field_label(model: type[models.Model] | None, name: str) -> str:
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


class ObjectChangeRelation(AppendOnlyModel):
    """An object an ``ObjectChange`` also belongs to (besides the changed object itself)."""

    change = models.ForeignKey(
        ObjectChange, verbose_name=_("change"), on_delete=models.CASCADE, related_name="relations"
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # covered by the (content_type, object_id) index
    )
    object_id = models.CharField(_("object ID"), max_length=64)

    class Meta:
        verbose_name = _("object change relation")
        verbose_name_plural = _("object change relations")
        indexes = [models.Index(fields=["content_type", "object_id"], name="objectchangerel_object")]

    def __str__(self) -> str:
        return f"{self.change_id} → {self.content_type_id}:{self.object_id}"
