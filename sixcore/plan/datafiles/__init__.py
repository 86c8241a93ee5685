"""Read and validate the plan data files (docs/DATA_FORMAT.md) into plain Python values.

No ORM here: ``read_plan_files`` returns a ``PlanData`` of plain dicts and lists, or raises ``DataError``
listing every problem as ``file:line: message`` (the YAML file's line, so it can be fixed at once).
The database step lives in ``loader/``.

A package by file: ``checker`` (the problem collector and the agency names), ``program`` (program.yaml:
program, agencies, industries, budget, security ratios), ``schedules`` (schedules_N.yaml) and ``kpis``
(kpis_N.yaml, and the links between measures and schedule tables). This module reads the YAML with line
numbers and runs them in order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..notes import check_footnote_cells, check_footnotes
from ..overrides import LINE_KEY
from ..overrides import quantify as quantify  # part of this package's interface (revisions)
from .checker import Checker, DataError, Problem, normalize_agency_name
from .kpis import check_kpi_file, link_schedules
from .program import check_agencies, check_budget, check_industries, check_program, check_security_ratios
from .schedules import check_schedules

__all__ = [
    "DATA_DIR",
    "DataError",
    "normalize_agency_name",
    "PlanData",
    "Problem",
    "quantify",
    "read_plan_files",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


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


def _read_yaml(path: Path, checker: Checker) -> Any:
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
    checker = Checker()
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
    program = check_program(checker, doc)
    agencies = check_agencies(checker, doc)
    industries = check_industries(checker, doc)
    budget = check_budget(checker, doc, {i["code"] for i in industries})
    ratios = check_security_ratios(checker, doc)
    footnotes = check_footnotes(checker, doc)
    by_code = {i["code"]: i for i in industries}
    for n in range(1, 7):
        code = str(n)
        industry = by_code.get(code)
        if industry is None:
            continue
        schedules_doc, checker.file = raw[f"schedules_{n}.yaml"]
        industry["schedules"] = check_schedules(checker, schedules_doc, code)
        kpis_doc, checker.file = raw[f"kpis_{n}.yaml"]
        check_kpi_file(checker, kpis_doc, industry)
        link_schedules(checker, industry)
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
