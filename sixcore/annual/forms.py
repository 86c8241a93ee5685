"""Reading the evaluation page's one HTML form into ``services.save_scores`` arguments, and showing each
field again with what the user typed, its error and, after a conflict, the colleague's saved value.

Field names: ``score|<indicator code>|<field>`` (score, comment, evidence, argued_score, argued_reason)
and ``text|<name>`` for the stage's own text (自評說明, 初核意見, 複核意見, 待改進事項). The cells are the
quarterly form's (``progress.forms.Cell``), so the page reuses its error and conflict partial.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _

from sixcore.progress.forms import CHOOSE, ORIGINALS, Cell, as_text, digest

SEPARATOR = "|"
SCORE_FIELDS = ("score", "argued_score", "argued_reason", "evidence", "comment")
# What each field is called on the page (and in the messages beside it).
FIELD_LABELS = {
    "score": _("Score"),
    "argued_score": _("Argued score"),
    "argued_reason": _("Reason for the argued score"),
    "evidence": _("Narrative and evidence"),
    "comment": _("Comment"),
    "self_summary": _("Self-assessment summary"),
    "initial_opinion": _("Initial review opinion"),
    "review_opinion": _("NDC review opinion"),
    "improvement_items": _("Improvement items (one a line)"),
}
# The fields each scoring stage writes, per indicator (the 自評 argues; the reviewers only score).
STAGE_FIELDS = {
    "self": ("score", "argued_score", "argued_reason", "evidence", "comment"),
    "initial": ("score", "comment"),
    "review": ("score", "comment"),
}


def score_name(code: str, name: str) -> str:
    return SEPARATOR.join(("score", code, name))


def text_name(name: str) -> str:
    return SEPARATOR.join(("text", name))


def error_name(field: str) -> str:
    """The form field a service problem is about: ``scores.kpi.score`` → ``score|kpi|score``."""
    parts = field.split(".")
    if len(parts) == 3 and parts[0] == "scores":
        return score_name(parts[1], parts[2])
    return text_name(field)


def from_post(data, stage: str, codes: list[str], texts: tuple[str, ...]) -> tuple[dict, dict]:
    """``(scores, texts)`` for ``save_scores``: only this stage's fields; a field settled with "take
    theirs" after a conflict is left out (the colleague's saved value stays)."""
    allowed = STAGE_FIELDS[stage]
    scores: dict[str, dict[str, Any]] = {}
    for code in codes:
        for name in allowed:
            key = score_name(code, name)
            if key in data and data.get(f"{CHOOSE}{SEPARATOR}{key}") != "theirs":
                scores.setdefault(code, {})[name] = data.get(key)
    written = {}
    for name in texts:
        key = text_name(name)
        if key in data and data.get(f"{CHOOSE}{SEPARATOR}{key}") != "theirs":
            written[name] = data.get(key, "")
    return scores, written


def _normal(text: str) -> str:
    return str(text).replace("\r\n", "\n").strip()


def cell(name: str, saved: Any, label: str, field_label: str, post=None, errors=None, conflict=False) -> Cell:
    """One input: the saved value, or (a refused save) what the user typed, with its error; after a
    conflict, a field both changed shows the colleague's value to choose from."""
    saved_text = as_text(saved)
    result = Cell(name, saved_text, (errors or {}).get(name, ""), field_label=str(field_label), label=label)
    if post is not None and name in post:
        typed = post.get(name, "")
        result.value = typed
        if conflict and _normal(typed) != _normal(saved_text):
            try:
                originals = json.loads(post.get(ORIGINALS, "") or "{}")
            except ValueError:
                originals = {}
            base = originals.get(name) if isinstance(originals, dict) else None
            mine_changed = base is None or digest(typed) != base
            theirs_changed = base is None or digest(saved_text) != base
            if mine_changed and theirs_changed:
                result.theirs, result.theirs_display = saved_text, saved_text or "—"
            elif theirs_changed:
                result.value, result.took_theirs = saved_text, True
    result.shown = result.value or "—"
    return result


def originals_of(cells: list[Cell], saved: dict[str, str]) -> str:
    """The digest of each saved value as the form was shown (to tell, after a conflict, who changed what)."""
    return json.dumps({c.name: digest(saved[c.name]) for c in cells}, separators=(",", ":"))
