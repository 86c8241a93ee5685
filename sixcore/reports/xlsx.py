"""The quarterly report as a workbook (openpyxl): one sheet per part.

Every sheet: a title row (with 示範資料 for demo data, also in the print header), a header row frozen
below it, number formats (億元 with two decimals, ratios as percentages), the light as text and a
conditional fill on it. Text cells are neutralised against formula injection.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sixcore.evaluation.export import neutralise

from .builder import DEMO_MARK, FOLLOW_UPS_HEADING, QuarterlyReport
from .layout import BUDGET_HEADER, follow_up_cells

FILLS = {
    "綠燈": "C6EFCE",
    "黃燈": "FFEB9C",
    "紅燈": "FFC7CE",
    "白燈": "F2F2F2",
}
AMOUNT, PERCENT, POINTS = "#,##0.00", "0.00%", "0.00"
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")


def _cell(value):
    """A cell value: numbers stay numbers; text is neutralised (a leading apostrophe for = + - @ …)."""
    return neutralise(value)


def add_sheet(wb, title: str, heading: str, header: list[str], rows, formats=None, widths=None, demo=False):
    """Append a sheet: row 1 title, row 2 header (frozen), data from row 3."""
    ws = wb.create_sheet(title)
    ws.append([heading + (f"（{DEMO_MARK}）" if demo else "")])
    ws["A1"].font = Font(bold=True, size=13, color="C00000" if demo else "000000")
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    count = 0
    for row in rows:
        ws.append([_cell(v) for v in row])
        count += 1
    ws.freeze_panes = "A3"
    last = count + 2
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        fmt = (formats or {}).get(name)
        if fmt and count:
            for (cell,) in ws.iter_rows(min_row=3, max_row=last, min_col=index, max_col=index):
                cell.number_format = fmt
        ws.column_dimensions[letter].width = (widths or {}).get(name, 12)
        if name == "燈號" and count:
            cells = f"{letter}3:{letter}{last}"
            for label, color in FILLS.items():
                ws.conditional_formatting.add(
                    cells,
                    CellIsRule(
                        operator="equal", formula=[f'"{label}"'], fill=PatternFill("solid", bgColor=color)
                    ),
                )
    ws.print_title_rows = "2:2"
    ws.oddHeader.center.text = f"{heading}{'　' + DEMO_MARK if demo else ''}"
    ws.oddFooter.center.text = "第 &P 頁，共 &N 頁"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(header))}{max(last, 2)}"
    return ws


def render_xlsx(report: QuarterlyReport) -> bytes:
    buffer = io.BytesIO()
    report_workbook(report).save(buffer)
    return buffer.getvalue()


def render_ods(report: QuarterlyReport) -> bytes:
    """The same workbook as an OpenDocument spreadsheet (core.opendocument)."""
    from sixcore.core.opendocument import workbook_to_ods

    return workbook_to_ods(report_workbook(report))


def report_workbook(report: QuarterlyReport) -> Workbook:
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    demo = report.is_demo
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=16)
    for label, value in (
        ("方案", report.program_name),
        ("期別", f"{report.period_label}（{report.period}）"),
        ("計畫版本", report.revision_text),
        ("產製時間", report.generated_text),
        ("資料範圍", report.scope_text),
    ):
        cover.append([label, value])
    if demo:
        cover.append([DEMO_MARK, "本報告內容為系統產生之示範資料，非真實執行數據。"])
        cover.cell(cover.max_row, 1).font = Font(bold=True, color="C00000")
    cover.append([])
    cover.append(["目錄"])
    for _, text in report.contents():
        cover.append(["", text])
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 60
    cover.oddHeader.center.text = DEMO_MARK if demo else ""

    pct = {"加權達成率": PERCENT, "執行率": PERCENT, "達成率": PERCENT}
    amounts = {"累計分配數（億元）": AMOUNT, "累計執行數（億元）": AMOUNT, "年度預算（億元）": AMOUNT}
    progress = {"預定進度": POINTS, "實際進度": POINTS, "落後": POINTS}
    add_sheet(
        wb,
        "燈號摘要",
        f"{report.period_label} 各產業關鍵績效指標燈號",
        ["產業代碼", "產業", "綠燈", "黃燈", "紅燈", "白燈", "指標數", "加權達成率"],
        (
            [
                r.key,
                r.label,
                *(r.counts.get(x, 0) for x in ("green", "yellow", "red", "white")),
                r.items,
                r.weighted_achievement,
            ]
            for r in report.light_summary
        ),
        pct,
        {"產業": 24},
        demo,
    )
    budget_rows = report.budget_summary + ([report.budget_total] if report.budget_total else [])
    add_sheet(
        wb,
        "預算執行",
        f"{report.period_label} 預算執行（執行率對照 90% 基準）",
        ["代碼", "名稱", *BUDGET_HEADER],
        (_budget(b) for b in budget_rows),
        {**pct, **amounts},
        {"名稱": 24},
        demo,
    )
    add_sheet(
        wb,
        "風險等級",
        f"{report.period_label} 措施風險等級",
        ["措施", "名稱", "產業", "風險等級", "預警訊號", "紅燈項數"],
        ([r.measure, r.name, r.industry, r.tier_label, r.signals, r.red] for r in report.risks),
        None,
        {"名稱": 30, "預警訊號": 60},
        demo,
    )
    add_sheet(
        wb,
        "填報完整性",
        f"{report.period_label} 填報完整性（應填報 {report.completeness_total}，納入 {report.completeness_visible}）",
        ["產業", "機關", "狀態", "送出日期", "逾期"],
        (
            [s.industry, s.agency, s.status_label, s.submitted, "逾期" if s.late else ""]
            for s in report.submissions
        ),
        None,
        {"機關": 20},
        demo,
    )
    add_sheet(
        wb,
        "執行情形",
        f"{report.period_label} 各產業辦理情形、重要執行亮點、下一季重點工作",
        ["產業", "項目", "來源", "內容"],
        (
            [c.title, n.title, e.label or "產業彙整", e.text]
            for c in report.chapters
            for n in c.narratives
            for e in n.entries
        ),
        None,
        {"產業": 20, "來源": 36, "內容": 100},
        demo,
    )
    add_sheet(
        wb,
        "關鍵績效指標",
        f"{report.period_label} 關鍵績效指標",
        [
            "產業",
            "分項",
            "編號",
            "措施",
            "全期目標",
            "本年度目標",
            "單位",
            "預期值",
            "實際值",
            "達成率",
            "燈號",
            "說明",
        ],
        (
            [
                c.code,
                s.title,
                k.code,
                k.measure,
                k.full_term,
                k.year_target,
                k.unit,
                k.expected,
                k.actual,
                k.achievement,
                k.light_label,
                k.reason,
            ]
            for c in report.chapters
            for s in c.kpi_sections
            for k in s.rows
        ),
        {"達成率": PERCENT, "預期值": "#,##0.####", "實際值": "#,##0.####"},
        {"全期目標": 50, "本年度目標": 40, "分項": 20, "說明": 30},
        demo,
    )
    add_sheet(
        wb,
        "落後工作項目",
        f"{report.period_label} 落後工作項目",
        ["產業", "工作項目", "名稱", "預定進度", "實際進度", "落後", "落後原因", "因應對策", "燈號"],
        (
            [
                c.code,
                f"{w.schedule}/{w.code}",
                w.title,
                w.planned,
                w.reported,
                w.lag,
                w.lag_reason,
                w.remedy,
                w.light_label,
            ]
            for c in report.chapters
            for w in c.lagging
        ),
        progress,
        {"名稱": 40, "落後原因": 40, "因應對策": 40},
        demo,
    )
    add_sheet(
        wb,
        "措施預算",
        f"{report.period_label} 各措施預算執行",
        ["代碼", "名稱", *BUDGET_HEADER],
        (_budget(b) for c in report.chapters for b in c.budget),
        {**pct, **amounts},
        {"名稱": 30},
        demo,
    )
    add_sheet(
        wb,
        "工作項目狀態",
        f"{report.period_label} 附錄一、工作項目辦理狀態",
        ["期程表", "工作項目", "名稱", "措施", "機關", "預定進度", "實際進度", "落後", "狀態", "燈號"],
        (
            [
                w.schedule,
                w.code,
                w.title,
                w.measures,
                w.agencies,
                w.planned,
                w.reported,
                w.lag,
                w.status,
                w.light_label,
            ]
            for w in report.work_items
        ),
        progress,
        {"名稱": 50, "機關": 20},
        demo,
    )
    add_sheet(
        wb,
        "資料品質檢核",
        f"{report.period_label} 附錄二、資料品質檢核",
        ["檢核", "類別", "項目", "產業", "措施", "說明"],
        (
            [f.label, "指標" if f.kind == "kpi" else "工作項目", f.ref, f.industry, f.measure, f.message]
            for f in report.flags
        ),
        None,
        {"檢核": 24, "說明": 50},
        demo,
    )
    add_sheet(
        wb,
        "追蹤事項",
        f"{report.period_label} {FOLLOW_UPS_HEADING}",
        ["編號", "來源", "建議事項／決議", "主辦機關", "期限", "狀態", "最新辦理情形"],
        (follow_up_cells(f) for f in report.follow_ups),
        None,
        {"建議事項／決議": 50, "最新辦理情形": 50},
        demo,
    )
    return wb


def _budget(b) -> list:
    return [
        b.key,
        b.label,
        b.allocated,
        b.executed,
        b.annual_budget,
        b.execution_rate,
        b.achievement_rate,
        "是" if b.below_line else "",
        b.light_label,
    ]
