"""What changed between two revisions: a pure function over two ``plan.export.export_program`` dicts.

Objects are matched by natural keys (measure code + KPI code, schedule code + work-item code, industry
code + year for budget cells…) and compared field by field, nested fields flattened to dotted names
(``annual.112.text``). The program header (revision number, title, date, effective period) always
differs and is shown beside the diff, not in it. No ORM here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"


@dataclass(frozen=True)
class Change:
    """One changed cell: ``object`` (e.g. ``KPI 1.1 / 1.1.1``), ``field`` (``annual.112.text``), old → new.
    For an added or removed object ``field`` is empty and ``old``/``new`` hold the whole object."""

    section: str
    object: str
    field: str
    old: Any
    new: Any
    kind: str = CHANGED
    key: tuple = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _keyed(rows: Iterable[dict], key: Callable[[dict], tuple]) -> dict[tuple, dict]:
    """Rows by natural key; a key printed twice (6.2.2) gets its occurrence number, as the loader does."""
    seen: Counter[tuple] = Counter()
    result = {}
    for row in rows:
        k = key(row)
        seen[k] += 1
        result[k if seen[k] == 1 else (*k, f"#{seen[k]}")] = row
    return result


# The export's typeset texts are derived from the verbatim ones beside them: a change shows once.
_DERIVED = frozenset({"display", "title_display", "targets_display"})


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for k, v in value.items():
            if k in _DERIVED:
                continue
            flat.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return flat
    return {prefix: value}


def _label(section: str, key: tuple) -> str:
    names = {
        "kpis": "KPI",
        "work_items": "work item",
        "budget": "budget",
        "budget_stated_totals": "budget subtotal",
        "measures": "measure",
        "industries": "industry",
        "strategies": "strategy",
        "schedules": "schedule",
        "tasks": "task",
        "agencies": "agency",
        "security_budget_ratios": "security ratio",
    }
    return f"{names.get(section, section)} {' / '.join(str(k) for k in key if k is not None)}"


# Section → natural key of its rows.
SECTIONS: dict[str, Callable[[dict], tuple]] = {
    "industries": lambda r: (r["code"],),
    "strategies": lambda r: (r["code"],),
    "measures": lambda r: (r["code"],),
    "kpis": lambda r: (r["measure"], r["code"]),
    "schedules": lambda r: (r["code"],),
    "tasks": lambda r: (r["schedule"], r["seq"]),
    "work_items": lambda r: (r["schedule"], r["code"]),
    "budget": lambda r: (r["industry"], r["year"]),
    "budget_stated_totals": lambda r: (r["kind"], r["industry"], r["year"]),
    "security_budget_ratios": lambda r: (r["year"], r["tier"]),
    "agencies": lambda r: (r["code"],),
}


def diff_exports(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every cell that differs between two exports, in the order of the newer one."""
    changes: list[Change] = []
    for section, key in SECTIONS.items():
        before = _keyed(old.get(section, []), key)
        after = _keyed(new.get(section, []), key)
        for k, row in after.items():
            label = _label(section, k)
            if k not in before:
                changes.append(Change(section, label, "", None, row, ADDED, k))
                continue
            a, b = _flatten(before[k]), _flatten(row)
            for name in list(a) + [n for n in b if n not in a]:
                if a.get(name) != b.get(name):
                    changes.append(Change(section, label, name, a.get(name), b.get(name), CHANGED, k))
        for k, row in before.items():
            if k not in after:
                changes.append(Change(section, _label(section, k), "", row, None, REMOVED, k))
    return changes
