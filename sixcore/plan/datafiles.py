"""Read and validate the plan data files (docs/DATA_FORMAT.md) into plain Python values.

No ORM here: ``read_plan_files`` returns a ``PlanData`` of plain dicts and lists, or raises ``DataError``
listing every problem as ``file:line: message`` (the YAML file's line, so it can be fixed at once).
The database step lives in ``loader.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from sixcore.core.roc import RocDateError, parse_roc_period

from .notes import check_footnote_cells, check_footnotes, inferred_values
from .overrides import (
    LINE_KEY,
    YEARS,
    _decimal,
    _target,
    _target_override,
    quantify,  # noqa: F401 - part of this module's interface (revisions)
)
from .reading import read_row

DATA_DIR = Path(__file__).resolve().parent / "data"

MEASURE_CODE = re.compile(r"^(\d)\.(\d+)$")
SCHEDULE_CODE = re.compile(r"^(\d)-(\d+)$")
KPI_CODE = re.compile(r"^\d\.\d+\.\d+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file, located in that file."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.message}"


class DataError(Exception):
    """The data files are malformed; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe YAML loader (libyaml when available: ~20× faster) that remembers the line of every mapping."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class PlanData:
    """The validated content of all data files, ready to be written to the database."""

    program: dict[str, Any]
    agencies: list[dict[str, Any]]
    industries: list[dict[str, Any]]
    budget: dict[str, Any]
    security_ratios: list[dict[str, Any]]
    content_hash: str
    agency_names: set[str] = field(default_factory=set)
    footnotes: list[dict[str, Any]] = field(default_factory=list)


class _Checker:
    """Collects problems while walking the files, so one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.file = ""

    def error(self, record: Any, message: str) -> None:
        line = record.get(LINE_KEY) if isinstance(record, dict) else None
        self.problems.append(Problem(self.file, line, message))

    def require(
        self, record: dict, key: str, kind: type | tuple[type, ...], where: str, *, empty_ok: bool = False
    ):
        if not isinstance(record, dict):
            self.error(record, f"{where}: expected a mapping")
            return None
        if key not in record:
            self.error(record, f"{where}: missing field '{key}'")
            return None
        value = record[key]
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(
                record, f"{where}: field '{key}' must be {names}, got {type(value).__name__} {value!r}"
            )
            return None
        if not empty_ok and isinstance(value, str | list) and not value:
            self.error(record, f"{where}: field '{key}' is empty")
            return None
        return value

    def optional_str(self, record: dict, key: str, where: str) -> str:
        value = record.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(record, f"{where}: field '{key}' must be a string, got {value!r}")
            return ""
        return value

    def line(self, record: dict, where: str) -> int | None:
        value = record.get("line")
        if not isinstance(value, int) or value < 1:
            self.error(
                record, f"{where}: 'line' must be the seed line number (a positive integer), got {value!r}"
            )
            return None
        return value


def _names(checker: _Checker, record: dict, key: str, where: str, *, required: bool = True) -> list[str]:
    value = record.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        checker.error(record, f"{where}: '{key}' must be a list of agency names, got {value!r}")
        return []
    return [normalize_agency_name(v) for v in value]


def normalize_agency_name(name: str) -> str:
    """``科技部 (工程司)`` → ``科技部(工程司)``: spaces and full-width parentheses normalised."""
    name = name.replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", name)


def _read_yaml(path: Path, checker: _Checker) -> Any:
    checker.file = str(path.relative_to(path.parents[3])) if len(path.parents) > 3 else str(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        checker.problems.append(
            Problem(checker.file, mark.line + 1 if mark else None, f"not valid YAML: {exc}")
        )
        return None


def read_plan_files(data_dir: Path = DATA_DIR) -> PlanData:
    """Read ``program.yaml``, ``kpis_N.yaml`` and ``schedules_N.yaml`` and check them thoroughly."""
    checker = _Checker()
    digest = hashlib.sha256()
    paths = [data_dir / "program.yaml"]
    for n in range(1, 7):
        paths += [data_dir / f"kpis_{n}.yaml", data_dir / f"schedules_{n}.yaml"]
    raw: dict[str, Any] = {}
    for path in paths:
        if not path.exists():
            checker.problems.append(Problem(str(path), None, "data file is missing"))
            continue
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        raw[path.name] = (_read_yaml(path, checker), checker.file)
    if checker.problems:
        raise DataError(checker.problems)

    doc, checker.file = raw["program.yaml"]
    program = _check_program(checker, doc)
    agencies = _check_agencies(checker, doc)
    industries = _check_industries(checker, doc)
    budget = _check_budget(checker, doc, {i["code"] for i in industries})
    ratios = _check_security_ratios(checker, doc)
    footnotes = check_footnotes(checker, doc)
    by_code = {i["code"]: i for i in industries}
    for n in range(1, 7):
        code = str(n)
        industry = by_code.get(code)
        if industry is None:
            continue
        schedules_doc, checker.file = raw[f"schedules_{n}.yaml"]
        industry["schedules"] = _check_schedules(checker, schedules_doc, code)
        kpis_doc, checker.file = raw[f"kpis_{n}.yaml"]
        _check_kpi_file(checker, kpis_doc, industry)
        _link_schedules(checker, industry)
    check_footnote_cells(checker, footnotes, industries)
    if checker.problems:
        raise DataError(checker.problems)
    names = set()
    for industry in industries:
        names.update(industry["lead_agencies"])
        for measure in industry["measures"]:
            names.update(measure["agencies"])
            for kpi in measure["kpis"]:
                names.update(kpi["agencies"] or [])
        for schedule in industry["schedules"]:
            names.update(schedule["heading_agencies"])
            for item in _work_items(schedule):
                names.update(item["lead"] + item["co"])
    return PlanData(program, agencies, industries, budget, ratios, digest.hexdigest(), names, footnotes)


def _work_items(schedule: dict) -> list[dict]:
    return [
        item
        for task in schedule["tasks"]
        for approach in task["approaches"]
        for item in approach["work_items"]
    ]


def _check_program(checker: _Checker, doc: Any) -> dict[str, Any]:
    record = checker.require(doc, "program", dict, "program.yaml") or {}
    program: dict[str, Any] = {}
    for key in ("name", "title", "revision_date", "source"):
        program[key] = checker.require(record, key, str, "program") or ""
    for key in ("start_year", "end_year", "revision"):
        program[key] = checker.require(record, key, int, "program")
    program["total_budget_text"] = checker.optional_str(record, "total_budget_text", "program")
    program["line"] = record.get("line")
    return program


def _check_agencies(checker: _Checker, doc: Any) -> list[dict[str, Any]]:
    agencies = []
    codes: Counter[str] = Counter()
    for record in checker.require(doc, "agencies", list, "program.yaml") or []:
        code = checker.require(record, "code", str, "agency")
        name = checker.require(record, "name", str, f"agency {code}")
        if code is None or name is None:
            continue
        if not re.fullmatch(r"[a-z][a-z0-9-]*", code):
            checker.error(record, f"agency {code}: code must be lower-case ASCII letters, digits and '-'")
        codes[code] += 1
        agencies.append(
            {
                "code": code,
                "name": normalize_agency_name(name),
                "full_name": record.get("full_name", ""),
                "core": bool(record.get("core", False)),
                "parent": record.get("parent"),
                "aliases": [normalize_agency_name(a) for a in record.get("aliases", [])],
                "line": record.get("line"),
            }
        )
    for code, count in codes.items():
        if count > 1:
            checker.error(doc, f"agency code {code} is listed {count} times")
    known = set(codes)
    for agency in agencies:
        if agency["parent"] and agency["parent"] not in known:
            checker.error(doc, f"agency {agency['code']}: unknown parent {agency['parent']}")
    return agencies


def _check_industries(checker: _Checker, doc: Any) -> list[dict[str, Any]]:
    industries = []
    for record in checker.require(doc, "industries", list, "program.yaml") or []:
        code = checker.require(record, "code", str, "industry")
        where = f"industry {code}"
        industry = {
            "code": code,
            "name": checker.require(record, "name", str, where),
            "vision": checker.require(record, "vision", str, where),
            "vision_line": record.get("vision_line"),
            "lead_agencies": _names(checker, record, "lead_agencies", where),
            "line": checker.line(record, where),
            "framework_strategies": [
                {k: v for k, v in s.items() if k != LINE_KEY} for s in record.get("framework_strategies", [])
            ],
            "sub_areas": [],
            "measures": [],
            "strategies": [],
            "schedules": [],
            "kpi_table_heading": "",
        }
        for sub in record.get("sub_areas", []):
            industry["sub_areas"].append(
                {
                    "code": checker.require(sub, "code", str, f"{where} sub-area"),
                    "name": checker.require(sub, "name", str, f"{where} sub-area"),
                    "vision": sub.get("vision", ""),
                    "lead_agencies": _names(checker, sub, "lead_agencies", f"{where} sub-area"),
                    "line": sub.get("line"),
                    "kpi_table_heading": "",
                }
            )
        industries.append(industry)
    codes = [i["code"] for i in industries]
    if codes != [str(n) for n in range(1, 7)]:
        checker.error(doc, f"industries must be codes 1..6 in order, got {codes}")
    return industries


def _check_budget(checker: _Checker, doc: Any, industry_codes: set[str]) -> dict[str, Any]:
    record = checker.require(doc, "budget", dict, "program.yaml") or {}
    cells, subtotals = [], []
    for row in record.get("rows", []):
        industry = str(row.get("industry"))
        if industry not in industry_codes:
            checker.error(row, f"budget row: unknown industry {industry!r}")
            continue
        for year in YEARS:
            try:
                cells.append(
                    {
                        "industry": industry,
                        "year": int(year),
                        "amount": _decimal(row[year]),
                        "line": row.get("line"),
                    }
                )
            except (KeyError, InvalidOperation):
                checker.error(
                    row, f"budget row {industry}: year {year} must be a number, got {row.get(year)!r}"
                )
        try:
            subtotals.append(
                {
                    "kind": "industry",
                    "industry": industry,
                    "year": None,
                    "amount": _decimal(row["subtotal"]),
                    "line": row.get("line"),
                }
            )
        except (KeyError, InvalidOperation):
            checker.error(row, f"budget row {industry}: subtotal must be a number")
    totals = record.get("totals") or {}
    for year in YEARS:
        try:
            subtotals.append(
                {
                    "kind": "year",
                    "industry": None,
                    "year": int(year),
                    "amount": _decimal(totals[year]),
                    "line": totals.get("line"),
                }
            )
        except (KeyError, InvalidOperation):
            checker.error(totals, f"budget totals: year {year} must be a number")
    try:
        subtotals.append(
            {
                "kind": "grand",
                "industry": None,
                "year": None,
                "amount": _decimal(totals["subtotal"]),
                "line": totals.get("line"),
            }
        )
    except (KeyError, InvalidOperation):
        checker.error(totals, "budget totals: subtotal must be a number")
    return {
        "unit": record.get("unit", "億元"),
        "line": record.get("line"),
        "cells": cells,
        "stated_totals": subtotals,
    }


def _check_security_ratios(checker: _Checker, doc: Any) -> list[dict[str, Any]]:
    section = doc.get("security_budget_ratios") or {}
    ratios = []
    for record in section.get("cells", []):
        try:
            percent = _decimal(record["percent"])
        except (KeyError, InvalidOperation):
            checker.error(record, "security ratio: percent must be a number")
            continue
        ratios.append(
            {
                "year": checker.require(record, "year", str, "security ratio"),
                "tier": checker.require(record, "tier", str, "security ratio"),
                "text": checker.require(record, "text", str, "security ratio"),
                "percent": percent,
                "basis": record.get("basis", ""),
                "line": record.get("line"),
            }
        )
    return ratios


def _check_schedules(checker: _Checker, doc: Any, industry: str) -> list[dict[str, Any]]:
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
            "heading_agencies": _names(checker, record, "heading_agencies", where),
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


def _check_task(checker: _Checker, record: dict, where: str) -> dict[str, Any]:
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


def _check_work_item(checker: _Checker, record: dict, where: str) -> dict[str, Any]:
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
        "lead": _names(checker, record, "lead", where),
        "co": _names(checker, record, "co", where, required=False),
        "line": checker.line(record, where),
        "notes": notes,
    }


def _check_kpi_file(checker: _Checker, doc: Any, industry: dict[str, Any]) -> None:
    code = industry["code"]
    if not isinstance(doc, dict) or str(doc.get("industry")) != code:
        checker.error(doc if isinstance(doc, dict) else {}, f'file must start with industry: "{code}"')
        return
    sub_areas = {s["code"]: s for s in industry["sub_areas"]}
    if sub_areas:
        for record in checker.require(doc, "sub_areas", list, "kpis") or []:
            sub = sub_areas.get(record.get("code"))
            if sub is None:
                checker.error(
                    record, f"unknown sub-area {record.get('code')!r}; expected one of {sorted(sub_areas)}"
                )
                continue
            sub["kpi_table_heading"] = checker.require(record, "table_heading", str, "sub-area") or ""
            sub["kpi_table_line"] = record.get("line")
    else:
        industry["kpi_table_heading"] = checker.require(doc, "table_heading", str, "kpis") or ""
        industry["kpi_table_line"] = doc.get("line")
    measure_codes: Counter[str] = Counter()
    kpi_lookup: dict[str, dict] = {}
    seqs: Counter[int] = Counter()
    for record in checker.require(doc, "strategies", list, "kpis") or []:
        seq = checker.require(record, "seq", int, "strategy")
        where = f"strategy {seq}"
        seqs[seq] += 1
        sub_area = record.get("sub_area")
        if sub_areas and sub_area not in sub_areas:
            checker.error(record, f"{where}: sub_area must be one of {sorted(sub_areas)}")
        strategy = {
            "seq": seq,
            "label": checker.optional_str(record, "label", where),
            "name": checker.require(record, "name", str, where),
            "sub_area": sub_area if sub_areas else None,
            "line": checker.line(record, where),
            "notes": checker.optional_str(record, "notes", where),
        }
        industry["strategies"].append(strategy)
        for m in checker.require(record, "measures", list, where) or []:
            measure = _check_measure(checker, m, code, strategy, kpi_lookup)
            if measure:
                measure_codes[measure["code"]] += 1
                industry["measures"].append(measure)
    for seq, count in seqs.items():
        if count > 1:
            checker.error(doc, f"strategy seq {seq} appears {count} times")
    for mcode, count in measure_codes.items():
        if count > 1:
            checker.error(doc, f"measure {mcode} appears {count} times")


def _check_measure(
    checker: _Checker, record: dict, industry: str, strategy: dict, kpi_lookup: dict
) -> dict | None:
    code = checker.require(record, "code", str, "measure")
    if code is None:
        return None
    where = f"measure {code}"
    match = MEASURE_CODE.match(code)
    if not match or match.group(1) != industry:
        checker.error(record, f"{where}: canonical code must look like {industry}.M")
    schedule = record.get("schedule")
    if schedule is not None and not isinstance(schedule, str):
        checker.error(record, f'{where}: schedule must be a quoted code like "{industry}-1" or null')
        schedule = None
    measure = {
        "code": code,
        "code_as_written": str(record.get("code_as_written") or code),
        "name": checker.require(record, "name", str, where),
        "agencies": _names(checker, record, "agencies", where),
        "schedule": schedule,
        "strategy_seq": strategy["seq"],
        "sub_area": strategy["sub_area"],
        "line": checker.line(record, where),
        "notes": checker.optional_str(record, "notes", where),
        "kpis": [],
        "_record": record,
    }
    for k in checker.require(record, "kpis", list, where) or []:
        kpi = _check_kpi(checker, k, where, kpi_lookup, code)
        if kpi:
            measure["kpis"].append(kpi)
    return measure


def _check_kpi(
    checker: _Checker, record: dict, where: str, kpi_lookup: dict, measure_code: str
) -> dict | None:
    code = checker.require(record, "code", str, f"{where} kpi")
    if code is None:
        return None
    where = f"kpi {code}"
    if not KPI_CODE.match(code):
        checker.error(record, f"{where}: code must look like N.M.K")
    overrides = _target_override(checker, record, where)
    full_term = checker.require(record, "full_term", str, where) or ""
    kpi = {
        "code": code,
        "line": checker.line(record, where),
        "extra_lines": [int(x) for x in record.get("extra_lines") or [] if isinstance(x, int)],
        "agencies": _names(checker, record, "agencies", where, required=False) or None,
        "full_term": {"text": full_term, **_target(full_term, "full_term", overrides)},
        "annual": {},
        "notes": checker.optional_str(record, "notes", where),
    }
    annual = checker.require(record, "annual", dict, where) or {}
    keys = sorted(k for k in annual if k != LINE_KEY)
    if keys != list(YEARS):
        checker.error(
            record, f"{where}: annual must have exactly the years {', '.join(YEARS)} (quoted), got {keys}"
        )
    for year in YEARS:
        value = annual.get(year)
        if isinstance(value, dict):
            carrier_code = value.get("merged_with")
            carrier_measure, carrier = kpi_lookup.get(carrier_code, (None, None))
            if carrier is None or year not in carrier["annual"]:
                checker.error(
                    record,
                    f"{where}: annual {year} merged_with {carrier_code!r}, which is not an earlier KPI of this file",
                )
                continue
            cell = carrier["annual"][year]
            cell["merged"] = True
            kpi["annual"][year] = {
                "text": cell["text"],
                "merged": True,
                **_target(cell["text"], "annual", overrides, year),
                "merged_with": carrier_code,
                "merged_with_measure": carrier_measure,
            }
        elif isinstance(value, str):
            kpi["annual"][year] = {
                "text": value,
                "merged": False,
                "merged_with": None,
                **_target(value, "annual", overrides, year),
            }
        elif value is not None or year in annual:
            checker.error(
                record,
                f"{where}: annual {year} must be a quoted string or {{merged_with: CODE}}, got {value!r}",
            )
    for year, cell in kpi["annual"].items():
        if cell.get("part_error"):
            checker.error(record, f"{where}: targets.{year}: {cell.pop('part_error')}")
    read_row(kpi)
    # Merged cells span adjacent rows, so a code printed twice (6.2.2) means its nearest earlier row.
    kpi_lookup[code] = (measure_code, kpi)
    return kpi


def _link_schedules(checker: _Checker, industry: dict[str, Any]) -> None:
    """Measures name their schedule table; schedule tables list their measures: both must agree."""
    schedules = {s["code"]: s for s in industry["schedules"]}
    measures = {m["code"]: m for m in industry["measures"]}
    for measure in industry["measures"]:
        code = measure["schedule"]
        if code is not None and code not in schedules:
            checker.error(measure["_record"], f"measure {measure['code']}: schedule {code} does not exist")
        elif code is not None and measure["code"] not in schedules[code]["measures"]:
            checker.error(
                measure["_record"],
                f"measure {measure['code']} names schedule {code}, but schedule {code} lists measures {schedules[code]['measures']}",
            )
    for schedule in industry["schedules"]:
        for mcode in schedule["measures"]:
            measure = measures.get(mcode)
            if measure is None:
                checker.problems.append(
                    Problem(checker.file, None, f"schedule {schedule['code']}: unknown measure {mcode}")
                )
            elif measure["schedule"] != schedule["code"]:
                checker.problems.append(
                    Problem(
                        checker.file,
                        None,
                        f"schedule {schedule['code']} lists measure {mcode}, which names schedule {measure['schedule']}",
                    )
                )
    for measure in industry["measures"]:
        measure.pop("_record", None)
