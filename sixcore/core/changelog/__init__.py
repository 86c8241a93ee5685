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

The package's parts: ``context`` (who and where: context, middleware, commands), ``registry`` (which
models are tracked; the per-context switches), ``serialize`` (snapshots), ``writing`` (one change, named
transitions), ``bulk`` (writes without signals), ``signals`` (registration and receivers) and
``reading`` (history). Everything is imported from here, as before, including the few names outside
``__all__`` that the single module offered (tests read ``changelog._registry``).
"""

from __future__ import annotations

from ..models import AppendOnlyError
from .bulk import BulkUpdate, ChangeLoggedQuerySet, record_bulk_updates, record_updates
from .context import (
    REQUEST_ID_HEADER,
    ChangeContext,
    ChangeLoggedCommand,
    ChangeLoggedMixin,
    ChangeLogMiddleware,
    change_context,
    changelog_command,
    current_context,
)
from .context import parse_request_id as parse_request_id
from .context import request_source as request_source
from .reading import history_context, history_for
from .registry import Tracking, is_tracked, suspended
from .registry import _registry as _registry
from .serialize import secret_digest, serialize_object, serialize_value, serialize_values, snapshot
from .signals import track_changes, untrack
from .writing import ACTION_MAX_LENGTH as ACTION_MAX_LENGTH
from .writing import logged_transition, record_action, record_event

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
