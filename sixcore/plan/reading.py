"""The reading rules that look at a KPI's targets together (docs/DATA_FORMAT.md, "Reading rules").

``targets.parse_target`` reads one cell on its own.  Some questions cannot be answered from one
cell: is 「協助 … 4(含)家次以上」 in 111 that year's own count or the total to date?  Is an annual
figure in the unit of the full-term target at all?  These rules answer them from the KPI's whole row
— the full-term target and the four annual cells — and say so in each target's ``basis``.  Where the
row does not settle the question either, the target is marked ``uncertain`` with the reason, and the
audit and the KPI page show it.

Rules, in order (applied to parsed targets only; an override in the data file is never changed):

1. **Unit.**  An annual cell whose first quantity is in another unit than the full-term target, but
   which also states a quantity in the full-term unit, is read on that quantity (6.3.2: 「說明會1場，
   每年提供3件」 against 「每年提供3件…」).  When no quantity of the cell is in the full-term unit,
   the year is marked ``unit_mismatch`` and evaluation does not compare it (2.3.1: 全期 5 案, annual
   新創團隊 … 家).
2. **Series.**  Annual cells in the full-term unit whose kind came from no word of their own (the
   "annual default") are read from the row: if their figures add up to the full-term figure they are
   per period; if they never fall and the last one is the full-term figure — or a later cell of the
   row says 累計 — they are cumulative (4.5.2: 2 → 4 → 7 → 10 家次, 全期 10; 1.7.3: 5 → 12 → 24 →
   累計 38).  Otherwise they stay per period and, when the row has two or more such figures, are
   marked uncertain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .targets import CUMULATIVE, LEVEL, MILESTONE, PER_PERIOD

YEARS = ("110", "111", "112", "113")
# Written two ways for the same unit.
_SAME_UNIT = {"億": "億元", "萬": "萬元"}


def _unit(unit: str) -> str:
    return _SAME_UNIT.get(unit, unit)


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _counted(target: dict[str, Any] | None) -> bool:
    return bool(target) and target["kind"] not in (MILESTONE,) and target.get("unit") is not None


def read_row(kpi: dict[str, Any]) -> None:
    """Apply the row rules to one KPI (a ``datafiles`` KPI dict), changing its targets in place."""
    full = kpi["full_term"]["target"]
    if not _counted(full) or full["kind"] == MILESTONE:
        return
    # A KPI's part of a shared cell takes part in the row's figures; an explicit override (which
    # may count something else, 1.2.2's completions) does not, and neither is ever changed here.
    parsed = {
        year: cell["target"]
        for year, cell in kpi["annual"].items()
        if (cell["source"] == "parsed" or cell.get("part")) and _counted(cell["target"])
    }
    full_units = {_unit(c["unit"]): c for c in reversed(full.get("components", []))}
    full_units[_unit(full["unit"])] = full
    foreign = [
        t
        for year, t in parsed.items()
        if _unit(t["unit"]) not in full_units and kpi["annual"][year]["source"] == "parsed"
    ]
    for target in foreign:
        _align_unit(target, full_units, all(_has_unit(t, full_units) for t in foreign))
    by_unit: dict[str, list[tuple[str, dict]]] = {}
    for year in YEARS:
        target = parsed.get(year)
        if target is not None and not target.get("unit_mismatch") and target["kind"] != LEVEL:
            by_unit.setdefault(_unit(target["unit"]), []).append((year, target))
    for unit, row in by_unit.items():
        _series(full_units[unit], full["kind"], row)


def _has_unit(target: dict[str, Any], units: dict[str, Any]) -> bool:
    return any(_unit(c["unit"]) in units for c in target["components"])


def _align_unit(target: dict[str, Any], full_units: dict[str, Any], whole_row: bool) -> None:
    """Read the cell on its quantity in a unit of the full-term target — only when every such
    cell of the row has one; else the year is not comparable (``unit_mismatch``)."""
    if whole_row:
        for component in target["components"]:
            if _unit(component["unit"]) in full_units:
                for key in ("value", "min", "max", "unit"):
                    target[key] = component[key]
                target["basis"] = f"{target['basis']}; unit of the full-term target"
                return
    names = "、".join(dict.fromkeys(c["unit"] for c in full_units.values()))
    target["unit_mismatch"] = {"full_term": names, "annual": target["unit"]}


def _series(full: dict[str, Any], full_kind: str, row: list[tuple[str, dict[str, Any]]]) -> None:
    """Decide the kind of the row's "annual default" cells from the row (rule 2 of the module)."""
    open_cells = [t for _, t in row if t["basis"].startswith(_OPEN)]
    if not open_cells or len(row) < 2 or any(t.get("value") is None for _, t in row):
        return  # one figure: its own amount and the total to date are the same number
    if full_kind == PER_PERIOD:  # 「每年 …」: every year its own amount
        _decide(open_cells, PER_PERIOD, "row: the full-term target is per year")
        return
    if full.get("value") is None:
        return
    figures = [_number(t["value"]) for _, t in row]
    total = _number(full["value"])
    rising = all(a <= b for a, b in zip(figures, figures[1:], strict=False))
    said_cumulative = any(t["kind"] == CUMULATIVE and t["basis"].startswith("keyword") for _, t in row)
    listed = ", ".join(f"{f:g}" for f in figures)
    stated = [(i, _number(t["value"])) for i, (_, t) in enumerate(row) if t not in open_cells]
    before = [_number(t["value"]) for _, t in row[: stated[-1][0]] if t in open_cells] if stated else []
    if (
        stated
        and stated[-1][1] == total
        and len(before) >= 2
        and len(set(before)) == 1
        and sum(before) + before[0] * (len(row) - len(before)) == total
    ):
        # 1.7.2: 13, 13, 13 then 「累計 52」: the same amount each year, the last cell its total.
        _decide(open_cells, PER_PERIOD, "row: the same figure each year adds up to the stated total")
    elif len(set(figures)) == 1 and figures[0] == total and sum(figures) != total:
        _decide(open_cells, CUMULATIVE, "row: the same figure every year, the full-term figure")
        for target in open_cells:
            target["uncertain"] = (
                f"the same figure every year ({listed}), equal to the full-term figure: read as the "
                "same items to date; it may be each year's own count"
            )
    elif sum(figures) == total:
        _decide(open_cells, PER_PERIOD, "row: the annual figures add up to the full-term figure")
    elif rising and figures[-1] == total:
        _decide(open_cells, CUMULATIVE, "row: the annual figures rise to the full-term figure")
    elif rising and said_cumulative:
        _decide(open_cells, CUMULATIVE, "row: the annual figures rise and a cell says 累計")
    else:
        for target in open_cells:
            target["uncertain"] = (
                f"the annual figures ({listed}) neither add up to nor rise to the full-term figure {total:g}"
            )


# A cell whose kind no word of its own decided: parsed on its own, or from its part of a shared cell.
_OPEN = ("annual default", "part of the cell (annual default)")


def _decide(cells: list[dict[str, Any]], kind: str, why: str) -> None:
    for target in cells:
        target["kind"] = kind
        if target["basis"].startswith("part of the cell"):
            target["basis"] = f"{why}; {target['basis']}"
        else:
            target["basis"] = why
