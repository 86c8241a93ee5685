"""Text for XML-based files (docx, odt, ods): XML 1.0 cannot hold control characters."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot hold (tab and newlines stay)."""
    return CONTROL.sub("", text)
