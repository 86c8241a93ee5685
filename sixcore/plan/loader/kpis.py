"""The KPIs of a revision, their annual targets and the target cells: a merged cell of the document is one
row shared by the KPIs it spans, identified by the KPI that carries its text and the year.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .. import models as plan
from ..datafiles import PlanData

if TYPE_CHECKING:
    from .program import ProgramWriter


def write_kpis(writer: ProgramWriter, data: PlanData, industry_of: dict, measures: dict) -> None:
    rows, records = [], []
    for i in data.industries:
        industry = industry_of[i["code"]]
        for m in i["measures"]:
            measure = measures[(industry.pk, m["code"])]
            occurrences: Counter[str] = Counter()
            for n, k in enumerate(m["kpis"]):
                occurrences[k["code"]] += 1
                code = k["code"] if occurrences[k["code"]] == 1 else f"{k['code']}#{occurrences[k['code']]}"
                rows.append(
                    {
                        "measure": measure,
                        "code": code,
                        "order": n,
                        "full_term_text": k["full_term"]["text"],
                        "full_term_target": k["full_term"]["target"],
                        "full_term_source": k["full_term"]["source"],
                        "own_agencies": bool(k["agencies"]),
                        "line": k["line"],
                        "extra_lines": k["extra_lines"],
                        "notes": k["notes"],
                    }
                )
                records.append((industry, m, k))
    kpis = writer.sync(
        plan.KPI,
        plan.KPI.objects.filter(measure__industry__program=writer.program),
        rows,
        "measure",
        "code",
    )
    kpi_by_printed: dict[tuple[int, str, str], plan.KPI] = {}
    ordered = []
    for row, (industry, m, k) in zip(rows, records, strict=True):
        kpi = kpis[(row["measure"].pk, row["code"])]
        kpi_by_printed.setdefault((industry.pk, m["code"], k["code"]), kpi)
        writer.link(plan.KPIAgency, "kpi", kpi, k["agencies"] or m["agencies"])
        ordered.append((industry, kpi, k))
    write_annual(writer, ordered, kpi_by_printed)


def write_annual(writer: ProgramWriter, ordered: list, kpi_by_printed: dict) -> None:
    """Annual targets and their cells; a merged cell is one row shared by the KPIs it spans."""
    existing_targets = {
        (a.kpi_id, a.year): a
        for a in plan.AnnualTarget.objects.filter(
            kpi__measure__industry__program=writer.program
        ).select_related("cell")
    }
    # A cell is identified by the KPI that carries its text (the first row of the span, in document
    # order) and the year.
    position = {kpi.pk: n for n, (_, kpi, _) in enumerate(ordered)}
    holders: dict[int, list[plan.AnnualTarget]] = {}
    for annual in existing_targets.values():
        holders.setdefault(annual.cell_id, []).append(annual)
    existing_cells: dict[tuple[int, int], plan.TargetCell] = {}
    for held in holders.values():
        first = min(held, key=lambda a: position.get(a.kpi_id, len(position)))
        existing_cells[(first.kpi_id, first.year)] = first.cell
    cell_rows, target_specs = [], []
    for industry, kpi, k in ordered:
        for year_text, cell in k["annual"].items():
            year = int(year_text)
            if cell.get("merged_with"):
                carrier = kpi_by_printed[(industry.pk, cell["merged_with_measure"], cell["merged_with"])]
            else:
                carrier = kpi
                cell_rows.append(
                    {
                        "program": writer.program,
                        "carrier": kpi.pk,
                        "year": year,
                        "text": cell["text"],
                        "line": kpi.line,
                    }
                )
            target_specs.append((kpi, year, carrier.pk, cell))
    # Match cells to their carriers' current cells; create the missing ones in one INSERT.
    cells: dict[tuple[int, int], plan.TargetCell] = {}
    new_cells, changed_cells = [], []
    for row in cell_rows:
        k = (row["carrier"], row["year"])
        current = existing_cells.get(k)
        if current is not None and k not in cells:
            if current.text != row["text"] or current.line != row["line"]:
                current.text, current.line = row["text"], row["line"]
                changed_cells.append(current)
            cells[k] = current
        else:
            cells[k] = plan.TargetCell(program=writer.program, text=row["text"], line=row["line"])
            new_cells.append(cells[k])
    plan.TargetCell.objects.bulk_create(new_cells, batch_size=500)
    if changed_cells:
        plan.TargetCell.objects.bulk_update(changed_cells, ["text", "line"], batch_size=500)
    writer.stats.created["targetcell"] += len(new_cells)
    writer.stats.updated["targetcell"] += len(changed_cells)
    writer.sync(
        plan.AnnualTarget,
        existing_targets.values(),
        [
            {
                "kpi": kpi,
                "year": year,
                "cell": cells[(carrier_pk, year)],
                "merged": cell["merged"],
                "target": cell["target"],
                "source": cell["source"],
                "part": cell.get("part") or "",
                "reading_note": cell.get("reading_note") or "",
            }
            for kpi, year, carrier_pk, cell in target_specs
        ],
        "kpi",
        "year",
    )
