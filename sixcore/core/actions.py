"""Names of logged actions as people read them, registered by the app that logs them.

The change log stores an action as its app writes it (``annual.publish``); the history tab shows it in
zh-TW. ``core`` imports no domain app, so each app registers its own words in ``AppConfig.ready`` —
the same verb can then read differently per app (a follow-up is 公開, an evaluation 公告).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise

_LABELS: dict[str, str | Promise] = {}


def register(labels: Mapping[str, str | Promise]) -> None:
    """Add ``{"app.action": label}`` entries; a later registration of the same action wins."""
    _LABELS.update(labels)


def label(action: str) -> str | None:
    """The registered words for ``action``, or None when no app registered it."""
    found = _LABELS.get(action)
    return None if found is None else str(found)
