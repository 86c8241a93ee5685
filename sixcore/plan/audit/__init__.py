"""Consistency audit of the program as the document states it (``sixcore plan audit``).

Pure: it reads the dict produced by ``export.export_program`` and returns findings; no ORM inside.
The document contradicts itself in places; the data keeps what it says and this audit reports it.
Findings are data — the audit "passes" whenever it runs.

A package by family of checks: ``report`` (severities, ``Finding``, ``AuditReport``, ``check``),
``targets`` (the targets' figures and cells), ``consistency`` (codes, 表 3 sums, numbering, coverage,
periods, agencies, texts) and ``reading`` (how the data reads the document, #19). ``audit_program`` runs
them in one fixed order, the order of ``CHECKS`` (and of ``sixcore plan audit --list-checks``).
"""

from __future__ import annotations

from typing import Any

from . import consistency, reading, targets
from .report import ERROR, INFO, SEVERITY_ORDER, WARNING, YEARS, AuditReport, Finding, check

__all__ = [
    "audit_program",
    "AuditReport",
    "check",
    "CHECKS",
    "ERROR",
    "Finding",
    "INFO",
    "SEVERITY_ORDER",
    "WARNING",
    "YEARS",
]

CHECK_FUNCTIONS = [*targets.FIGURE_CHECKS, *consistency.CHECKS, *targets.CELL_CHECKS, *reading.READING_CHECKS]
# Each check documents itself: (name, what it looks for).
CHECKS: dict[str, str] = {fn.check_name: fn.check_description for fn in CHECK_FUNCTIONS}


def audit_program(data: dict[str, Any]) -> AuditReport:
    """Run every check over an exported program revision."""
    report = AuditReport()
    for fn in CHECK_FUNCTIONS:
        fn(data, report)
    return report
