"""How a KPI's targets changed across the revisions in force: the steps of its target chart."""

from __future__ import annotations

from typing import Any, NamedTuple

from sixcore.core.roc import format_quarter
from sixcore.plan import models as plan
from sixcore.plan.models import programs_in_force


class TargetStep(NamedTuple):
    """From ``effective_from`` (``112Q1``; the program's first quarter for revision 0), revision
    ``revision`` sets the KPI's annual targets ``annual`` = {year: {"text", "target"}}."""

    effective_from: str
    revision: int
    annual: dict[int, dict[str, Any]]


def target_history(kpi_measure_code: str, kpi_code: str) -> list[TargetStep]:
    """The KPI's annual targets in revision 0 and in every approved revision that changed them, oldest
    first. Drafts and rejected proposals never appear. Two queries."""
    programs = {p.pk: p for p in programs_in_force().order_by("revision")}
    by_program: dict[int, dict[int, dict[str, Any]]] = {}
    for a in (
        plan.AnnualTarget.objects.filter(
            kpi__measure__industry__program__in=list(programs),
            kpi__measure__code=kpi_measure_code,
            kpi__code=kpi_code,
        )
        .order_by("year")
        .values("year", "target", "cell__text", "kpi__measure__industry__program_id")
    ):
        by_program.setdefault(a["kpi__measure__industry__program_id"], {})[a["year"]] = {
            "text": a["cell__text"],
            "target": a["target"],
        }
    steps: list[TargetStep] = []
    for pk, program in programs.items():
        annual = by_program.get(pk)
        if annual is None or (steps and steps[-1].annual == annual):
            continue
        start = program.effective_from or format_quarter(program.start_year, 1)
        steps.append(TargetStep(start, program.revision, annual))
    return steps


def target_value(target: dict[str, Any] | None) -> float | None:
    """The number a quantified target aims at (its value, else its minimum), for charts."""
    if not target:
        return None
    for key in ("value", "min", "max"):
        if target.get(key) is not None:
            return float(target[key])
    return None


def target_chart(steps: list[TargetStep], start_year: int, end_year: int) -> dict[str, Any]:
    """Quarter by quarter, the year's target in force: a step wherever a revision changed it."""
    from sixcore.core.roc import parse_quarter

    quarters, values, revisions = [], [], []
    for year in range(start_year, end_year + 1):
        for quarter in range(1, 5):
            in_force = None
            for step in steps:
                if parse_quarter(step.effective_from) <= (year, quarter):
                    in_force = step
            quarters.append(format_quarter(year, quarter))
            annual = (in_force.annual.get(year) or {}) if in_force else {}
            values.append(target_value(annual.get("target")))
            revisions.append(in_force.revision if in_force else None)
    return {
        "quarters": quarters,
        "values": values,
        "revisions": revisions,
        "marks": [{"quarter": s.effective_from, "revision": s.revision} for s in steps[1:]],
    }
