"""Consistency audit of the program as the document states it (``sixcore plan audit``).

Pure: it reads the dict produced by ``export.export_program`` and returns findings; no ORM inside.
The document contradicts itself in places; the data keeps what it says and this audit reports it.
Findings are data — the audit "passes" whenever it runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
YEARS = ("110", "111", "112", "113")
PROGRAM_START, PROGRAM_END = "2021-01", "2024-12"
# Budget cells have two decimals; a stated subtotal within half a cent of the sum is consistent.
BUDGET_TOLERANCE = Decimal("0.005")


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
    reading: dict[str, Any] = field(default_factory=dict)  # audit_reading's coverage figures

    def add(self, check: str, severity: str, refs: list[str], message: str, line: int | None = None) -> None:
        self.findings.append(Finding(check, severity, refs, message, line))

    def counts(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in (ERROR, WARNING, INFO)}

    def by_check(self) -> dict[str, int]:
        return dict(sorted(Counter(f.check for f in self.findings).items()))

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.check, f.line or 0, f.refs))


# Each check documents itself: (name, what it looks for). Shown by `sixcore plan audit --list-checks`.
CHECKS: dict[str, str] = {}


def check(name: str, description: str):
    def register(fn):
        CHECKS[name] = description
        fn.check_name = name
        return fn

    return register


def audit_program(data: dict[str, Any]) -> AuditReport:
    """Run every check over an exported program revision."""
    report = AuditReport()
    for fn in _CHECK_FUNCTIONS:
        fn(data, report)
    return report


def _amount(value: Any) -> Decimal:
    return Decimal(str(value))


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


@check(
    "kpi_outside_measure", "A KPI whose code does not start with its measure's code (e.g. 6.2.2 under 6.1)."
)
def _kpi_outside_measure(data: dict, report: AuditReport) -> None:
    for kpi in data["kpis"]:
        if not kpi["code"].startswith(kpi["measure"] + "."):
            report.add(
                "kpi_outside_measure",
                WARNING,
                [kpi["code"], kpi["measure"]],
                f"KPI {kpi['code']} is listed under measure {kpi['measure']}",
                kpi["line"],
            )


@check(
    "duplicate_code",
    "A KPI code printed more than once, or a work-item code repeated within a schedule table.",
)
def _duplicate_codes(data: dict, report: AuditReport) -> None:
    kpi_rows: dict[str, list[dict]] = defaultdict(list)
    for kpi in data["kpis"]:
        kpi_rows[kpi["code"]].append(kpi)
    for code, rows in kpi_rows.items():
        if len(rows) > 1:
            report.add(
                "duplicate_code",
                WARNING,
                [code],
                f"KPI code {code} appears {len(rows)} times (under measures {', '.join(r['measure'] for r in rows)})",
                rows[1]["line"],
            )
    items: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for item in data["work_items"]:
        items[(item["schedule"], item["code"])].append(item)
    for (schedule, code), rows in items.items():
        if len(rows) > 1:
            report.add(
                "duplicate_code",
                WARNING,
                [f"{schedule}/{code}"],
                f"work item {code} appears {len(rows)} times in schedule table {schedule}",
                rows[1]["line"],
            )
    report.add(
        "duplicate_code",
        INFO,
        [],
        f"{len(data['kpis'])} KPI rows, {len(kpi_rows)} distinct KPI codes",
    )


@check("budget_sums", "表 3 row and column sums compared with the stated 小計.")
def _budget_sums(data: dict, report: AuditReport) -> None:
    rows: dict[str, Decimal] = defaultdict(Decimal)
    columns: dict[int, Decimal] = defaultdict(Decimal)
    for cell in data["budget"]:
        rows[cell["industry"]] += _amount(cell["amount"])
        columns[cell["year"]] += _amount(cell["amount"])
    grand = sum(rows.values(), Decimal(0))
    checked = 0
    for stated in data["budget_stated_totals"]:
        if stated["kind"] == "industry":
            computed, label = rows[stated["industry"]], f"industry {stated['industry']} row"
            ref = f"budget/{stated['industry']}"
        elif stated["kind"] == "year":
            computed, label = columns[stated["year"]], f"year {stated['year']} column"
            ref = f"budget/{stated['year']}"
        else:
            computed, label, ref = grand, "grand total", "budget/total"
        checked += 1
        if abs(computed - _amount(stated["amount"])) > BUDGET_TOLERANCE:
            report.add(
                "budget_sums",
                ERROR,
                [ref],
                f"表 3 {label}: cells add up to {computed} 億元 but the stated 小計 is {stated['amount']} 億元",
                stated["line"],
            )
    stated_grand = [t for t in data["budget_stated_totals"] if t["kind"] == "grand"]
    report.add(
        "budget_sums",
        INFO,
        ["budget/total"],
        f"表 3: {checked} stated subtotals checked; cells add up to {grand} 億元"
        + (f", stated {stated_grand[0]['amount']} 億元" if stated_grand else ""),
        stated_grand[0]["line"] if stated_grand else None,
    )


@check(
    "numbering_mismatch",
    "Measures whose KPI-table number (N.M) differs from their schedule table's (N-M), "
    "and codes printed in another notation.",
)
def _numbering(data: dict, report: AuditReport) -> None:
    for measure in data["measures"]:
        schedule = measure["schedule_code"]
        if schedule and schedule.replace("-", ".") != measure["code"]:
            report.add(
                "numbering_mismatch",
                WARNING,
                [measure["code"], schedule],
                f"measure {measure['code']} 「{measure['name']}」 is covered by schedule table {schedule} "
                "(the two numberings differ; linked by title)",
                measure["line"],
            )
        if measure["code_as_written"] != measure["code"]:
            report.add(
                "numbering_mismatch",
                INFO,
                [measure["code"]],
                f"measure {measure['code']} is printed as 「{measure['code_as_written']}」",
                measure["line"],
            )


@check(
    "schedule_coverage",
    "Measures without a schedule table, schedule tables without a measure, and tables "
    "covering several measures.",
)
def _schedule_coverage(data: dict, report: AuditReport) -> None:
    for measure in data["measures"]:
        if not measure["schedule_code"]:
            report.add(
                "schedule_coverage",
                WARNING,
                [measure["code"]],
                f"measure {measure['code']} 「{measure['name']}」 has KPIs but no 辦理重點及期程表",
                measure["line"],
            )
    for schedule in data["schedules"]:
        if not schedule["measures"]:
            report.add(
                "schedule_coverage",
                WARNING,
                [schedule["code"]],
                f"schedule table {schedule['code']} 「{schedule['title']}」 covers no measure of the KPI table",
                schedule["line"],
            )
        elif len(schedule["measures"]) > 1:
            report.add(
                "schedule_coverage",
                INFO,
                [schedule["code"], *schedule["measures"]],
                f"schedule table {schedule['code']} covers measures {', '.join(schedule['measures'])}",
                schedule["line"],
            )


@check("period_outside_program", "Work items that start before 110/1 or end after 113/12.")
def _period_outside(data: dict, report: AuditReport) -> None:
    for item in data["work_items"]:
        ref = f"{item['schedule']}/{item['code']}"
        if item["start"] and item["start"] < PROGRAM_START:
            report.add(
                "period_outside_program",
                INFO,
                [ref],
                f"work item {ref} starts {item['start']}, before the program (起訖時程「{item['period']}」)",
                item["line"],
            )
        if item["end"] and item["end"] > PROGRAM_END:
            report.add(
                "period_outside_program",
                INFO,
                [ref],
                f"work item {ref} ends {item['end']}, after the program (起訖時程「{item['period']}」)",
                item["line"],
            )


@check("period_unparsed", "Work items whose 起訖時程 is missing or could not be read as dates.")
def _period_unparsed(data: dict, report: AuditReport) -> None:
    for item in data["work_items"]:
        ref = f"{item['schedule']}/{item['code']}"
        if not item["period"].strip():
            report.add("period_unparsed", INFO, [ref], f"work item {ref} has no 起訖時程", item["line"])
        elif not item["start"]:
            report.add(
                "period_unparsed",
                WARNING,
                [ref],
                f"work item {ref}: 起訖時程「{item['period']}」 could not be read as dates",
                item["line"],
            )


@check("unknown_agency", "Agency names used by the data that are not in the agency register.")
def _unknown_agency(data: dict, report: AuditReport) -> None:
    for agency in data["agencies"]:
        if not agency["recognized"]:
            report.add(
                "unknown_agency",
                WARNING,
                [agency["code"]],
                f"agency 「{agency['name']}」 is not in the agency register (kept as written)",
            )


@check(
    "agency_mismatch", "A measure's agencies (KPI table) differ from its schedule table's heading agencies."
)
def _agency_mismatch(data: dict, report: AuditReport) -> None:
    schedules = {s["code"]: s for s in data["schedules"]}
    for measure in data["measures"]:
        schedule = schedules.get(measure["schedule_code"] or "")
        if not schedule:
            continue
        if set(measure["agencies"]) != set(schedule["heading_agencies"]):
            report.add(
                "agency_mismatch",
                INFO,
                [measure["code"], schedule["code"]],
                f"measure {measure['code']} lists {'、'.join(measure['agencies'])} but schedule table "
                f"{schedule['code']} is headed {'、'.join(schedule['heading_agencies'])}",
                measure["line"],
            )


@check("vision_mismatch", "An industry's vision (貳、二) worded differently in its KPI-table heading.")
def _vision_mismatch(data: dict, report: AuditReport) -> None:
    for industry in data["industries"]:
        # Industry 4 states its vision per sub-area: compare each part with its own heading.
        pairs = [(s["vision"], s["kpi_table_heading"]) for s in industry["sub_areas"]] or [
            (industry["vision"].rstrip("。"), industry["kpi_table_heading"])
        ]
        for vision, heading in pairs:
            if vision and heading and vision not in heading:
                report.add(
                    "vision_mismatch",
                    INFO,
                    [industry["code"]],
                    f"industry {industry['code']}: vision 「{vision}」 but the 預期效益 heading reads 「{heading}」",
                    industry["vision_line"],
                )


@check(
    "missing_text",
    "Tasks, approaches or work items whose text is missing from the document (lost in conversion).",
)
def _missing_text(data: dict, report: AuditReport) -> None:
    for task in data["tasks"]:
        if len(task["title"]) < 2:
            report.add(
                "missing_text",
                WARNING,
                [f"{task['schedule']}/{task['seq']}"],
                f"schedule {task['schedule']} task {task['seq']}: title incomplete 「{task['title']}」",
                task["line"],
            )
    seen = set()
    for item in data["work_items"]:
        key = (item["schedule"], item["approach_code"], item["approach"])
        if not item["approach"].strip() and key not in seen:
            seen.add(key)
            report.add(
                "missing_text",
                WARNING,
                [f"{item['schedule']}/{item['approach_code']}"],
                f"schedule {item['schedule']} approach {item['approach_code']}: no text in the document",
                item["line"],
            )
        if not item["title"].strip():
            report.add(
                "missing_text",
                WARNING,
                [f"{item['schedule']}/{item['code']}"],
                f"work item {item['schedule']}/{item['code']} has no text",
                item["line"],
            )


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


_CHECK_FUNCTIONS = [
    _full_term_vs_final,
    _per_year_sum,
    _cumulative_decreasing,
    _kpi_outside_measure,
    _duplicate_codes,
    _budget_sums,
    _numbering,
    _schedule_coverage,
    _period_outside,
    _period_unparsed,
    _unknown_agency,
    _agency_mismatch,
    _vision_mismatch,
    _missing_text,
    _target_after,
    _merged,
    _unquantified,
]

# The reading checks (#19) live beside this module; they register with ``check`` above.
from .audit_reading import READING_CHECKS  # noqa: E402 - after ``check``, which it imports

_CHECK_FUNCTIONS += READING_CHECKS
