"""What the audit reports and how a check is declared: severities, ``Finding``, ``AuditReport``, ``check``.

Its own module so that every family of checks (``targets``, ``consistency``, ``reading``) imports the same
report without importing the package that runs them all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
YEARS = ("110", "111", "112", "113")


@dataclass(frozen=True)
class Finding:
    """One observation about the data: which check, how serious, about what, where in the seed."""

    check: str
    severity: str
    refs: list[str]
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    quantified_share: float = 0.0
    reading: dict[str, Any] = field(default_factory=dict)  # the coverage figures of reading.py

    def add(self, check: str, severity: str, refs: list[str], message: str, line: int | None = None) -> None:
        self.findings.append(Finding(check, severity, refs, message, line))

    def counts(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in (ERROR, WARNING, INFO)}

    def by_check(self) -> dict[str, int]:
        return dict(sorted(Counter(f.check for f in self.findings).items()))

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.check, f.line or 0, f.refs))


def check(name: str, description: str):
    """Name a check and say what it looks for (shown by ``sixcore plan audit --list-checks``)."""

    def register(fn):
        fn.check_name = name
        fn.check_description = description
        return fn

    return register
