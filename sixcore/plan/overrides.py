"""Target cells of the data files read into stored targets: the parsed reading, or the override
the data file gives — an explicit reading, or the part of a shared cell about the KPI
(docs/DATA_FORMAT.md, "Quantification overrides" and "The part of a shared cell about a KPI").

Called by ``datafiles``; ``checker`` is its problem collector.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .targets import parse_target

YEARS = ("110", "111", "112", "113")
LINE_KEY = "__yaml_line__"  # the YAML line of a mapping, added by the data files' loader
TARGET_KINDS = {"cumulative", "per_period", "level", "milestone"}


def _decimal(text: Any) -> Decimal:
    return Decimal(str(text).replace(",", ""))


def _target_override(checker: Any, record: dict, where: str) -> dict[str, Any]:
    overrides = record.get("targets") or {}
    if not isinstance(overrides, dict):
        checker.error(record, f"{where}: 'targets' must be a mapping")
        return {}
    clean = {}
    for key, value in overrides.items():
        if key == LINE_KEY:
            continue
        if key not in ("full_term", *YEARS):
            checker.error(
                overrides, f"{where}: targets key {key!r} must be full_term or one of {', '.join(YEARS)}"
            )
            continue
        if value is None:
            clean[key] = None
            continue
        if isinstance(value, dict) and "part" in value:
            clean[key] = _part_override(checker, overrides, value, f"{where}: targets.{key}")
            continue
        if not isinstance(value, dict) or value.get("kind") not in TARGET_KINDS:
            checker.error(
                overrides,
                f"{where}: targets.{key} needs kind: cumulative|per_period|level|milestone, or part",
            )
            continue
        clean[key] = _explicit_override(checker, overrides, value, f"{where}: targets.{key}")
    return clean


def _explicit_override(checker: Any, where_record: dict, value: dict, where: str) -> dict[str, Any]:
    target = {k: v for k, v in value.items() if k not in (LINE_KEY, "reason", "part")}
    for number in ("value", "min", "max"):
        if target.get(number) is not None:
            try:
                target[number] = float(_decimal(target[number]))
            except InvalidOperation:
                checker.error(where_record, f"{where}.{number} is not a number: {target[number]!r}")
    target.setdefault("unit", "")
    target["basis"] = "override in data file"
    if value.get("reason"):
        target["basis"] = f"override in data file: {value['reason']}"
    return target


def _part_override(checker: Any, where_record: dict, value: dict, where: str) -> dict[str, Any]:
    """``{part: "…", reason: "…"}``: the KPI's target is read from the part of its (shared) cell
    that is about it; ``part: null`` says no part of the cell is about this KPI.  An explicit
    ``kind``/``value``/``unit`` beside the part sets the reading (6.2.2's 「(90天、30天、7天)」: the
    third figure is natural gas)."""
    reason = value.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        checker.error(where_record, f"{where}: a part needs a reason (why this part is about the KPI)")
        reason = ""
    part = value.get("part")
    if part is not None and (not isinstance(part, str) or not part.strip()):
        checker.error(where_record, f"{where}: part must be a text of the cell, or null")
        part = None
    if "kind" in value:
        if value["kind"] not in TARGET_KINDS:
            checker.error(where_record, f"{where}: kind must be cumulative|per_period|level|milestone")
        target = _explicit_override(checker, where_record, value, where)
        target["basis"] = f"part of the cell: {reason}"
    else:
        target = quantify(part, "annual") if part else None
        if target is not None:
            target["basis"] = f"part of the cell ({target['basis']}): {reason}"
    if target is not None and value.get("uncertain"):
        target["uncertain"] = str(value["uncertain"])
    return {"part": part, "reason": reason, "target": target}


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def quantify(text: str, scope: str) -> dict[str, Any] | None:
    """The quantified form of a target text as stored in the database (a JSON-ready dict)."""
    target = parse_target(text, scope=scope)
    return target.to_dict() if target is not None else None


def _target(text: str, scope: str, overrides: dict, year: str | None = None) -> dict[str, Any]:
    key = year or "full_term"
    if key in overrides and isinstance(overrides[key], dict) and "part" in overrides[key]:
        chosen = overrides[key]
        reading = {"part": chosen["part"], "reading_note": chosen["reason"]}
        if chosen["part"] is not None and _squeeze(chosen["part"]) not in _squeeze(text):
            reading["part_error"] = f"part {chosen['part']!r} is not in the cell text"
        if chosen["target"] is None:
            return {"target": None, "source": "none", **reading}
        return {"target": dict(chosen["target"], part=chosen["part"]), "source": "override", **reading}
    if key in overrides:
        return {"target": overrides[key], "source": "override" if overrides[key] else "none"}
    target = quantify(text, scope)
    return {"target": target, "source": "parsed" if target else "none"}
