"""The quarterly report's document, once, as a sequence of plain blocks: every editable format (docx,
odt) renders the same blocks, so the two files cannot drift apart in content or order.

The PDF has its own HTML template (print CSS) and the xlsx its sheets; both read the same
:class:`~sixcore.reports.builder.QuarterlyReport`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .builder import DEMO_MARK, FOLLOW_UPS_HEADING, QuarterlyReport, number_text, percent_text

BUDGET_HEADER = [
    "累計分配數（億元）",
    "累計執行數（億元）",
    "年度預算（億元）",
    "執行率",
    "達成率",
    "未達90%",
    "燈號",
]


@dataclass(frozen=True)
class Heading:
    level: int  # 0: the title, 1–3: headings (they appear in the word processor's navigator)
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = ""  # "", "bullet" (a bold list item), "demo" (the 示範資料 mark: bold, red)


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    lights: list[str] | None = None  # per row, shading the 燈號 column
    widths: list[float] | None = None  # column widths in cm


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Table | PageBreak


def header_text(report: QuarterlyReport) -> str:
    return f"{report.title}{'　' + DEMO_MARK if report.is_demo else ''}"


def blocks(report: QuarterlyReport) -> Iterator[Block]:
    yield from _cover(report)
    yield from _summary(report)
    yield PageBreak()
    yield Heading(1, "貳、各產業執行情形")
    for chapter in report.chapters:
        yield from _chapter(chapter)
    yield PageBreak()
    yield from _appendix(report)


def _cover(report: QuarterlyReport) -> Iterator[Block]:
    yield Heading(0, report.title)
    for line in (
        f"方案：{report.program_name}",
        f"期別：{report.period_label}（{report.period}）",
        f"計畫版本：{report.revision_text}",
        f"產製時間：{report.generated_text}",
        f"資料範圍：{report.scope_text}",
    ):
        yield Paragraph(line)
    if report.is_demo:
        yield Paragraph(f"{DEMO_MARK}：本報告內容為系統產生之示範資料，非真實執行數據。", "demo")
    yield Heading(1, "目錄")
    for level, text in report.contents():
        yield Paragraph(("　" * (level - 1)) + text)
    yield PageBreak()


def _summary(report: QuarterlyReport) -> Iterator[Block]:
    yield Heading(1, "壹、摘要")
    yield Heading(2, "一、各產業關鍵績效指標燈號")
    yield Table(
        ["產業", "綠燈", "黃燈", "紅燈", "白燈", "指標數", "加權達成率"],
        [
            [
                f"{r.key} {r.label}",
                *(str(r.counts.get(light, 0)) for light in ("green", "yellow", "red", "white")),
                str(r.items),
                percent_text(r.weighted_achievement),
            ]
            for r in report.light_summary
        ],
    )
    yield Heading(2, "二、預算執行（執行率對照 90% 基準）")
    budget_rows = report.budget_summary + ([report.budget_total] if report.budget_total else [])
    yield Table(
        ["產業", *BUDGET_HEADER], [budget_cells(b) for b in budget_rows], [b.light for b in budget_rows]
    )
    yield Heading(2, "三、風險等級")
    risky = [r for r in report.risks if r.tier != "low" or r.red]
    yield Table(
        ["措施", "風險等級", "預警訊號", "紅燈項數"],
        [[f"{r.measure} {r.name}", r.tier_label, r.signals, str(r.red)] for r in risky]
        or [["—", "無", "—", "0"]],
    )
    yield Heading(2, "四、填報完整性")
    yield Paragraph(
        f"應填報單位 {report.completeness_total} 個，納入本報告 {report.completeness_visible} 個；"
        + "、".join(f"{label} {n}" for label, n in report.completeness_by_status.items())
        + "。"
    )
    yield Table(
        ["產業", "機關", "狀態", "送出日期", "逾期"],
        [
            [s.industry, s.agency, s.status_label, s.submitted, "逾期" if s.late else ""]
            for s in report.submissions
        ],
    )


def _chapter(chapter) -> Iterator[Block]:
    yield Heading(2, chapter.title)
    counts = chapter.counts
    yield Paragraph(
        f"關鍵績效指標燈號：綠燈 {counts.get('green', 0)}、黃燈 {counts.get('yellow', 0)}、"
        f"紅燈 {counts.get('red', 0)}、白燈 {counts.get('white', 0)}。"
        + ("（產業主責機關彙整）" if chapter.consolidated else "（各措施填報內容）")
    )
    for narrative in chapter.narratives:
        yield Heading(3, narrative.title)
        if not narrative.entries:
            yield Paragraph("（本季未填報）")
        for entry in narrative.entries:
            if entry.label:
                yield Paragraph(entry.label, "bullet")
            for line in entry.text.splitlines():
                if line.strip():
                    yield Paragraph(line.strip())
    for kpi_section in chapter.kpi_sections:
        yield Heading(3, kpi_section.title)
        yield Table(
            ["編號", "全期目標", "本年度目標", "預期值", "實際值", "達成率", "燈號"],
            [
                [
                    k.code,
                    k.full_term,
                    k.year_target,
                    number_text(k.expected),
                    number_text(k.actual),
                    percent_text(k.achievement),
                    k.light_label,
                ]
                for k in kpi_section.rows
            ],
            [k.light for k in kpi_section.rows],
            widths=[1.6, 8.5, 7.0, 1.8, 1.8, 1.8, 1.4],
        )
    yield Heading(3, "落後工作項目")
    if chapter.lagging:
        yield Table(
            ["工作項目", "名稱", "預定進度", "實際進度", "落後", "落後原因", "因應對策", "燈號"],
            [
                [
                    f"{w.schedule}/{w.code}",
                    w.title,
                    number_text(w.planned),
                    number_text(w.reported),
                    number_text(w.lag),
                    w.lag_reason or "（未填）",
                    w.remedy or "（未填）",
                    w.light_label,
                ]
                for w in chapter.lagging
            ],
            [w.light for w in chapter.lagging],
        )
    else:
        yield Paragraph("本季無落後工作項目。")
    yield Heading(3, "預算執行")
    yield Table(
        ["措施", *BUDGET_HEADER],
        [budget_cells(b) for b in chapter.budget] or [["—"] * 8],
        [b.light for b in chapter.budget],
    )


def _appendix(report: QuarterlyReport) -> Iterator[Block]:
    yield Heading(1, "附錄一、工作項目辦理狀態")
    yield Table(
        ["工作項目", "名稱", "機關", "預定進度", "實際進度", "落後", "狀態", "燈號"],
        [
            [
                f"{w.schedule}/{w.code}",
                w.title,
                w.agencies,
                number_text(w.planned),
                number_text(w.reported),
                number_text(w.lag),
                w.status,
                w.light_label,
            ]
            for w in report.work_items
        ],
        [w.light for w in report.work_items],
    )
    yield Heading(1, "附錄二、資料品質檢核")
    yield Table(
        ["檢核", "類別", "項目", "措施", "說明"],
        [
            [f.label, "指標" if f.kind == "kpi" else "工作項目", f.ref, f.measure, f.message]
            for f in report.flags
        ]
        or [["—", "—", "—", "—", "無"]],
    )
    yield Heading(1, FOLLOW_UPS_HEADING)
    yield Table(
        ["編號", "來源", "建議事項／決議", "主辦機關", "期限", "狀態", "最新辦理情形"],
        [follow_up_cells(f) for f in report.follow_ups] or [["—", "—", "無", "—", "—", "—", "—"]],
    )


def follow_up_cells(f) -> list[str]:
    latest = f"（{f.latest_period}）{f.latest}" if f.latest_period else f.latest
    return [f.number, f.source, f.text, f.owner, f.due, f.state, latest]


def budget_cells(b) -> list[str]:
    return [
        f"{b.key} {b.label}".strip(),
        number_text(b.allocated),
        number_text(b.executed),
        number_text(b.annual_budget),
        percent_text(b.execution_rate),
        percent_text(b.achievement_rate),
        "是" if b.below_line else "",
        b.light_label,
    ]
