"""Audit checks of the document against itself: KPI and work-item codes, 表 3 sums, the two numberings of
measures, schedule-table coverage, work-item periods, agencies and texts lost in conversion.

Pure, over ``export.export_program``'s dict; ``CHECKS`` is their order in ``audit_program``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from .report import ERROR, INFO, WARNING, AuditReport, check

PROGRAM_START, PROGRAM_END = "2021-01", "2024-12"
# Budget cells have two decimals; a stated subtotal within half a cent of the sum is consistent.
BUDGET_TOLERANCE = Decimal("0.005")


def _amount(value: Any) -> Decimal:
    return Decimal(str(value))


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


CHECKS = [
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
]
