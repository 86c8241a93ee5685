"""Every row of the file checked in Python (registry loaded once, parsed cells cached by their text) and
the good rows staged; the bad ones become ``RowError`` in the result. The hot loop of a large import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from ..models import Assignment, Reporter, SupplyItem
from .cells import QUANTITIES, REQUIRED, parse_date, parse_quantity
from .reading import Unreadable, guarded_sheets
from .result import ImportResult, RowError
from .staging import Staging

_CACHE_LIMIT = 200_000
MISSING = object()
# (item, reporter) pair and date packed into one int: a set of a million ints is a third of the
# memory of a million tuples. ``date.max.toordinal()`` is below 2**22.
_DAY_BITS = 22


@dataclass
class Checked:
    """What checking the file left for the SQL steps."""

    labels: list[str] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)  # the items of the staged rows
    first: str = ""  # earliest and latest staged date (ISO)
    last: str = ""
    duplicates: list[tuple[int, int, int, str]] = field(default_factory=list)  # error index, key


def check_and_stage(result: ImportResult, source: bytes | Path, today: date, staging: Staging) -> Checked:
    """Check every row's cells; stage the good ones; record the bad ones in ``result.errors``.

    The loop is written for speed (1,000,000 rows in the benchmark): columns by index, parsed dates
    and quantities cached by their text, (item, reporter, unit) triples cached once checked, and a
    row whose every cell was seen before costs a few dictionary lookups.
    """
    name = result.file
    items = {code: (pk, unit) for code, pk, unit in SupplyItem.objects.values_list("code", "pk", "unit")}
    reporters = dict(Reporter.objects.values_list("code", "pk"))
    assigned = set(Assignment.objects.values_list("item_id", "reporter_id"))
    checked: dict[tuple[Any, Any, Any], tuple[int, int, int]] = {}  # cells → item, reporter, pair key
    pairs: dict[tuple[int, int], int] = {}
    dates: dict[Any, date] = {}
    good_dates: dict[Any, tuple[str, int]] = {}  # parsed, not in the future: ISO text and ordinal
    quantities: dict[Any, str | None] = {}  # cell → the parsed number as text
    seen: set[int] = set()
    read = Checked()
    errors = result.errors
    add = staging.add
    any_sheet = False
    try:
        for sheet, (label, header, sheet_rows) in enumerate(guarded_sheets(name, source)):
            read.labels.append(label)
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                errors.append(
                    RowError(
                        label, 1, gettext("missing column(s): %(columns)s") % {"columns": ", ".join(missing)}
                    )
                )
                continue
            any_sheet = True
            width = len(header)
            i_item, i_reporter, i_date, i_unit = (
                header.index(c) for c in ("item", "reporter", "date", "unit")
            )
            q_index = [(c, header.index(c) if c in header else None) for c in QUANTITIES]
            q_positions = [index for _, index in q_index]
            for number, cells in sheet_rows:
                result.rows += 1
                if len(cells) < width:
                    cells = list(cells) + [""] * (width - len(cells))
                known = checked.get((cells[i_item], cells[i_reporter], cells[i_unit]))
                day = good_dates.get(cells[i_date])
                if known is not None and day is not None:
                    values = [
                        quantities.get(cells[i], MISSING) if i is not None else None for i in q_positions
                    ]
                    key = known[2] | day[1]
                    if MISSING not in values and values[3] is not None and key not in seen:
                        seen.add(key)
                        add((sheet, number, known[0], known[1], day[0], *values))
                        continue
                problems: list[str] = []
                item_code = cells[i_item].strip()
                item = items.get(item_code)
                if item is None:
                    problems.append(gettext("unknown item %(code)s") % {"code": item_code})
                reporter_code = cells[i_reporter].strip()
                reporter_id = reporters.get(reporter_code)
                if reporter_id is None:
                    problems.append(gettext("unknown reporter %(code)s") % {"code": reporter_code})
                raw_date = cells[i_date]
                parsed = dates.get(raw_date)
                if parsed is None:
                    try:
                        parsed = parse_date(raw_date)
                    except ValueError as exc:
                        problems.append(str(exc))
                    else:
                        dates[raw_date] = parsed
                if parsed is not None and parsed > today:
                    problems.append(
                        gettext("date %(date)s is in the future (today is %(today)s)")
                        % {"date": parsed.isoformat(), "today": today.isoformat()}
                    )
                elif parsed is not None:
                    good_dates[raw_date] = (parsed.isoformat(), parsed.toordinal())
                unit = cells[i_unit].strip()
                if item is not None and unit != item[1]:
                    problems.append(
                        gettext("unit %(unit)s does not match the item's unit %(expected)s")
                        % {"unit": unit, "expected": item[1]}
                        if unit
                        else gettext("unit is missing")
                    )
                values = []
                stock_refused = False
                for column, index in q_index:
                    raw = cells[index] if index is not None else ""
                    if raw in quantities:
                        values.append(quantities[raw])
                        continue
                    try:
                        value = parse_quantity(raw, column)
                    except ValueError as exc:
                        problems.append(str(exc))
                        values.append(None)
                        stock_refused = stock_refused or column == "stock"
                        continue
                    if len(quantities) > _CACHE_LIMIT:
                        quantities.clear()
                    quantities[raw] = text = None if value is None else str(value)
                    values.append(text)
                if values[3] is None and not stock_refused:
                    problems.append(gettext("stock is missing"))
                if item is not None and reporter_id is not None and (item[0], reporter_id) not in assigned:
                    problems.append(
                        gettext("reporter %(reporter)s does not report item %(item)s")
                        % {"reporter": reporter_code, "item": item_code}
                    )
                if problems:
                    errors.append(RowError(label, number, "; ".join(problems)))
                    continue
                pair = pairs.setdefault((item[0], reporter_id), (len(pairs) + 1) << _DAY_BITS)
                checked[(cells[i_item], cells[i_reporter], cells[i_unit])] = (item[0], reporter_id, pair)
                iso = parsed.isoformat()
                if pair | parsed.toordinal() in seen:
                    errors.append(RowError(label, number, ""))  # the first row's number is looked up later
                    read.duplicates.append((len(errors) - 1, item[0], reporter_id, iso))
                    continue
                seen.add(pair | parsed.toordinal())
                add((sheet, number, item[0], reporter_id, iso, *values))
    except Unreadable as exc:
        # The rows read before it stay in the staging table, which is dropped: nothing is written.
        errors.append(RowError(exc.label, exc.row, exc.reason))
    if not errors and (not any_sheet or not seen):
        errors.append(RowError(name, 1, gettext("the file has no data rows")))
    if not errors:
        # Without errors every checked (item, reporter) and every good date belongs to a staged row.
        read.item_ids = sorted({item_id for item_id, _, _ in checked.values()})
        read.first, read.last = min(d for d, _ in good_dates.values()), max(d for d, _ in good_dates.values())
    return read
