"""What every part of the validation shares: ``Problem`` and ``DataError`` (what the caller sees), the
``Checker`` that collects problems so one run reports all of them, and agency-name normalisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..overrides import LINE_KEY


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


class Checker:
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


def agency_names(checker: Checker, record: dict, key: str, where: str, *, required: bool = True) -> list[str]:
    """A field's list of agency names, normalised; a problem (and no names) if it is not one."""
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
