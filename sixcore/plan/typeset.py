"""The typeset form of a text of the document, for people to read.

The PDF conversion left LaTeX in a few cells (「$\\alpha$ -site」, 「$\\geq 24\\%$」, 「$\\geq 1.6\\text{eV}$」,
「$iVoc > 725mV$」).  The data keeps the text verbatim, so anyone can check it against the document;
pages, exports and reports show ``typeset(text)`` (「α-site」, 「≥ 24%」, 「≥ 1.6 eV」, 「iVoc > 725 mV」).
The footnote markers the dropped ``<sup>`` tags left at the end of a cell are handled by the
footnotes (``strip_marker``), not here.
"""

from __future__ import annotations

import re

_SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "mu": "μ",
    "geq": "≥",
    "leq": "≤",
    "ge": "≥",
    "le": "≤",
    "times": "×",
    "pm": "±",
}
_MATH = re.compile(r"\$([^$]*)\$")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_TEXT = re.compile(r"\\text\{([^}]*)\}")
_SUBSCRIPT = re.compile(r"_\{?([0-9A-Za-z])\}?")
_SUPERSCRIPT = re.compile(r"\^\{?([0-9])\}?")
_SUPERS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# A unit glued to its number (725mV, 5fA) gets the space SI writing puts between them.
_NUMBER_UNIT = re.compile(r"(?<![A-Za-z])(\d(?:[\d.]*\d)?)(eV|mV|V|fA|mA|A|nm|cm|mm|W|kW|MW|GW)\b")


def _math(match: re.Match[str]) -> str:
    body = _TEXT.sub(r"\1", match.group(1))
    body = _COMMAND.sub(lambda m: _SYMBOLS.get(m.group(1), m.group(1)) + " ", body)
    body = body.replace("\\%", "%").replace("\\", "")
    body = _SUBSCRIPT.sub(lambda m: m.group(1).translate(_SUBS), body)
    body = _SUPERSCRIPT.sub(lambda m: m.group(1).translate(_SUPERS), body)
    body = _NUMBER_UNIT.sub(r"\1 \2", body)
    return re.sub(r"\s+", " ", body).strip()


def typeset(text: str) -> str:
    """``text`` as a person should read it: LaTeX fragments rendered, everything else unchanged.

    「$\\alpha$ -site」 → 「α-site」 (the conversion's space before the hyphen goes with the math).
    """
    if not text or "$" not in text:
        return text
    result = _MATH.sub(lambda m: "\0" + _math(m) + "\0", text)
    result = re.sub(r"\0\s+(?=-)", "", result)  # "α -site" → "α-site"
    return result.replace("\0", "")


def strip_marker(text: str, marker: str) -> str:
    """The cell text without the footnote marker its dropped ``<sup>`` tag left at the end."""
    if marker and re.search(rf"\s{re.escape(marker)}$", text):
        return text[: -len(marker)].rstrip()
    return text
