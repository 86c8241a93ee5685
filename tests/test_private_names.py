"""No private name of django, rest_framework or psycopg anywhere in sixcore/ (DEVELOPERS.md, STYLE.md).

Speed and behaviour come from what we store and read, never from re-implementing the framework on its
internals: an upgrade of Django must not be able to break us silently. A private name is an identifier
with one leading underscore that one of those packages defines (a module, function, class, method or
attribute). The check reads our source with ``ast``:

- classes (imported): none overrides a private attribute of a framework class it inherits from;
- imports: no module path component and no imported name starting with ``_`` from those packages;
- attributes (``obj._name``) and ``getattr``/``setattr``/``hasattr`` with a literal ``"_name"``: flagged
  when the framework defines ``_name`` and sixcore does not (our own private attributes are ours);
- except the names Django documents as public API (``Model._meta``, ``_default_manager``, …).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

import pytest

SIXCORE = Path(__file__).resolve().parent.parent / "sixcore"
FRAMEWORKS = ("django", "rest_framework", "psycopg")
# Underscore names that Django documents as public API ("Model _meta API", "Managers", "Model._state").
DOCUMENTED = frozenset({"_meta", "_default_manager", "_base_manager", "_state"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.AST) -> set[str]:
    """Underscore names a module defines: functions, classes, arguments, assignment targets
    (``x._y = …`` included), import aliases."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            found.add(node.attr)
        elif isinstance(node, ast.alias) and node.asname:
            found.add(node.asname)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            found.add(node.args[1].value)
    return {name for name in found if _private(name)}


@functools.cache
def framework_private_names() -> frozenset[str]:
    """Every underscore name defined in the installed django, rest_framework and psycopg sources."""
    names: set[str] = set()
    for package in FRAMEWORKS:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations, package
        for root in spec.submodule_search_locations:
            for path in Path(root).rglob("*.py"):
                names.update(part for part in path.with_suffix("").parts if _private(part))
                try:
                    tree = ast.parse(path.read_text(encoding="utf-8"))
                except (SyntaxError, UnicodeDecodeError):  # templates of project skeletons (`*.py-tpl`-like)
                    continue
                names |= _defined_names(tree)
    return frozenset(names)


def private_uses(source: str, ours: set[str], theirs: frozenset[str]) -> list[str]:
    """Where ``source`` uses a framework's private name: ``"line N: what"``."""
    tree = ast.parse(source)
    found = []

    def framework(module: str | None) -> bool:
        return bool(module) and module.split(".")[0] in FRAMEWORKS

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and framework(node.module):
            parts = node.module.split(".")
            for alias in node.names:
                if any(_private(p) for p in parts) or _private(alias.name):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if framework(alias.name) and any(_private(p) for p in alias.name.split(".")):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            name = node.attr
            if _private(name) and name in theirs and name not in ours and name not in DOCUMENTED:
                found.append(f"line {node.lineno}: .{name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr", "setattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
            if _private(name) and name in theirs and name not in ours and name not in DOCUMENTED:
                found.append(f'line {node.lineno}: {node.func.id}(…, "{name}")')
    return found


def test_the_framework_scan_finds_their_private_names():
    theirs = framework_private_names()
    # Names earlier code of ours leaned on: each is private in its framework.
    assert {"_raw_delete", "_get_session_auth_hash", "_request", "_get_session_from_db"} <= theirs


@pytest.mark.parametrize(
    "source",
    [
        "from django.db.models.sql.query import _x",
        "from django.utils._os import safe_join",
        "import django.utils._os",
        "qs._raw_delete(qs.db)",
        "request._request.user",
        'getattr(user, "_get_session_auth_hash")',
    ],
)
def test_the_check_catches_private_uses(source):
    assert private_uses(source, set(), framework_private_names())


@pytest.mark.parametrize(
    "source",
    [
        "opts = Model._meta",
        "Model._default_manager.all()",
        "self._cache = {}\nvalue = self._cache",
        "from django.db import models",
    ],
)
def test_the_check_allows_documented_and_own_names(source):
    assert not private_uses(source, _defined_names(ast.parse(source)), framework_private_names())


def test_sixcore_uses_no_private_name_of_the_frameworks():
    files = sorted(SIXCORE.rglob("*.py"))
    sources = {path: path.read_text(encoding="utf-8") for path in files}
    ours: set[str] = set()
    for source in sources.values():
        ours |= _defined_names(ast.parse(source))
    theirs = framework_private_names()
    offences = [
        f"{path.relative_to(SIXCORE.parent)} {use}"
        for path, source in sources.items()
        for use in private_uses(source, ours, theirs)
    ]
    assert offences == []


def _written_in(cls, value) -> bool:
    """A method or property written in the body of ``cls`` (not set by a metaclass, as Django's
    ``_meta`` or an enum's ``_value2member_map_``)."""
    if isinstance(value, classmethod | staticmethod):
        value = value.__func__
    elif isinstance(value, property):
        value = value.fget
    return inspect.isfunction(value) and value.__qualname__.startswith(f"{cls.__qualname__}.")


def overridden_private_members(classes) -> list[str]:
    """``Class._name`` where the class defines a private name that a framework base class defines."""
    found = []
    for cls in classes:
        own = [name for name, value in vars(cls).items() if _private(name) and _written_in(cls, value)]
        for base in cls.__mro__[1:]:
            if base.__module__.split(".")[0] not in FRAMEWORKS:
                continue
            found += [f"{cls.__module__}.{cls.__qualname__}.{n}" for n in own if n in vars(base)]
    return found


def test_the_override_check_catches_a_private_hook():
    from django.contrib.sessions.backends import db

    class Store(db.SessionStore):
        def _get_session_from_db(self):
            return None

    assert overridden_private_members([Store]) == [f"{__name__}.{Store.__qualname__}._get_session_from_db"]


def test_no_sixcore_class_overrides_a_private_member_of_the_frameworks():
    import sixcore

    classes = []
    for module_info in pkgutil.walk_packages(sixcore.__path__, "sixcore."):
        # Tests (sixcore/<app>/tests) are read by the check above, not imported outside pytest here.
        if (
            ".migrations." in module_info.name
            or ".tests." in f"{module_info.name}."
            or module_info.name.endswith(".wsgi")
        ):
            continue
        module = importlib.import_module(module_info.name)
        classes += [
            c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__
        ]
    assert len(classes) > 100
    assert overridden_private_members(classes) == []
