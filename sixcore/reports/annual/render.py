"""The annual evaluation report in each format. docx and odt are the quarterly report's renderers given
these blocks; the PDF is ``reports/annual.html`` with the quarterly print stylesheet, tagged (PDF/UA-1);
the workbook has one sheet per part, with scores as numbers."""

from __future__ import annotations

import io

from django.template.loader import get_template
from openpyxl import Workbook
from openpyxl.styles import Font

from sixcore.reports.builder import DEMO_MARK
from sixcore.reports.formats import CONTENT_TYPES, REPORT_FORMATS

from .layout import INDICATOR_HEADER, SUMMARY_HEADER, blocks
from .structure import AnnualReport

__all__ = ["CONTENT_TYPES", "REPORT_FORMATS", "render_annual", "annual_filename"]
SCORE = "0.##"


def render_annual(report: AnnualReport, fmt: str) -> bytes:
    if fmt == "docx":
        from sixcore.reports.docx import render_docx

        return render_docx(report, blocks(report))
    if fmt == "odt":
        from sixcore.reports.odt import render_odt

        return render_odt(report, blocks(report))
    if fmt == "pdf":
        from sixcore.reports.pdf import _css, html_to_pdf

        html = get_template("reports/annual.html").render({"r": report, "css": _css()})
        return html_to_pdf(html)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        workbook(report).save(buffer)
        return buffer.getvalue()
    if fmt == "ods":
        from sixcore.core.opendocument import workbook_to_ods

        return workbook_to_ods(workbook(report))
    raise ValueError(f"unknown report format {fmt!r}")


def annual_filename(report: AnnualReport, fmt: str) -> str:
    return f"sixcore-annual-{report.year}{'-demo' if report.is_demo else ''}.{fmt}"


def workbook(report: AnnualReport) -> Workbook:
    from sixcore.reports.xlsx import add_sheet

    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    demo = report.is_demo
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=16)
    for label, value in (
        ("方案", report.program_name),
        ("評核年度", f"{report.year} 年"),
        ("產製時間", report.generated_text),
        ("資料範圍", report.scope_text),
        ("等第標準", report.thresholds_text()),
    ):
        cover.append([label, value])
    if demo:
        cover.append([DEMO_MARK, "本報告內容為系統產生之示範資料，非真實評核結果。"])
        cover.cell(cover.max_row, 1).font = Font(bold=True, color="C00000")
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 70
    cover.oddHeader.center.text = DEMO_MARK if demo else ""

    scores = {"總分": SCORE, "權重": SCORE, "自評": SCORE, "初核": SCORE, "複核": SCORE, "申復分數": SCORE}
    add_sheet(
        wb,
        "等第摘要",
        f"{report.year} 年度各填報單位等第",
        ["產業代碼", *SUMMARY_HEADER],
        ([u.industry_code, u.industry, u.agency, u.status, u.score, u.grade] for u in report.units),
        scores,
        {"產業": 20, "機關": 20},
        demo,
    )
    add_sheet(
        wb,
        "等第分布",
        f"{report.year} 年度各產業等第分布",
        ["產業", *report.grade_names, "單位數", "平均分數"],
        (
            [
                f"{d.key} {d.label}".strip(),
                *(d.counts.get(g, 0) for g in report.grade_names),
                d.units,
                d.average,
            ]
            for d in [*report.by_industry, report.program]
        ),
        {"平均分數": SCORE},
        {"產業": 24},
        demo,
    )
    add_sheet(
        wb,
        "指標評分",
        f"{report.year} 年度各單位指標評分",
        ["產業", "機關", *INDICATOR_HEADER[:-1], "申復分數", "申復理由", "說明及佐證"],
        (
            [
                u.industry,
                u.agency,
                i.code,
                i.name,
                i.weight,
                i.figure,
                i.self_score,
                i.first_score,
                i.review_score,
                i.argued_score,
                i.argued_reason,
                i.narrative,
            ]
            for u in report.units
            for i in u.indicators
        ),
        scores,
        {"名稱": 24, "系統帶入數據": 24, "申復理由": 40, "說明及佐證": 60},
        demo,
    )
    add_sheet(
        wb,
        "評核意見",
        f"{report.year} 年度各階段評核意見",
        ["產業", "機關", "階段", "意見", "填寫人", "日期"],
        ([u.industry, u.agency, c.stage, c.text, c.author, c.date] for u in report.units for c in u.comments),
        None,
        {"意見": 80},
        demo,
    )
    add_sheet(
        wb,
        "待改進事項",
        f"{report.year} 年度待改進事項",
        ["產業", "機關", "項次", "待改進事項"],
        (
            [u.industry, u.agency, n, text]
            for u in report.units
            for n, text in enumerate(u.improvements, start=1)
        ),
        None,
        {"待改進事項": 90},
        demo,
    )
    return wb
