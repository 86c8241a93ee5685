"""The apps of sixcore form layers (docs/ARCHITECTURE.md, "Layers"): no import cycle between apps, and
``core`` imports no domain app.

An app is a folder of ``sixcore/``. The graph is built from the source with ``ast``, so it sees every
import — at module level, inside functions and under ``if TYPE_CHECKING`` — absolute (``sixcore.plan``,
``from sixcore import plan``) and relative (``from ..plan import``). A function-level import is a
dependency all the same: hiding one inside a function would only move the cycle to run time. Model
lookups by string (``apps.get_model("plan", …)``, ``import_module("sixcore.plan…")``) count as
imports too, for the same reason. Each app's ``tests/`` and ``migrations/`` are left out: migrations
name the models of other apps by history, not by design.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SIXCORE = Path(__file__).resolve().parent.parent / "sixcore"
APPS = frozenset(p.name for p in SIXCORE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
SKIPPED_DIRS = frozenset({"tests", "migrations"})


def _modules(app: str) -> list[Path]:
    return sorted(
        path
        for path in (SIXCORE / app).rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(SIXCORE / app).parts[:-1])
    )


def _package_parts(path: Path) -> list[str]:
    """``sixcore/plan/management/commands/x.py`` → ``["sixcore", "plan", "management", "commands"]``."""
    return ["sixcore", *path.relative_to(SIXCORE).parts[:-1]]


def _app_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if len(parts) >= 2 and parts[0] == "sixcore" and parts[1] in APPS:
        return parts[1]
    return None


def _string_argument(node: ast.Call, index: int) -> str | None:
    if len(node.args) > index and isinstance(node.args[index], ast.Constant):
        value = node.args[index].value
        return value if isinstance(value, str) else None
    return None


def _imported_apps(source: str, package: list[str]) -> set[str]:
    """Every app a module of ``package`` imports, its own included (the caller drops self-edges)."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(filter(None, (_app_of(alias.name) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            app = _app_of(module)
            if app:
                found.add(app)
            elif module == "sixcore":
                found.update(alias.name for alias in node.names if alias.name in APPS)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "get_model":
                label = _string_argument(node, 0)
                if label:
                    app = label.split(".")[0]
                    if app in APPS:
                        found.add(app)
            elif name in {"import_module", "__import__"}:
                module = _string_argument(node, 0)
                app = module and _app_of(module)
                if app:
                    found.add(app)
    return found


def import_graph() -> dict[str, dict[str, list[str]]]:
    """``{app: {imported app: [importing files]}}``, self-imports left out."""
    graph: dict[str, dict[str, list[str]]] = {app: defaultdict(list) for app in sorted(APPS)}
    for app in APPS:
        for path in _modules(app):
            source = path.read_text(encoding="utf-8")
            for target in _imported_apps(source, _package_parts(path)) - {app}:
                graph[app][target].append(str(path.relative_to(SIXCORE.parent)))
    return graph


def cyclic_groups(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The groups of apps that import each other, directly or not: strongly connected components of
    more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def cycle_in(graph: dict[str, dict[str, list[str]]], group: list[str]) -> list[str]:
    """The shortest cycle through the group's first app (breadth-first, within the group)."""
    component = set(group)
    start = min(component)
    previous: dict[str, str] = {start: start}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(set(graph[node]) & component):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle in component {sorted(component)}")


def _describe(graph: dict[str, dict[str, list[str]]], group: list[str]) -> str:
    """A cycle of the group, then every import between its apps (each of them lies on some cycle)."""
    lines = [f"{' → '.join(cycle_in(graph, group))}   (group: {', '.join(group)})"]
    for source in group:
        for target in sorted(set(graph[source]) & set(group)):
            lines.append(f"  {source} → {target}: {', '.join(sorted(graph[source][target]))}")
    return "\n".join(lines)


def test_the_graph_sees_every_kind_of_import():
    """The checker itself: module-level, function-level, relative, ``from sixcore import``, by string."""
    source = (
        "import sixcore.core.roc\n"
        "from sixcore import plan, settings\n"
        "def f():\n"
        "    from ....progress import models\n"
        "    from .. import views\n"
        "    apps.get_model('revisions', 'Revision')\n"
        "    apps.get_model('auth.User')\n"
        "    importlib.import_module('sixcore.annual.models')\n"
    )
    package = ["sixcore", "accounts", "management", "commands"]
    assert _imported_apps(source, package) == {"core", "plan", "progress", "accounts", "revisions", "annual"}
    # And the real tree is read: the plan's models hang off agencies.
    assert "sixcore/plan/models.py" in import_graph()["plan"]["accounts"]


def test_find_cycles_reports_a_path():
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert cyclic_groups(graph) == [["a", "b", "c"]]
    assert cycle_in(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert cyclic_groups({"a": {"b": ["x"]}, "b": {}}) == []


def test_core_imports_no_domain_app():
    graph = import_graph()
    imported = {target: files for target, files in graph["core"].items()}
    assert not imported, "core imports domain apps:\n" + "\n".join(
        f"  core → {target}: {', '.join(sorted(files))}" for target, files in sorted(imported.items())
    )


def test_no_import_cycle_between_apps():
    graph = import_graph()
    groups = cyclic_groups(graph)
    assert not groups, "import cycles between apps (per group of apps that import each other):\n" + (
        "\n".join(_describe(graph, group) for group in groups)
    )
