"""Where a follow-up item came from, without this app importing its origins.

An origin app (coordination, field verification) holds a one-to-one field to ``FollowUp`` and registers
the reverse accessor here in its ``AppConfig.ready``; pages then link back to the origin (the meeting's
decision, the verification's recommendation) through :func:`origin_of`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q


@dataclass(frozen=True)
class Origin:
    source: str
    related_name: str  # the reverse accessor of the origin's one-to-one field on FollowUp
    url: Callable[[Any], str]  # the origin object → its page
    label: Callable[[Any], str]  # the origin object → a short text for links ("第 1 次專案會議")
    # Agencies party to the origin read its items too (an issue's raiser and involved agencies read
    # the meeting's decision on it): agency ids → a Q over FollowUp. None: owners only.
    party: Callable[[frozenset[int]], Q] | None = None


_ORIGINS: dict[str, Origin] = {}


def register(origin: Origin) -> None:
    _ORIGINS[origin.source] = origin


def registered(source: str) -> Origin | None:
    return _ORIGINS.get(source)


def origin_of(follow_up) -> tuple[Any, Origin] | tuple[None, None]:
    """The origin object of a follow-up item and its registration, or (None, None)."""
    origin = _ORIGINS.get(follow_up.source)
    if origin is None:
        return None, None
    obj = getattr(follow_up, origin.related_name, None)
    return (obj, origin) if obj is not None else (None, None)


def related_names() -> list[str]:
    """For ``select_related`` on lists that link to origins."""
    return [o.related_name for o in _ORIGINS.values()]


def party_q(scope: frozenset[int]) -> Q:
    """Items an agency is party to through their origin (for the policy)."""
    q = Q(pk__in=[])
    for origin in _ORIGINS.values():
        if origin.party is not None:
            q |= origin.party(scope)
    return q
