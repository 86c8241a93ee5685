"""The quarterly report as PDF: HTML (``reports/quarterly.html`` + ``quarterly.css``) through WeasyPrint.

Text is real text in Noto Sans CJK TC (Debian's fonts-noto-cjk), so ``pdftotext`` and search find the
Chinese; page numbers and the 示範資料 mark are page-margin boxes; ``thead`` rows repeat on every page.

Where the time goes (docs/REPORTS.md "PDF speed"): embedding the CJK font needs HarfBuzz-Subset
(Debian ``libharfbuzz-subset0``); without it WeasyPrint falls back to fontTools, which walks all 65 535
glyph slots of Noto Sans CJK twice (retained glyph ids) and alone costs ≈ 12 s of CPU. The rest is
layout and drawing of the table cells, in the background task (never in a web request).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from django.template.loader import get_template

from .builder import QuarterlyReport

logger = logging.getLogger(__name__)


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

    if not has_harfbuzz_subset():
        logger.warning(
            "libharfbuzz-subset0 is not installed: WeasyPrint subsets the CJK font with fontTools, "
            "which makes every PDF report about 12 s slower"
        )
    return FontConfiguration()


def has_harfbuzz_subset() -> bool:
    """Whether WeasyPrint found HarfBuzz-Subset (fast font subsetting in C) rather than fontTools."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None


def render_pdf(report: QuarterlyReport) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, reading order, the document's language zh-Hant-TW from the
    HTML, its title shown): the government's document standard wants read-only files as PDF that a
    screen reader can follow, not only text that can be selected."""
    return html_to_pdf(render_html(report))


def html_to_pdf(html: str) -> bytes:
    """Any report's print HTML as a tagged PDF (PDF/UA-1), with the process's one font configuration."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf(font_config=_fonts(), pdf_variant="pdf/ua-1")
