"""Audit checks of how the data *reads* the document (issue #19): unit changes, uncertain readings,
shared cells a KPI takes no part of, values the data infers, and codes it stores otherwise than printed.

Declared with ``report.check`` like the others; ``audit_program`` runs them after the rest.
Also fills ``AuditReport.reading``: the coverage figures docs/DATA_FORMAT.md quotes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from .report import INFO, WARNING, YEARS, AuditReport, check


def _cells(kpi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("全期目標", kpi["full_term"])] + [(y, kpi["annual"][y]) for y in YEARS if y in kpi["annual"]]


@check("unit_change", "Annual targets in another unit than the full-term target: not compared in evaluation.")
def _unit_change(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        years = [
            (year, cell["target"]["unit_mismatch"])
            for year, cell in _cells(kpi)
            if cell["target"] and cell["target"].get("unit_mismatch")
        ]
        if years:
            listed = "、".join(f"{y} {m['annual']}" for y, m in years)
            report.add(
                "unit_change",
                WARNING,
                [kpi["code"]],
                f"KPI {kpi['code']}: full-term target in {years[0][1]['full_term']}, annual targets in "
                f"{listed}; those years are not compared (white light)",
                kpi["line"],
            )


@check("uncertain_reading", "Target cells whose reading the document leaves open, with the reason.")
def _uncertain(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        reasons: dict[str, list[str]] = defaultdict(list)
        for year, cell in _cells(kpi):
            if cell["target"] and cell["target"].get("uncertain"):
                reasons[cell["target"]["uncertain"]].append(year)
        for reason, years in reasons.items():
            report.add(
                "uncertain_reading",
                INFO,
                [kpi["code"]],
                f"KPI {kpi['code']} {', '.join(years)}: read as "
                f"{kpi['annual'].get(years[-1], kpi['full_term'])['target']['kind']}; uncertain: {reason}",
                kpi["line"],
            )


@check("shared_cell_part", "KPIs of a shared (merged) cell: the part each takes, or none.")
def _shared_parts(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        for year in YEARS:
            cell = kpi["annual"].get(year)
            if not cell or not cell.get("reading_note"):
                continue
            if cell.get("part"):
                message = f"KPI {kpi['code']} {year}: read on 「{cell['part']}」 ({cell['reading_note']})"
            else:
                message = f"KPI {kpi['code']} {year}: no part of the shared cell is about it ({cell['reading_note']})"
            report.add("shared_cell_part", INFO, [kpi["code"]], message, kpi["line"])


@check("inferred_value", "Work-item values the data infers rather than reads (agencies, periods, codes).")
def _inferred(data: dict, report: AuditReport) -> None:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for item in data["work_items"]:
        for field in item.get("inferred") or {}:
            groups[(item["schedule"], field)].append(item)
    for (schedule, field), items in sorted(groups.items()):
        doubtful = [i["code"] for i in items if "doubtful" in i["inferred"][field]]
        report.add(
            "inferred_value",
            WARNING if doubtful else INFO,
            [f"{schedule}/{i['code']}" for i in items],
            f"schedule {schedule}: {field} of {len(items)} work items inferred, not printed "
            f"({', '.join(i['code'] for i in items)})"
            + (f"; doubtful: {', '.join(doubtful)}" if doubtful else "")
            + f". E.g. {items[0]['code']}: {items[0]['inferred'][field]}",
            items[0]["line"],
        )


@check(
    "renumbered_code",
    "Codes the data stores otherwise than printed: repeated printed codes, codes made up where none is printed.",
)
def _renumbered(data: dict, report: AuditReport) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for item in data["work_items"]:
        seen[(item["schedule"], item["code"])] += 1
        count = seen[(item["schedule"], item["code"])]
        if count > 1:
            report.add(
                "renumbered_code",
                INFO,
                [f"{item['schedule']}/{item['code']}"],
                f"schedule {item['schedule']}: {item['code']} printed a {_ordinal(count)} time "
                f"(under {item['approach_code'] or item['task']}); shown as printed, stored as "
                f"{item['code']}#{count} to tell the rows apart",
                item["line"],
            )
        if not item["code_in_source"]:
            report.add(
                "renumbered_code",
                INFO,
                [f"{item['schedule']}/{item['code']}"],
                f"schedule {item['schedule']}: no code printed; {item['code']} made up following the table",
                item["line"],
            )
    kpis: Counter[str] = Counter()
    for kpi in data["kpis"]:
        kpis[kpi["code"]] += 1
        if kpis[kpi["code"]] > 1:
            report.add(
                "renumbered_code",
                INFO,
                [kpi["code"]],
                f"KPI {kpi['code']} printed a {_ordinal(kpis[kpi['code']])} time (under {kpi['measure']}); "
                f"shown as printed, stored as {kpi['code']}#{kpis[kpi['code']]}",
                kpi["line"],
            )


def _ordinal(n: int) -> str:
    return {2: "second", 3: "third"}.get(n, f"{n}th")


@check("reading_coverage", "How the target cells are read: kinds, uncertain readings, unit changes, parts.")
def _coverage(data: dict, report: AuditReport) -> None:
    kinds: Counter[str] = Counter()
    cells = uncertain = mismatched = parts = 0
    for kpi in data["kpis"]:
        for _, cell in _cells(kpi):
            target = cell["target"]
            if cell.get("reading_note"):
                parts += 1
            if target is None:
                continue
            cells += 1
            kinds[target["kind"]] += 1
            uncertain += bool(target.get("uncertain"))
            mismatched += bool(target.get("unit_mismatch"))
    inferred = Counter(field for item in data["work_items"] for field in item.get("inferred") or {})
    report.reading = {
        "target_cells": cells,
        "by_kind": dict(sorted(kinds.items())),
        "uncertain": uncertain,
        "unit_mismatch": mismatched,
        "shared_cell_parts": parts,
        "inferred_work_item_values": dict(sorted(inferred.items())),
        "footnotes": len(data.get("footnotes", [])),
    }
    listed = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    report.add(
        "reading_coverage",
        INFO,
        [],
        f"{cells} target cells read: {listed}; {uncertain} uncertain, {mismatched} in another unit than "
        f"the full-term target, {parts} shared-cell parts; inferred work-item values: "
        + ", ".join(f"{field} {count}" for field, count in sorted(inferred.items())),
    )


READING_CHECKS = [_unit_change, _uncertain, _shared_parts, _inferred, _renumbered, _coverage]
