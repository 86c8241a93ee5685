"""The quarterly report as an editable Word document (python-docx).

Real Word styles (Title, Heading 1/2 — they appear in the navigation pane — and ``Table Grid``
tables whose header rows repeat on every page), 第 x 頁／共 y 頁 fields in the footer and, for demo
data, 示範資料 in the header of every page. The content is ``layout.blocks``, shared with the odt.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from sixcore.core.opendocument import clean

from .builder import QuarterlyReport
from .layout import Block, Heading, Paragraph, Table, blocks, header_text

FONT = "Noto Sans CJK TC"
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
                f'<w:p><w:r><w:t xml:space="preserve">{escape(clean(line))}</w:t></w:r></w:p>'
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


def render_docx(report: QuarterlyReport, content: Iterable[Block] | None = None) -> bytes:
    """``content``: another report's blocks (the annual evaluation report) in this same page frame;
    ``report`` then only needs ``title`` and ``is_demo``."""
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
    header.text = header_text(report)
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.is_demo:
        header.runs[0].font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE")
    footer.add_run(" 頁／共 ")
    _field(footer, "NUMPAGES")
    footer.add_run(" 頁")

    for block in blocks(report) if content is None else content:
        if isinstance(block, Heading):
            if block.level == 0:
                document.add_paragraph(block.text, style="Title")
            else:
                document.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            if block.kind == "bullet":
                document.add_paragraph(block.text, style="List Bullet").runs[0].bold = True
            elif block.kind == "demo":
                mark = document.add_paragraph(block.text)
                mark.runs[0].bold = True
                mark.runs[0].font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
            else:
                document.add_paragraph(block.text)
        elif isinstance(block, Table):
            _table(document, block.header, block.rows, block.lights, block.widths)
        else:
            document.add_page_break()

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
