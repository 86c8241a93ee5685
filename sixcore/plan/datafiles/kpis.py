"""Validation of kpis_N.yaml: strategies, measures and KPIs with their quantified targets (merged cells
resolved to the KPI that carries them), then the links between measures and schedule tables.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..overrides import LINE_KEY, YEARS, _target, _target_override
from ..reading import read_row
from .checker import Checker, Problem, agency_names

MEASURE_CODE = re.compile(r"^(\d)\.(\d+)$")
KPI_CODE = re.compile(r"^\d\.\d+\.\d+$")


def check_kpi_file(checker: Checker, doc: Any, industry: dict[str, Any]) -> None:
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
    checker: Checker, record: dict, industry: str, strategy: dict, kpi_lookup: dict
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
        "agencies": agency_names(checker, record, "agencies", where),
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
    checker: Checker, record: dict, where: str, kpi_lookup: dict, measure_code: str
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
        "agencies": agency_names(checker, record, "agencies", where, required=False) or None,
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


def link_schedules(checker: Checker, industry: dict[str, Any]) -> None:
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
