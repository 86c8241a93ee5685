"""Render a :class:`~sixcore.reports.builder.QuarterlyReport` in one of its formats."""

from __future__ import annotations

from .builder import QuarterlyReport

REPORT_FORMATS = ("odt", "docx", "pdf", "ods", "xlsx")
CONTENT_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_report(report: QuarterlyReport, fmt: str) -> bytes:
    if fmt == "odt":
        from .odt import render_odt

        return render_odt(report)
    if fmt == "docx":
        from .docx import render_docx

        return render_docx(report)
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(report)
    if fmt == "xlsx":
        from .xlsx import render_xlsx

        return render_xlsx(report)
    if fmt == "ods":
        from .xlsx import render_ods

        return render_ods(report)
    raise ValueError(f"unknown report format {fmt!r}")


def report_filename(report: QuarterlyReport, fmt: str) -> str:
    return f"sixcore-quarterly-{report.period}{'-demo' if report.is_demo else ''}.{fmt}"
