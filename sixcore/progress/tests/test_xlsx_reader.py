"""The sheet-XML reader of the Excel upload (sixcore/progress/xlsx_reader.py), and the upload through it."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from sixcore.accounts.models import Agency
from sixcore.core.models import ObjectChange
from sixcore.progress import excel
from sixcore.progress.models import Submission, WorkItemReport
from sixcore.progress.xlsx_reader import TooManyRows, XlsxError, column_index, read_sheets
from tests.factories import editor, open_period

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES = f"""<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>
</numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="10"/><xf numFmtId="14"/></cellXfs>
</styleSheet>"""
SHARED = f"""<sst xmlns="{MAIN}" count="3" uniqueCount="3"><si><t>辦理情形</t></si>
<si><r><t>粗體</t></r><r><rPr><b/></rPr><t xml:space="preserve">與一般 </t></r><rPh sb="0" eb="1"><t>ㄘㄨ</t></rPh></si>
<si><t/></si></sst>"""


def xlsx(
    sheet_xml: str | bytes, *, shared: str | None = SHARED, date1904: bool = False, name: str = "S"
) -> bytes:
    """A minimal workbook with one sheet ``name`` whose ``<sheetData>`` content is ``sheet_xml``."""
    sheet = (
        sheet_xml
        if isinstance(sheet_xml, bytes)
        else f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>'.encode()
    )
    pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sml}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sml}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{sml}.styles+xml"/>'
        + (
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sml}.sharedStrings+xml"/>'
            if shared
            else ""
        )
        + "</Types>",
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{R}">{pr}<sheets>'
        f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{doc}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{doc}/styles" Target="styles.xml"/>'
        + (
            f'<Relationship Id="rId3" Type="{doc}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
            if shared
            else ""
        )
        + "</Relationships>",
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared:
        parts["xl/sharedStrings.xml"] = shared
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for part, content in parts.items():
            archive.writestr(part, content)
    return out.getvalue()


def read(sheet_xml, width: int = 4, **kwargs) -> list[tuple]:
    return read_sheets(xlsx(sheet_xml, **kwargs), {"S": width}, 100)["S"]


def test_strings_shared_rich_and_inline():
    rows = read(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="inlineStr"><is><t>行內</t></is></c><c r="D1" t="inlineStr"><is><r><t>分</t></r><r><t>段</t></r></is></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="str"><v>公式字串</v></c><c r="C2" t="inlineStr"/></row>'
    )
    assert [c[:2] for c in rows[0]] == [("辦理情形", "s"), ("粗體與一般 ", "s"), ("行內", "s"), ("分段", "s")]
    assert rows[1][0][:2] == ("", "s") and rows[1][1][:2] == ("公式字串", "s")
    assert rows[1][2] == (None, "n", "General")  # an inline-string cell without text is empty


def test_numbers_booleans_errors_and_number_formats():
    rows = read(
        '<row r="1"><c r="A1"><v>42</v></c><c r="B1" t="n"><v>-2.5</v></c><c r="C1" s="2"><v>0.5</v></c>'
        '<c r="D1"><v>1E3</v></c></row>'
        '<row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="b"><v>0</v></c><c r="C2" t="e"><v>#DIV/0!</v></c></row>'
    )
    assert rows[0][0] == (42, "n", "General") and isinstance(rows[0][0][0], int)
    assert rows[0][1][:2] == (-2.5, "n") and rows[0][2] == (0.5, "n", "0.00%") and rows[0][3][0] == 1000.0
    assert rows[1][:3] == ((True, "b", "General"), (False, "b", "General"), ("#DIV/0!", "e", "General"))


def test_dates_from_serials_in_date_formats_and_iso_cells():
    rows = read(
        '<row r="1"><c r="A1" s="1"><v>44742</v></c><c r="B1" s="3"><v>44742.5</v></c>'
        '<c r="C1" t="d"><v>2022-06-30T00:00:00Z</v></c><c r="D1"><v>44742</v></c></row>'
    )
    assert rows[0][0] == (datetime(2022, 6, 30), "d", "yyyy-mm-dd")
    assert rows[0][1][:2] == (datetime(2022, 6, 30, 12), "d")
    assert rows[0][2][:2] == (datetime(2022, 6, 30), "d")
    assert rows[0][3] == (44742, "n", "General")  # a plain number stays a number
    # The 1904 date system (old Mac Excel) counts from 1904-01-01.
    assert read('<row r="1"><c r="A1" s="1"><v>43280</v></c></row>', date1904=True)[0][0][0] == datetime(
        2022, 6, 30
    )


def test_formulas_are_typed_f_without_a_value():
    """The upload refuses formulas by their type; neither the formula's text nor its cached result
    (which another program may not have computed) is taken as a value."""
    rows = read(
        '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="C1"><f t="shared" si="0"/></c></row>'
    )
    assert rows[0][:3] == ((None, "f", "General"), (None, "f", "General"), (None, "f", "General"))


def test_empty_and_missing_cells_and_rows_are_padded_to_the_width():
    rows = read(
        '<row r="2"><c r="B2" s="1"/><c r="D2"><v>4</v></c><c r="F2"><v>6</v></c></row>'
        '<row><c><v>1</v></c><c t="s"><v>0</v></c></row>',  # no references: positions follow on
        width=4,
    )
    empty = (None, "n", "General")
    assert rows[0] == (empty,) * 4  # row 1 is missing
    assert rows[1] == (empty, (None, "n", "yyyy-mm-dd"), empty, (4, "n", "General"))  # F2 beyond the width
    assert rows[2][:2] == ((1, "n", "General"), ("辦理情形", "s", "General"))
    assert read("", width=2) == []
    assert column_index("A") == 1 and column_index("Z") == 26 and column_index("AA") == 27


def test_only_the_named_sheets_are_read_and_rows_are_limited():
    data = xlsx('<row r="1"><c r="A1"><v>1</v></c></row>')
    assert read_sheets(data, {"other": 3}, 10) == {}
    with pytest.raises(TooManyRows):
        read_sheets(xlsx('<row r="1048576"><c r="A1048576"><v>1</v></c></row>'), {"S": 1}, 5000)


@pytest.mark.parametrize(
    "sheet",
    [
        b"<worksheet><sheetData><row r='1'><c r='A1'><v>1</v></row></sheetData>",  # not well-formed
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet>&a;</worksheet>',  # a DTD
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet>&a;</worksheet>'.encode(
            "utf-16"
        ),  # the same in another encoding
    ],
)
def test_malformed_or_dangerous_xml_is_an_error(sheet):
    with pytest.raises(XlsxError):
        read_sheets(xlsx(sheet), {"S": 2}, 100)


@pytest.mark.parametrize(
    "sheet_xml",
    [
        '<row r="1"><c r="1A"><v>1</v></c></row>',  # a bad reference
        '<row r="1"><c r="A1" t="s"><v>99</v></c></row>',  # no such shared string
        '<row r="1"><c r="A1"><v>abc</v></c></row>',  # not a number
    ],
)
def test_impossible_cells_are_an_error_not_a_crash(sheet_xml):
    with pytest.raises(XlsxError):
        read(sheet_xml)


def test_not_a_zip_or_missing_parts_is_an_error():
    with pytest.raises(XlsxError):
        read_sheets(b"PK\x03\x04 broken", {"S": 1}, 10)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}"/>')
    with pytest.raises(XlsxError):
        read_sheets(out.getvalue(), {"S": 1}, 10)


# --- against openpyxl and through the upload ---------------------------------------------------------


@pytest.fixture
def period(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


def test_a_download_reads_as_openpyxl_reads_it(period):
    user = editor("moea")
    data = excel.build_workbook(period, Agency.objects.get(code="moea"), user)
    ours = excel._read_workbook(data)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    for name, rows in ours.items():
        theirs = [[c.value for c in row] for row in wb[name].iter_rows(max_col=len(rows[0]))]
        assert [[c[0] for c in row] for row in rows] == theirs, name


def _replace_sheet(data: bytes, sheet: str, transform) -> bytes:
    """The workbook with one sheet's XML changed, as a tool other than Excel might write it."""
    names = dict(zip(load_workbook(io.BytesIO(data), read_only=True).sheetnames, range(1, 10), strict=False))
    target = f"xl/worksheets/sheet{names[sheet]}.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info.filename, transform(content) if info.filename == target else content)
    return out.getvalue()


def test_a_malformed_sheet_is_a_clear_problem_and_nothing_is_written(period):
    user = editor("moea")
    data = excel.build_workbook(period, Agency.objects.get(code="moea"), user)
    broken = _replace_sheet(data, excel.SHEET_WORK, lambda xml: xml.replace(b"</sheetData>", b"<row>"))
    before = ObjectChange.objects.count()
    result = excel.import_workbook(broken, user)
    assert not result.ok
    assert [p.as_dict() for p in result.problems] == [
        {"sheet": excel.SHEET_WORK, "cell": "", "message": "無法讀取檔案內容：活頁簿已損毀。"}
    ]
    assert ObjectChange.objects.count() == before


def test_a_date_serial_and_shared_strings_are_imported(period):
    """A work item done on 111/6/30, typed as a date (a serial in a date-formatted cell) as Excel saves it."""
    user = editor("moea")
    moea = Agency.objects.get(code="moea")
    submission = Submission.objects.get(period=period, agency=moea, industry__code="1")
    line = submission.work_item_reports.select_related("work_item__schedule").first()
    key = f"{line.work_item.schedule.code}/{line.work_item.code}"
    data = excel.build_workbook(period, moea, user)
    ws = load_workbook(io.BytesIO(data))[excel.SHEET_WORK]
    row = next(
        r for r in range(3, ws.max_row + 1) if ws.cell(r, 2).value == key and ws.cell(r, 1).value == "1"
    )
    serial = (date(2022, 6, 30) - date(1899, 12, 30)).days
    done = excel.WORK_STATUS_LABELS["done"]

    def fill(xml: bytes) -> bytes:
        text = xml.decode()
        for column, cell in ((6, "<v>100</v>"), (7, f"<is><t>{done}</t></is>"), (10, f"<v>{serial}</v>")):
            ref = f"{'ABCDEFGHIJ'[column - 1]}{row}"
            start = text.index(f'<c r="{ref}"')
            end = text.index(">", start)
            closing = text.index("</c>", end) + 4 if not text[end - 1] == "/" else end + 1
            style = text[start:end].split('s="')[1].split('"')[0]
            kind = ' t="inlineStr"' if "<is>" in cell else ""
            text = text[:start] + f'<c r="{ref}" s="{style}"{kind}>{cell}</c>' + text[closing:]
        return text.encode()

    result = excel.import_workbook(_replace_sheet(data, excel.SHEET_WORK, fill), user)
    assert result.ok, [p.as_dict() for p in result.problems]
    line = WorkItemReport.objects.get(pk=line.pk)
    assert (line.status, line.percent, line.completed_on) == ("done", 100, date(2022, 6, 30))


def test_workbook_and_styles_parts_are_read_per_file_even_when_remembered():
    """The parsed workbook and styles parts are kept by their bytes: a file with other bytes (date
    system, number formats, sheet names) is read with its own, before and after the first is seen again."""
    cell = '<row r="1"><c r="A1" s="1"><v>44742</v></c></row>'
    plain = xlsx(cell)
    assert read_sheets(plain, {"S": 1}, 10)["S"][0][0] == (datetime(2022, 6, 30), "d", "yyyy-mm-dd")
    in_1904 = xlsx(cell, date1904=True)
    assert read_sheets(in_1904, {"S": 1}, 10)["S"][0][0][0] == datetime(2026, 7, 1)
    renamed = xlsx(cell, name="T")
    assert read_sheets(renamed, {"S": 1}, 10) == {}
    assert read_sheets(renamed, {"T": 1}, 10)["T"][0][0][0] == datetime(2022, 6, 30)
    archive = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(archive, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/styles.xml":
                content = content.replace(b'<xf numFmtId="164"/>', b'<xf numFmtId="10"/>')
            target.writestr(info.filename, content)
    assert read_sheets(archive.getvalue(), {"S": 1}, 10)["S"][0][0] == (44742, "n", "0.00%")
    assert read_sheets(plain, {"S": 1}, 10)["S"][0][0] == (datetime(2022, 6, 30), "d", "yyyy-mm-dd")
