"""A hit's text as a short excerpt around the first match, the terms marked: pure, no Django."""

from __future__ import annotations

import html
import re

BEFORE, AFTER = 40, 120


def excerpt(text: str, terms: list[str]) -> str:
    """HTML: the part of ``text`` around the first term found, each term wrapped in ``<mark>``; the
    rest escaped. Line breaks become spaces."""
    text = " ".join(text.split())
    if not terms:
        return html.escape(text[: BEFORE + AFTER])
    pattern = re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.I)
    first = pattern.search(text)
    start = max(0, first.start() - BEFORE) if first else 0
    end = min(len(text), start + BEFORE + AFTER + (first.end() - first.start() if first else 0))
    window = text[start:end]
    parts, at = [], 0
    for match in pattern.finditer(window):
        parts.append(html.escape(window[at : match.start()]))
        parts.append(f"<mark>{html.escape(match.group(0))}</mark>")
        at = match.end()
    parts.append(html.escape(window[at:]))
    return ("…" if start else "") + "".join(parts) + ("…" if end < len(text) else "")
