"""Validation of program.yaml: the program, the agency register, the industries with their sub-areas,
表 3 (the budget and its stated totals) and 表 2 (the security-budget ratios).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import InvalidOperation
from typing import Any

from ..overrides import LINE_KEY, YEARS, _decimal
from .checker import Checker, agency_names, normalize_agency_name


def check_program(checker: Checker, doc: Any) -> dict[str, Any]:
    record = checker.require(doc, "program", dict, "program.yaml") or {}
    program: dict[str, Any] = {}
    for key in ("name", "title", "revision_date", "source"):
        program[key] = checker.require(record, key, str, "program") or ""
    for key in ("start_year", "end_year", "revision"):
        program[key] = checker.require(record, key, int, "program")
    program["total_budget_text"] = checker.optional_str(record, "total_budget_text", "program")
    program["line"] = record.get("line")
    return program


def check_agencies(checker: Checker, doc: Any) -> list[dict[str, Any]]:
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


def check_industries(checker: Checker, doc: Any) -> list[dict[str, Any]]:
    industries = []
    for record in checker.require(doc, "industries", list, "program.yaml") or []:
        code = checker.require(record, "code", str, "industry")
        where = f"industry {code}"
        industry = {
            "code": code,
            "name": checker.require(record, "name", str, where),
            "vision": checker.require(record, "vision", str, where),
            "vision_line": record.get("vision_line"),
            "lead_agencies": agency_names(checker, record, "lead_agencies", where),
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
                    "lead_agencies": agency_names(checker, sub, "lead_agencies", f"{where} sub-area"),
                    "line": sub.get("line"),
                    "kpi_table_heading": "",
                }
            )
        industries.append(industry)
    codes = [i["code"] for i in industries]
    if codes != [str(n) for n in range(1, 7)]:
        checker.error(doc, f"industries must be codes 1..6 in order, got {codes}")
    return industries


def check_budget(checker: Checker, doc: Any, industry_codes: set[str]) -> dict[str, Any]:
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


def check_security_ratios(checker: Checker, doc: Any) -> list[dict[str, Any]]:
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
