"""What an import reports: the rejected rows (``file:row: reason``), the counts and the batch written;
``ImportFailed`` carries it when the caller asks for an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext

if TYPE_CHECKING:
    from ..models import ImportBatch


@dataclass(frozen=True)
class RowError:
    """A rejected row: where and why."""

    file: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason}"


@dataclass
class ImportResult:
    """What an import did (or, with errors, would not do)."""

    file: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    batch: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFailed(Exception):
    """Raised by :func:`import_file` with ``raise_on_error``; nothing was written."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        super().__init__(
            gettext("%(count)s bad row(s) in %(file)s; nothing was imported")
            % {"count": len(result.errors), "file": result.file}
        )
