"""Validation of schedules_N.yaml: schedule tables, their tasks, approaches and work items (periods read
as dates; a period that cannot be read is kept for the audit, not refused).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sixcore.core.roc import RocDateError, parse_roc_period

from ..notes import inferred_values
from .checker import Checker, agency_names

SCHEDULE_CODE = re.compile(r"^(\d)-(\d+)$")


def check_schedules(checker: Checker, doc: Any, industry: str) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or str(doc.get("industry")) != industry:
        checker.error(doc if isinstance(doc, dict) else {}, f'file must start with industry: "{industry}"')
        return []
    schedules = []
    seen: Counter[str] = Counter()
    for record in checker.require(doc, "schedules", list, "schedules") or []:
        code = checker.require(record, "code", str, "schedule") or "?"
        where = f"schedule {code}"
        match = SCHEDULE_CODE.match(code)
        if not match or match.group(1) != industry:
            checker.error(record, f"{where}: code must look like {industry}-M")
        seen[code] += 1
        schedule = {
            "code": code,
            "title": checker.require(record, "title", str, where),
            "heading_agencies": agency_names(checker, record, "heading_agencies", where),
            "measures": [
                str(m) for m in (checker.require(record, "measures", list, where, empty_ok=True) or [])
            ],
            "line": checker.line(record, where),
            "notes": checker.optional_str(record, "notes", where),
            "tasks": [],
        }
        for task in checker.require(record, "tasks", list, where) or []:
            schedule["tasks"].append(_check_task(checker, task, where))
        schedules.append(schedule)
    for code, count in seen.items():
        if count > 1:
            checker.error(doc, f"schedule {code} appears {count} times")
    return schedules


def _check_task(checker: Checker, record: dict, where: str) -> dict[str, Any]:
    seq = checker.require(record, "seq", int, f"{where} task")
    where = f"{where} task {seq}"
    targets = record.get("targets") or []
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        checker.error(record, f"{where}: 'targets' must be a list of strings")
        targets = []
    task = {
        "seq": seq,
        "title": checker.require(record, "title", str, where),
        "targets": targets,
        "line": checker.line(record, where),
        "notes": checker.optional_str(record, "notes", where),
        "approaches": [],
    }
    for approach in checker.require(record, "approaches", list, where) or []:
        code = approach.get("code") if isinstance(approach, dict) else None
        a_where = f"{where} approach {code}"
        if code is not None and not isinstance(code, str):
            checker.error(approach, f"{a_where}: code must be a quoted string or null")
        item = {
            "code": code or "",
            # The conversion lost a few titles (1-3 task 3); kept empty and reported by the audit.
            "title": checker.require(approach, "title", str, a_where, empty_ok=True),
            "line": checker.line(approach, a_where),
            "notes": checker.optional_str(approach, "notes", a_where),
            "work_items": [],
        }
        for wi in checker.require(approach, "work_items", list, a_where) or []:
            item["work_items"].append(_check_work_item(checker, wi, a_where))
        task["approaches"].append(item)
    return task


def _check_work_item(checker: Checker, record: dict, where: str) -> dict[str, Any]:
    code = checker.require(record, "code", str, f"{where} work item") or "?"
    where = f"{where} work item {code}"
    period = checker.require(record, "period", str, where, empty_ok=True) or ""
    start = end = None
    period_error = ""
    if period.strip():
        try:
            start, end = parse_roc_period(period)
        except RocDateError as exc:
            period_error = str(exc)  # kept and reported by the audit, not a load error
    code_in_source = bool(record.get("code_in_source", True))
    notes = checker.optional_str(record, "notes", where)
    return {
        "code": code,
        "code_in_source": code_in_source,
        "inferred": inferred_values(notes, code_in_source, record.get("inferred")),
        "title": checker.require(record, "title", str, where),
        "period": period,
        "start": start,
        "end": end,
        "period_error": period_error,
        "lead": agency_names(checker, record, "lead", where),
        "co": agency_names(checker, record, "co", where, required=False),
        "line": checker.line(record, where),
        "notes": notes,
    }
