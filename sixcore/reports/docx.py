"""The quarterly report as an editable Word document (python-docx).

Real Word styles (Title, Heading 1/2 — they appear in the navigation pane — and ``Table Grid``
tables whose header rows repeat on every page), a page-number field in the footer and, for demo
data, 示範資料 in the header of every page.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from .builder import DEMO_MARK, QuarterlyReport, number_text, percent_text

FONT = "Noto Sans CJK TC"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
LIGHT_FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "white": "F2F2F2"}


def _east_asian_font(style, name: str = FONT) -> None:
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, TOC …) that Word and LibreOffice compute when they open the file."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, shown, end):
        run._r.append(element)


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcpr.append(shading)


def _clean(text: str) -> str:
    """Characters XML 1.0 cannot hold (control characters) are dropped."""
    return CONTROL.sub("", text)


def _table(document, header: list[str], rows: list[list[str]], lights: list[str] | None = None, widths=None):
    """A ``Table Grid`` table; the header row repeats on every page; ``lights`` shades the light column."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, text in zip(head.cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
        _shade(cell, "D9E2F3")
    light_column = header.index("燈號") if "燈號" in header else None
    grid = [int(gc.w.twips) for gc in table._tbl.tblGrid.gridCol_lst]
    if widths:
        grid = [int(Cm(w).twips) for w in widths]
    # Body rows are written as one XML fragment: python-docx's add_row()/cell.text cost ~10 ms a row.
    parts = [f"<w:tbl {nsdecls('w')}>"]
    for i, values in enumerate(rows):
        parts.append("<w:tr>")
        for j, (text, width) in enumerate(zip(values, grid, strict=True)):
            fill = ""
            if lights and j == light_column and lights[i] in LIGHT_FILLS:
                fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{LIGHT_FILLS[lights[i]]}"/>'
            paragraphs = "".join(
                f'<w:p><w:r><w:t xml:space="preserve">{escape(_clean(line))}</w:t></w:r></w:p>'
                for line in (text.split("\n") if text else [""])
            )
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{fill}</w:tcPr>{paragraphs}</w:tc>'
            )
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    for tr in list(parse_xml("".join(parts))):
        table._tbl.append(tr)
    if widths:
        for tc, gc, width in zip(
            table._tbl.tr_lst[0].tc_lst, table._tbl.tblGrid.gridCol_lst, widths, strict=True
        ):
            tc.width = gc.w = Cm(width)
    return table


def _narrative_paragraphs(document, narrative) -> None:
    if not narrative.entries:
        document.add_paragraph("（本季未填報）")
    for entry in narrative.entries:
        if entry.label:
            document.add_paragraph(entry.label, style="List Bullet").runs[0].bold = True
        for line in entry.text.splitlines() or [""]:
            if line.strip():
                document.add_paragraph(line.strip())


def render_docx(report: QuarterlyReport) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    styles = document.styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Table Grid"):
        _east_asian_font(styles[name])
    styles["Normal"].font.size = Pt(10)

    header = section.header.paragraphs[0]
    header.text = f"{report.title}{'　' + DEMO_MARK if report.is_demo else ''}"
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.is_demo:
        header.runs[0].font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE")
    footer.add_run(" 頁")

    # Cover and contents.
    document.add_paragraph(report.title, style="Title")
    for line in (
        f"方案：{report.program_name}",
        f"期別：{report.period_label}（{report.period}）",
        f"計畫版本：{report.revision_text}",
        f"產製時間：{report.generated_text}",
        f"資料範圍：{report.scope_text}",
    ):
        document.add_paragraph(line)
    if report.is_demo:
        mark = document.add_paragraph(f"{DEMO_MARK}：本報告內容為系統產生之示範資料，非真實執行數據。")
        mark.runs[0].bold = True
        mark.runs[0].font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    document.add_paragraph("目錄", style="Heading 1")
    for level, text in report.contents():
        document.add_paragraph(("　" * (level - 1)) + text)
    document.add_page_break()

    # Summary.
    document.add_heading("壹、摘要", level=1)
    document.add_heading("一、各產業關鍵績效指標燈號", level=2)
    _table(
        document,
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
    document.add_heading("二、預算執行（執行率對照 90% 基準）", level=2)
    budget_rows = report.budget_summary + ([report.budget_total] if report.budget_total else [])
    _table(
        document,
        [
            "產業",
            "累計分配數（億元）",
            "累計執行數（億元）",
            "年度預算（億元）",
            "執行率",
            "達成率",
            "未達90%",
            "燈號",
        ],
        [_budget_cells(b) for b in budget_rows],
        [b.light for b in budget_rows],
    )
    document.add_heading("三、風險等級", level=2)
    risky = [r for r in report.risks if r.tier != "low" or r.red]
    _table(
        document,
        ["措施", "風險等級", "預警訊號", "紅燈項數"],
        [[f"{r.measure} {r.name}", r.tier_label, r.signals, str(r.red)] for r in risky]
        or [["—", "無", "—", "0"]],
    )
    document.add_heading("四、填報完整性", level=2)
    document.add_paragraph(
        f"應填報單位 {report.completeness_total} 個，納入本報告 {report.completeness_visible} 個；"
        + "、".join(f"{label} {n}" for label, n in report.completeness_by_status.items())
        + "。"
    )
    _table(
        document,
        ["產業", "機關", "狀態", "送出日期", "逾期"],
        [
            [s.industry, s.agency, s.status_label, s.submitted, "逾期" if s.late else ""]
            for s in report.submissions
        ],
    )

    # Chapters.
    document.add_page_break()
    document.add_heading("貳、各產業執行情形", level=1)
    for chapter in report.chapters:
        document.add_heading(chapter.title, level=2)
        counts = chapter.counts
        document.add_paragraph(
            f"關鍵績效指標燈號：綠燈 {counts.get('green', 0)}、黃燈 {counts.get('yellow', 0)}、"
            f"紅燈 {counts.get('red', 0)}、白燈 {counts.get('white', 0)}。"
            + ("（產業主責機關彙整）" if chapter.consolidated else "（各措施填報內容）")
        )
        for narrative in chapter.narratives:
            document.add_heading(narrative.title, level=3)
            _narrative_paragraphs(document, narrative)
        for kpi_section in chapter.kpi_sections:
            document.add_heading(kpi_section.title, level=3)
            _table(
                document,
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
        document.add_heading("落後工作項目", level=3)
        if chapter.lagging:
            _table(
                document,
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
            document.add_paragraph("本季無落後工作項目。")
        document.add_heading("預算執行", level=3)
        _table(
            document,
            [
                "措施",
                "累計分配數（億元）",
                "累計執行數（億元）",
                "年度預算（億元）",
                "執行率",
                "達成率",
                "未達90%",
                "燈號",
            ],
            [_budget_cells(b) for b in chapter.budget] or [["—"] * 8],
            [b.light for b in chapter.budget],
        )

    # Appendix.
    document.add_page_break()
    document.add_heading("附錄一、工作項目辦理狀態", level=1)
    _table(
        document,
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
    document.add_heading("附錄二、資料品質檢核", level=1)
    _table(
        document,
        ["檢核", "類別", "項目", "措施", "說明"],
        [
            [f.label, "指標" if f.kind == "kpi" else "工作項目", f.ref, f.measure, f.message]
            for f in report.flags
        ]
        or [["—", "—", "—", "—", "無"]],
    )
    if report.decisions is not None:
        document.add_heading("附錄三、逾期未結之協調會議決議", level=1)
        _table(
            document,
            ["決議", "主辦機關", "期限", "會議"],
            [[d.text, d.owner, d.deadline, d.meeting] for d in report.decisions] or [["無", "—", "—", "—"]],
        )

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _budget_cells(b) -> list[str]:
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
