"""Pure helpers that shape plan data for pages: budget table, timeline geometry. No ORM queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass
class BudgetRow:
    label: str
    code: str | None
    cells: list[Decimal | None]
    computed_total: Decimal
    stated_total: Decimal | None

    @property
    def consistent(self) -> bool:
        return self.stated_total is None or abs(self.stated_total - self.computed_total) < Decimal("0.005")


def budget_table(
    industries: list[Any], lines: Iterable[Any], stated: Iterable[Any], years: Iterable[int]
) -> dict:
    """表 3 as rows of cells plus the stated and the computed subtotals (they are shown side by side)."""
    years = list(years)
    by_cell = {(line.industry_id, line.year): line.amount for line in lines}
    stated_by = {(t.kind, t.industry_id, t.year): t.amount for t in stated}
    rows = []
    for industry in industries:
        cells = [by_cell.get((industry.pk, y)) for y in years]
        rows.append(
            BudgetRow(
                industry.name,
                industry.code,
                cells,
                sum((c for c in cells if c is not None), Decimal(0)),
                stated_by.get(("industry", industry.pk, None)),
            )
        )
    column_totals = [sum((r.cells[n] or Decimal(0) for r in rows), Decimal(0)) for n in range(len(years))]
    stated_columns = [stated_by.get(("year", None, y)) for y in years]
    grand = sum(column_totals, Decimal(0))
    return {
        "years": years,
        "rows": rows,
        "column_totals": column_totals,
        "stated_columns": stated_columns,
        "grand_total": grand,
        "stated_grand_total": stated_by.get(("grand", None, None)),
        "chart": {
            "years": [str(y) for y in years],
            "series": [{"name": r.label, "data": [float(c or 0) for c in r.cells]} for r in rows],
        },
    }


@dataclass
class TimelineRow:
    item: Any
    offset: float  # percent of the axis where the bar starts
    width: float  # percent of the axis the bar covers
    clipped_start: bool
    clipped_end: bool


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


def timeline_rows(items: Iterable[Any], start_year: int, end_year: int, margin_years: int = 1) -> dict:
    """Geometry of a Gantt chart over the program years (ROC) with a year of margin on each side.

    Bars outside the axis are clipped and flagged, so an item running to 115/4 still shows.
    """
    axis_start = (start_year - margin_years + 1911) * 12
    axis_end = (end_year + margin_years + 1911) * 12 + 12
    span = axis_end - axis_start
    rows = []
    for item in items:
        if not item.start or not item.end:
            rows.append(TimelineRow(item, 0, 0, False, False))
            continue
        first, last = _months(item.start), _months(item.end) + 1
        clipped_start, clipped_end = first < axis_start, last > axis_end
        first, last = max(first, axis_start), min(last, axis_end)
        rows.append(
            TimelineRow(
                item,
                100 * (first - axis_start) / span,
                max(100 * (last - first) / span, 0.6),
                clipped_start,
                clipped_end,
            )
        )
    years = list(range(start_year - margin_years, end_year + margin_years + 1))
    return {
        "rows": rows,
        "years": years,
        "year_width": 100 / len(years),
        "program_offset": 100 * margin_years / len(years),
        "program_width": 100 * (end_year - start_year + 1) / len(years),
    }
