"""Rows the apps above the evaluation add to NDC's attention list (需注意事項), registered in their
``AppConfig.ready()`` (followups: items overdue or due soon), so the evaluation imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AttentionSource:
    """``kind``: the rows' kind (the page's filter value), ``label()`` its name; ``rows(user)`` in the
    attention rows' shape (kind, industry, measure, ref, what, problem, detail, agency, and url)."""

    kind: str
    label: Callable[[], str]
    rows: Callable[[Any], list[dict]]


_sources: list[AttentionSource] = []


def register_attention_source(source: AttentionSource) -> None:
    """Once per kind, in place: a second ``ready()`` does not register twice."""
    for i, s in enumerate(_sources):
        if s.kind == source.kind:
            _sources[i] = source
            return
    _sources.append(source)


def attention_sources() -> tuple[AttentionSource, ...]:
    return tuple(_sources)
