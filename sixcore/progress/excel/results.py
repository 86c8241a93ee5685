"""What an import answers: the problems at a sheet and cell, the submissions changed or unchanged.

Kept apart from the reading and applying code because the views, the API and the follow-ups sheet build
and read these objects too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sixcore.accounts.models import Agency

from ..models import ReportingPeriod
from .layout import MAX_PROBLEMS


@dataclass
class Problem:
    """One reason the upload was refused, at a sheet and cell (cell empty for file-level problems)."""

    sheet: str
    cell: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"sheet": self.sheet, "cell": self.cell, "message": self.message}


@dataclass
class SubmissionOutcome:
    submission_id: int
    industry: str
    industry_name: str
    fields_changed: int
    version_before: int
    version_after: int


@dataclass
class ImportResult:
    """``ok`` when everything was valid (and written); otherwise ``problems`` and nothing was written."""

    problems: list[Problem] = field(default_factory=list)
    changed: list[SubmissionOutcome] = field(default_factory=list)
    unchanged: list[SubmissionOutcome] = field(default_factory=list)
    period: ReportingPeriod | None = None
    agency: Agency | None = None
    truncated: int = 0  # problems left off the list beyond MAX_PROBLEMS

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_by_sheet(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = defaultdict(list)
        for problem in self.problems:
            grouped[problem.sheet].append(problem)
        return dict(grouped)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, sheet: Any, cell: str, message: Any) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(str(sheet), cell, str(message)))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)
