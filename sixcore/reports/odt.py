"""The quarterly report as an OpenDocument text (.odt, ODF-CNS15251: the government's document standard),
with odfpy.

The same blocks as the Word file (``layout.blocks``): headings with outline levels (LibreOffice's
navigator and a generated table of contents see them), tables whose header row repeats on every page
with the lights shaded, landscape A4, 第 x 頁／共 y 頁 in the footer and, for demo data, 示範資料 in the
header of every page. Fonts: Noto Sans CJK TC for Chinese text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from odf.dc import Language, Title
from odf.opendocument import OpenDocumentText
from odf.style import (
    FontFace,
    Footer,
    Header,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableCellProperties,
    TableColumnProperties,
    TableProperties,
    TextProperties,
)
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import H, P, PageCount, PageNumber

from sixcore.core.opendocument import clean

from .builder import QuarterlyReport
from .layout import Block, Heading, Paragraph, Table, blocks, header_text

FONT = "Noto Sans CJK TC"
LIGHT_FILLS = {"green": "#C6EFCE", "yellow": "#FFEB9C", "red": "#FFC7CE", "white": "#F2F2F2"}
HEADER_FILL = "#D9E2F3"
PAGE_WIDTH_CM = 29.7 - 2 * 1.8


def _text(family: str, size: str, **extra) -> TextProperties:
    return TextProperties(
        fontname=FONT, fontnameasian=FONT, fontnamecomplex=FONT, fontsize=size, fontsizeasian=size, **extra
    )


class _Styles:
    """The document's named and automatic styles, made once."""

    def __init__(self, doc: OpenDocumentText, report: QuarterlyReport) -> None:
        doc.fontfacedecls.addElement(
            FontFace(name=FONT, fontfamily=FONT, fontfamilygeneric="swiss", fontpitch="variable")
        )
        standard = Style(name="Standard", family="paragraph")
        standard.addElement(
            _text("paragraph", "10pt", language="zh", country="TW", languageasian="zh", countryasian="TW")
        )
        standard.addElement(ParagraphProperties(margintop="0.05cm", marginbottom="0.1cm"))
        doc.styles.addElement(standard)
        self.title = self._paragraph(doc, "Title", "20pt", bold=True, align="center")
        self.headings = {
            level: self._paragraph(doc, f"Heading_20_{level}", size, bold=True, level=level)
            for level, size in ((1, "16pt"), (2, "13pt"), (3, "11pt"))
        }
        self.bullet = self._paragraph(doc, "List_20_Bullet", "10pt", bold=True)
        self.demo = self._paragraph(doc, "Demo_20_Mark", "10pt", bold=True, colour="#C00000")
        self.centre = self._paragraph(doc, "Centred", "9pt", align="center")
        self.page_break = Style(name="PageBreak", family="paragraph", parentstylename=standard)
        self.page_break.addElement(ParagraphProperties(breakafter="page"))
        doc.automaticstyles.addElement(self.page_break)
        self.cell = self._cell(doc, "Cell", None)
        self.header_cell = self._cell(doc, "HeaderCell", HEADER_FILL)
        self.light_cells = {
            light: self._cell(doc, f"Light_{light}", fill) for light, fill in LIGHT_FILLS.items()
        }
        self.cell_text = Style(name="CellText", family="paragraph", parentstylename=standard)
        self.cell_text.addElement(_text("paragraph", "9pt"))
        doc.automaticstyles.addElement(self.cell_text)
        self.header_text = Style(name="CellHeader", family="paragraph", parentstylename=standard)
        self.header_text.addElement(_text("paragraph", "9pt", fontweight="bold", fontweightasian="bold"))
        doc.automaticstyles.addElement(self.header_text)
        self.columns: dict[float, Style] = {}
        self.tables = 0
        self._page(doc, report)

    def _paragraph(self, doc, name, size, *, bold=False, align=None, colour=None, level=None) -> Style:
        style = Style(name=name, family="paragraph", parentstylename="Standard")
        if level is not None:
            style.setAttribute("defaultoutlinelevel", str(level))
            style.setAttribute("displayname", f"Heading {level}")
        extra = {"fontweight": "bold", "fontweightasian": "bold"} if bold else {}
        if colour:
            extra["color"] = colour
        style.addElement(_text("paragraph", size, **extra))
        if align:
            style.addElement(ParagraphProperties(textalign=align))
        if level is not None:
            style.addElement(
                ParagraphProperties(margintop="0.35cm", marginbottom="0.15cm", keepwithnext="always")
            )
        doc.styles.addElement(style)
        return style

    @staticmethod
    def _cell(doc, name: str, fill: str | None) -> Style:
        style = Style(name=name, family="table-cell")
        properties = {"border": "0.5pt solid #808080", "padding": "0.05cm"}
        if fill:
            properties["backgroundcolor"] = fill
        style.addElement(TableCellProperties(**properties))
        doc.automaticstyles.addElement(style)
        return style

    def column(self, doc, width_cm: float) -> Style:
        width = round(width_cm, 2)
        if width not in self.columns:
            style = Style(name=f"Col{len(self.columns) + 1}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width}cm"))
            doc.automaticstyles.addElement(style)
            self.columns[width] = style
        return self.columns[width]

    def _page(self, doc, report: QuarterlyReport) -> None:
        layout = PageLayout(name="Landscape")
        layout.addElement(
            PageLayoutProperties(
                pagewidth="29.7cm",
                pageheight="21cm",
                printorientation="landscape",
                margintop="1.2cm",
                marginbottom="1.2cm",
                marginleft="1.8cm",
                marginright="1.8cm",
            )
        )
        doc.automaticstyles.addElement(layout)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        header = Header()
        header.addElement(P(stylename=self.demo if report.is_demo else self.centre, text=header_text(report)))
        master.addElement(header)
        footer = Footer()
        numbers = P(stylename=self.centre, text="第 ")
        numbers.addElement(PageNumber(selectpage="current", text="1"))
        numbers.addText(" 頁／共 ")
        numbers.addElement(PageCount(text="1"))
        numbers.addText(" 頁")
        footer.addElement(numbers)
        master.addElement(footer)
        doc.masterstyles.addElement(master)


def _table(doc, styles: _Styles, block: Table):
    styles.tables += 1
    table_style = Style(name=f"Table{styles.tables}", family="table")
    table_style.addElement(TableProperties(width=f"{PAGE_WIDTH_CM}cm", align="margins"))
    doc.automaticstyles.addElement(table_style)
    table = OdfTable(name=f"表{styles.tables}", stylename=table_style)
    count = len(block.header)
    widths = block.widths or [PAGE_WIDTH_CM / count] * count
    for width in widths:
        table.addElement(TableColumn(stylename=styles.column(doc, width)))
    head = TableHeaderRows()  # repeated at the top of every page the table runs onto
    row = TableRow()
    for text in block.header:
        cell = TableCell(stylename=styles.header_cell, valuetype="string")
        cell.addElement(P(stylename=styles.header_text, text=clean(text)))
        row.addElement(cell)
    head.addElement(row)
    table.addElement(head)
    light_column = block.header.index("燈號") if "燈號" in block.header else None
    for i, values in enumerate(block.rows):
        row = TableRow()
        for j, text in enumerate(values):
            style = styles.cell
            if block.lights and j == light_column and block.lights[i] in styles.light_cells:
                style = styles.light_cells[block.lights[i]]
            cell = TableCell(stylename=style, valuetype="string")
            for line in (text or "").split("\n"):
                cell.addElement(P(stylename=styles.cell_text, text=clean(line)))
            row.addElement(cell)
        table.addElement(row)
    return table


def render_odt(report: QuarterlyReport, content: Iterable[Block] | None = None) -> bytes:
    """``content``: another report's blocks (the annual evaluation report), as in ``render_docx``."""
    doc = OpenDocumentText()
    doc.meta.addElement(Title(text=report.title))
    doc.meta.addElement(Language(text="zh-TW"))
    styles = _Styles(doc, report)
    body = doc.text
    for block in blocks(report) if content is None else content:
        if isinstance(block, Heading):
            if block.level == 0:
                body.addElement(P(stylename=styles.title, text=clean(block.text)))
            else:
                body.addElement(
                    H(
                        outlinelevel=block.level,
                        stylename=styles.headings[block.level],
                        text=clean(block.text),
                    )
                )
        elif isinstance(block, Paragraph):
            style = {"bullet": styles.bullet, "demo": styles.demo}.get(block.kind)
            body.addElement(
                P(stylename=style, text=clean(block.text)) if style else P(text=clean(block.text))
            )
        elif isinstance(block, Table):
            body.addElement(_table(doc, styles, block))
        else:
            body.addElement(P(stylename=styles.page_break))
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()
