"""Every translatable string is one ``makemessages`` finds: xgettext only knows the gettext names
(``_``, ``gettext_lazy``, ``pgettext`` …), so a string marked through another alias
(``gettext_lazy as _lazy``) never reaches the catalogue and shows in English on a zh-TW page."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "sixcore"
# The keywords Django's makemessages passes to xgettext, plus xgettext's own defaults for Python.
KNOWN = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
MARKING = KNOWN - {"_"}


def aliases_makemessages_cannot_see() -> list[str]:
    found = []
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    if alias.name in MARKING and (alias.asname or alias.name) not in KNOWN:
                        found.append(f"{path.relative_to(ROOT)}: {alias.name} as {alias.asname}")
    return found


def test_translation_functions_are_imported_under_names_makemessages_knows():
    assert aliases_makemessages_cannot_see() == []
