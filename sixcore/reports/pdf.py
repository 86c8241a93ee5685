"""The quarterly report as PDF: HTML (``reports/quarterly.html`` + ``quarterly.css``) through WeasyPrint.

Text is real text in Noto Sans CJK TC (Debian's fonts-noto-cjk), so ``pdftotext`` and search find the
Chinese; page numbers and the 示範資料 mark are page-margin boxes; ``thead`` rows repeat on every page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.template.loader import get_template

from .builder import QuarterlyReport


@cache
def _css() -> str:
    """The print stylesheet, found like a template (inlined: WeasyPrint then needs no base URL)."""
    from django.template.loader import get_template as find

    return Path(find("reports/quarterly.css").origin.name).read_text(encoding="utf-8")


def render_html(report: QuarterlyReport) -> str:
    return get_template("reports/quarterly.html").render({"r": report, "css": _css()})


@cache
def _fonts():
    """One font configuration per process: fontconfig's scan of the CJK fonts is paid once."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_pdf(report: QuarterlyReport) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(report)).write_pdf(font_config=_fonts())
