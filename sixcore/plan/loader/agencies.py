"""The agencies of a load: the register in program.yaml, and a sub-unit or unknown agency for every other
name the data uses. Its own step because agencies are shared by all revisions and never deleted.
"""

from __future__ import annotations

import hashlib

from sixcore.accounts.choices import AgencyKind
from sixcore.accounts.models import Agency

from ..datafiles import PlanData
from .sync import LoadStats

SUB_UNIT_SEPARATOR = "("


def sub_unit_code(parent_code: str, name: str) -> str:
    """A stable ASCII code for a sub-unit that the register does not name: ``moea-u1a2b3c``."""
    digest = hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]
    return f"{parent_code}-u{digest}"


def sync_agencies(data: PlanData, stats: LoadStats) -> dict[str, Agency]:
    """Register the agencies of program.yaml and every other name the data uses; return them by name.

    Agencies are shared by all revisions and referred to by users, so they are never deleted here.
    """
    by_code = {a.code: a for a in Agency.objects.all()}
    rows = []
    for order, record in enumerate(data.agencies):
        parent = record["parent"]
        kind = AgencyKind.CORE if record["core"] else (AgencyKind.SUB_UNIT if parent else AgencyKind.MINISTRY)
        rows.append(
            {
                "code": record["code"],
                "name": record["name"],
                "full_name": record["full_name"] or record["name"],
                "kind": kind,
                "aliases": record["aliases"],
                "recognized": True,
                "order": order,
                "parent_code": parent,
            }
        )
    by_name: dict[str, Agency] = {}
    # Parents first, so sub-units can point at them.
    for row in sorted(rows, key=lambda r: r["parent_code"] is not None):
        parent_code = row.pop("parent_code")
        row["parent"] = by_code.get(parent_code) if parent_code else None
        obj = by_code.get(row["code"])
        if obj is None:
            obj = Agency.objects.create(**row)
            stats.created["agency"] += 1
        elif any(getattr(obj, f) != v for f, v in row.items()):
            for f, v in row.items():
                setattr(obj, f, v)
            obj.save()
            stats.updated["agency"] += 1
        by_code[obj.code] = obj
    for agency in by_code.values():
        by_name[agency.name] = agency
        for alias in agency.aliases:
            by_name.setdefault(alias, agency)
    order = len(rows)
    for name in sorted(data.agency_names - set(by_name)):
        order += 1
        parent_name, _, unit = name.partition(SUB_UNIT_SEPARATOR)
        parent = by_name.get(parent_name) if unit.endswith(")") else None
        if parent is not None:
            code = sub_unit_code(parent.code, name)
            defaults = {
                "name": name,
                "full_name": name,
                "parent": parent,
                "kind": AgencyKind.SUB_UNIT,
                "recognized": True,
            }
        else:
            code = sub_unit_code("x", name)
            defaults = {"name": name, "full_name": name, "kind": AgencyKind.OTHER, "recognized": False}
        obj, created = Agency.objects.get_or_create(code=code, defaults={**defaults, "order": order})
        if created:
            stats.created["agency"] += 1
        by_name[name] = obj
    return by_name
