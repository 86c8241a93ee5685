"""Audit checks of the KPI targets' figures: the full-term target against the annual ones, per-year sums,
cumulative targets that fall; and of the target cells: due after the program, merged, not quantified.

Pure, over ``export.export_program``'s dict. Two lists because ``audit_program`` runs them in the order
the checks were written (figures first, the cells after the document-consistency checks).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from .report import INFO, WARNING, YEARS, AuditReport, check


def _fmt(target: dict[str, Any] | None) -> str:
    if not target:
        return "—"
    if target.get("value") is not None:
        number = f"{target['value']:g}"
    elif target.get("min") is not None and target.get("max") is not None:
        number = f"{target['min']:g}~{target['max']:g}"
    elif target.get("min") is not None:
        number = f"≥{target['min']:g}"
    else:
        return target.get("kind", "milestone")
    return f"{number} {target.get('unit', '')}".strip()


def _figure(target: dict[str, Any]) -> tuple:
    """The figure a target states: its value, or its range for "2~3" (``至少 2`` states 2)."""
    if target.get("value") is not None:
        return (target["value"],)
    return (target.get("min"), target.get("max"))


def _quantified(target: dict[str, Any] | None) -> bool:
    return (
        bool(target)
        and target.get("kind") != "milestone"
        and (target.get("value") is not None or target.get("min") is not None)
    )


def _annual_targets(kpi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (y, kpi["annual"][y]["target"]) for y in YEARS if y in kpi["annual"] and kpi["annual"][y]["target"]
    ]


@check("full_term_vs_final_annual", "The full-term target differs from the last cumulative annual target.")
def _full_term_vs_final(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        full = kpi["full_term"]["target"]
        annual = _annual_targets(kpi)
        if not _quantified(full) or not annual:
            continue
        year, last = annual[-1]
        if last.get("kind") != "cumulative" or not _quantified(last):
            continue
        if _figure(full) == _figure(last) and full.get("unit") != last.get("unit"):
            report.add(
                "full_term_vs_final_annual",
                INFO,
                [kpi["code"]],
                f"KPI {kpi['code']}: full-term target {_fmt(full)} and {year} target {_fmt(last)} differ in unit only",
                kpi["line"],
            )
        elif _figure(full) != _figure(last):
            report.add(
                "full_term_vs_final_annual",
                WARNING,
                [kpi["code"]],
                f"KPI {kpi['code']}: full-term target {_fmt(full)} but the {year} cumulative target is {_fmt(last)} "
                f"(全期目標「{kpi['full_term']['text']}」; {year}「{kpi['annual'][year]['text']}」)",
                kpi["line"],
            )


@check(
    "per_year_sum",
    "Per-year annual targets whose sum disagrees with the cumulative full-term target, or "
    "per-year targets that differ from a per-year full-term target.",
)
def _per_year_sum(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        full = kpi["full_term"]["target"]
        annual = _annual_targets(kpi)
        # Cumulative figures are totals already, and a level is never summed.
        if (
            not _quantified(full)
            or not annual
            or full.get("kind") == "level"
            or any(t.get("kind") in ("cumulative", "level") for _, t in annual)
        ):
            continue
        if not all(
            _quantified(t) and t.get("unit") == full.get("unit") and t.get("value") is not None
            for _, t in annual
        ):
            continue
        values = [Decimal(str(t["value"])) for _, t in annual]
        if full.get("kind") == "per_period":
            odd = [
                (y, t)
                for y, t in annual
                if Decimal(str(t["value"])) != Decimal(str(full.get("value") or full.get("min")))
            ]
            if odd and full.get("value") is not None:
                report.add(
                    "per_year_sum",
                    WARNING,
                    [kpi["code"]],
                    f"KPI {kpi['code']}: per-year full-term target {_fmt(full)} but "
                    + ", ".join(f"{y}: {_fmt(t)}" for y, t in odd),
                    kpi["line"],
                )
            continue
        total = sum(values)
        expected = full.get("value")
        low, high = full.get("min"), full.get("max")
        consistent = (expected is not None and total == Decimal(str(expected))) or (
            expected is None
            and low is not None
            and total >= Decimal(str(low))
            and (high is None or total <= Decimal(str(high)))
        )
        rising_to_full = (
            values == sorted(values) and expected is not None and values[-1] == Decimal(str(expected))
        )
        if not consistent and rising_to_full:
            # "推動 1 家 … 1 家 … 1 家" or "2, 4, 7, 10 家次": worded per year but read as a running total.
            report.add(
                "per_year_sum",
                INFO,
                [kpi["code"]],
                f"KPI {kpi['code']}: annual targets {' / '.join(f'{v:g}' for v in values)} {full.get('unit', '')} end at the "
                f"full-term {_fmt(full)}: probably cumulative although not worded 累計 (evaluated per year as written)",
                kpi["line"],
            )
        elif not consistent:
            report.add(
                "per_year_sum",
                WARNING,
                [kpi["code"]],
                f"KPI {kpi['code']}: annual targets add up to {total:g} {full.get('unit', '')} "
                f"({' + '.join(f'{v:g}' for v in values)}) but the full-term target is {_fmt(full)}",
                kpi["line"],
            )


@check("cumulative_decreasing", "A cumulative annual target lower than an earlier year's cumulative target.")
def _cumulative_decreasing(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        previous: tuple[str, dict] | None = None
        for year, target in _annual_targets(kpi):
            if target.get("kind") != "cumulative" or not _quantified(target):
                continue
            if previous and previous[1].get("unit") == target.get("unit"):
                before = previous[1].get("value") or previous[1].get("min")
                now = target.get("value") or target.get("min")
                if before is not None and now is not None and now < before:
                    report.add(
                        "cumulative_decreasing",
                        WARNING,
                        [kpi["code"]],
                        f"KPI {kpi['code']}: cumulative target falls from {_fmt(previous[1])} in {previous[0]} "
                        f"to {_fmt(target)} in {year}",
                        kpi["line"],
                    )
            previous = (year, target)


@check("target_after_program", "Full-term targets due after 113 (the program's last year).")
def _target_after(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        target = kpi["full_term"]["target"] or {}
        if target.get("by_year") and target["by_year"] > 113:
            report.add(
                "target_after_program",
                INFO,
                [kpi["code"]],
                f"KPI {kpi['code']}: full-term target due in {target['by_year']}, after the program ends "
                f"(「{kpi['full_term']['text']}」)",
                kpi["line"],
            )


@check("merged_cells", "Annual-target cells printed once for several KPIs (merged cells).")
def _merged(data: dict, report: AuditReport) -> None:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for kpi in data["kpis"]:
        for year, cell in kpi["annual"].items():
            if cell["merged_with"]:
                groups[(cell["merged_with"], year)].append(kpi["code"])
    spans: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for (carrier, year), followers in groups.items():
        spans[(carrier, *followers)].append(year)
    lines = {k["code"]: k["line"] for k in data["kpis"]}
    for codes, years in sorted(spans.items()):
        report.add(
            "merged_cells",
            INFO,
            list(codes),
            f"annual targets of {', '.join(codes)} share one cell ({', '.join(sorted(years))}); "
            "each KPI is quantified on its part where the data names one (shared_cell_part)",
            lines.get(codes[0]),
        )


@check(
    "unquantified_target",
    "Target texts the parser could not quantify (evaluated as milestones), with the coverage figure.",
)
def _unquantified(data: dict, report: AuditReport) -> None:
    total = quantified = 0
    for kpi in data["kpis"]:
        cells = [("全期目標", kpi["full_term"])] + [
            (y, kpi["annual"][y]) for y in YEARS if y in kpi["annual"]
        ]
        for label, cell in cells:
            if cell["target"] is None:
                continue  # "-" or empty: no target that year
            total += 1
            if _quantified(cell["target"]):
                quantified += 1
            elif label == "全期目標":
                report.add(
                    "unquantified_target",
                    INFO,
                    [kpi["code"]],
                    f"KPI {kpi['code']} full-term target is a milestone (no count to evaluate): 「{cell['text']}」",
                    kpi["line"],
                )
    report.quantified_share = quantified / total if total else 0.0
    report.add(
        "unquantified_target",
        INFO,
        [],
        f"quantified targets: {quantified} of {total} target cells ({report.quantified_share:.1%}); "
        "the rest are milestones",
    )


FIGURE_CHECKS = [_full_term_vs_final, _per_year_sum, _cumulative_decreasing]
CELL_CHECKS = [_target_after, _merged, _unquantified]
