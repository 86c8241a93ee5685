"""A dataset's table: name, description, columns with descriptions, rows of flat cells. Shared by the
datasets that build tables and the writers that render them; pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass
class Table:
    name: str
    description: str
    columns: list[tuple[str, str]]  # (name, description)
    rows: list[list[Any]]

    @property
    def header(self) -> list[str]:
        return [c for c, _ in self.columns]


def flat(value: Any) -> Any:
    """A cell as the formats hold it: lists joined with 、, dicts as JSON, dates as ISO text."""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def table_of(name: str, description: str, columns: list[tuple[str, str]], records: list[dict]) -> Table:
    """A table of ``records`` (dicts), one column per named key, cells flattened."""
    keys = [c for c, _ in columns]
    return Table(name, description, columns, [[flat(r.get(k)) for k in keys] for r in records])
