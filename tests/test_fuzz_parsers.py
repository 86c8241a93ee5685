"""Fuzzing the parsers with Hypothesis (issue #9): no exception other than our own validation errors.

sixcore/plan/tests/test_targets.py and sixcore/core/tests/test_roc.py already feed arbitrary text (``st.text()``) to the target
and ROC parsers; arbitrary text almost never looks like a target or a date, so here the texts are built
from the parsers' own vocabulary (numbers in every notation, measure words, qualifiers, dates, markup),
where the edge cases are. The import readers get arbitrary bytes, zip archives with arbitrary parts,
real files with damaged parts, and real files with arbitrary cell values.

Deterministic: derandomized, no example database (the same cases on every run, in CI too).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import unicodedata
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sixcore.core.roc import (
    RocDateError,
    format_quarter,
    parse_quarter,
    parse_roc_month,
    parse_roc_period,
    quarter_bounds,
)
from sixcore.plan.targets import _UNIT_PATTERNS, KINDS, parse_target

SLOW_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


def fuzz(examples: int = 100, **kwargs) -> settings:
    """Deterministic: derandomized and without an example database."""
    return settings(derandomize=True, database=None, deadline=None, max_examples=examples, **kwargs)


DB_FUZZ = fuzz(25, suppress_health_check=SLOW_CHECKS)

# --- vocabulary ------------------------------------------------------------------------------------

_digits = st.integers(0, 10**16).map(str)
_arabic = st.one_of(
    _digits,
    st.integers(0, 10**20).map(lambda n: f"{n:,}"),  # thousands separators
    st.decimals(0, 10**9, places=3, allow_nan=False).map(str),
    st.sampled_from(["0", "00", "1.", ".5", "1,00", "1,000,0", "9" * 40, "1" + ",000" * 12 + ".5"]),
)
_zh_numeral = st.text(alphabet="零〇一二兩三四五六七八九十百千", min_size=1, max_size=4)
_number = st.one_of(_arabic, _zh_numeral)
_unit = st.sampled_from([*_UNIT_PATTERNS, "吋", "奈米", "MW", "G", "年", "月", "日"])
_qualifier = st.sampled_from(
    ["", "至少", "最少", "不少於", "逾", "超過", "≥", ">=", "≤", "<=", "不超過", "最多", "\\geq ", "$\\geq"]
)
_post = st.sampled_from(["", "以上", "以下", "以內", "(含)以上", "(含)", "%$", "\\%"])
_separator = st.sampled_from(["~", "-", "至", "到", "～", "–", "—", "〜", " - ", "/", "、"])
_word = st.sampled_from(
    ["累計", "累積", "合計", "每年", "每季", "每半年", "年均", "推動", "完成", "國際級", "廠商", "至", "迄",
     "年底前", "前", "第", "5G", "B5G", "R16", "FY111", "ISO27001", "6.2.1", "1.2.2 ", "。", "，", "\n"]
)  # fmt: skip
_markup = st.sampled_from(
    ["", "<p>", "</p>", "<sup>1</sup>", "<br/>", "<b>", " ", "\u3000", "$", "\\text{人}"]
)


@st.composite
def _quantity_phrase(draw) -> str:
    low = draw(_number)
    high = draw(st.one_of(st.just(""), st.tuples(_separator, _number).map("".join)))
    return draw(_qualifier) + low + high + draw(st.sampled_from(["", " "])) + draw(_unit) + draw(_post)


@st.composite
def _date_phrase(draw) -> str:
    year = draw(st.integers(0, 1200))
    month = draw(st.integers(0, 14))
    day = draw(st.integers(0, 33))
    return draw(
        st.sampled_from(
            [f"{year}/{month}", f"{year}/{month}/{day}", f"{year} 年 {month} 月", f"{year}年{month}月{day}日",
             f"{year} 年", f"{year}~{year + draw(st.integers(-3, 3))} 年", f"{1911 + year}-{1911 + year + 5}",
             f"{year}Q{month}", f"{year} 年第 {month} 季"]
        )
    )  # fmt: skip


_target_text = st.lists(
    st.one_of(_quantity_phrase(), _date_phrase(), _word, _markup, _number, _unit), max_size=8
).map("".join)


def _fullwidth(text: str) -> str:
    """Digits, ``%`` and ``~`` as their full-width forms (NFKC folds them back), as the PDF
    conversion writes them; markup stays ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if c in "0123456789%~" else c for c in text)


# --- the target quantifier -------------------------------------------------------------------------


@fuzz(400)
@given(_target_text, st.sampled_from(["annual", "full_term"]))
def test_target_parser_reads_vocabulary_texts_consistently(text: str, scope: str) -> None:
    result = parse_target(text, scope)
    if result is None:
        return
    assert result.kind in KINDS
    for item in (result, *result.components):
        assert item.min is None or item.max is None or item.min <= item.max
        if item.value is not None:
            assert item.value.is_finite()
            assert item.min is None or item.min <= item.value
            assert item.max is None or item.value <= item.max
    if result.components:
        assert result.unit == result.components[0].unit
        assert all(c.unit in _UNIT_PATTERNS for c in result.components)
    else:
        assert result.kind == "milestone" and result.value is None and result.unit == ""
    # Stored in JSONField columns: strict JSON (no NaN or Infinity), which PostgreSQL's jsonb insists on.
    json.dumps(result.to_dict(), allow_nan=False)


@fuzz(300)
@given(_target_text, st.sampled_from(["annual", "full_term"]))
def test_target_reading_ignores_full_width_forms_and_markup(text: str, scope: str) -> None:
    """The PDF conversion writes digits full-width and wraps cells in tags: the reading must not change."""

    def reading(t: str):
        result = parse_target(t, scope)
        return result and (result.kind, result.value, result.min, result.max, result.unit, result.by_year)

    assert reading(_fullwidth(text)) == reading(text)
    assert reading(f"<p>{text}</p>") == reading(text)


@fuzz(200)
@given(st.text(alphabet=st.characters(codec="utf-8")), st.sampled_from(["annual", "full_term"]))
def test_target_parser_on_arbitrary_unicode_after_normalisation(text: str, scope: str) -> None:
    """Characters NFKC expands (ligatures, circled and superscript digits) go through the same reading."""
    result = parse_target(unicodedata.normalize("NFKD", text) + text, scope)
    if result is not None:
        json.dumps(result.to_dict(), allow_nan=False)


def test_a_comparison_is_not_markup() -> None:
    """Found by the fuzz: "<=0億美元</p>" was read as one tag, and the quantity vanished."""
    for text in ("<=3 億美元", "<p><=3 億美元</p>", "< 3 件以下<br/>"):
        result = parse_target(text)
        assert result is not None and result.max == 3 and result.kind == "per_period", text


# --- ROC dates and quarters ------------------------------------------------------------------------

_roc_text = st.lists(
    st.one_of(
        _date_phrase(), _separator, _markup, _digits, st.sampled_from(["年", "月", "日", "Q", "q", "前"])
    ),
    max_size=6,
).map("".join)


@fuzz(400)
@given(st.one_of(_roc_text, _roc_text.map(_fullwidth)))
def test_roc_parsers_raise_only_roc_date_errors(text: str) -> None:
    try:
        month = parse_roc_month(text)
    except RocDateError:
        pass
    else:
        assert isinstance(month, date) and month.year > 1911

    try:
        start, end = parse_roc_period(text)
    except RocDateError:
        pass
    else:
        assert start.day == end.day == 1 and start <= end

    try:
        roc_year, quarter = parse_quarter(text)
    except RocDateError:
        pass
    else:
        assert parse_quarter(format_quarter(roc_year, quarter)) == (roc_year, quarter)
        first, last = quarter_bounds(roc_year, quarter)
        assert first <= last


@fuzz()
@given(st.one_of(st.integers(), st.floats(), st.none(), st.binary(), st.dates()))
def test_roc_parsers_refuse_non_text_with_their_own_error(value: object) -> None:
    for parser in (parse_roc_month, parse_roc_period, parse_quarter):
        with pytest.raises(RocDateError):
            parser(value)  # type: ignore[arg-type]


# --- the Excel upload ------------------------------------------------------------------------------

_XML_PARTS = ["[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
              "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"]  # fmt: skip


def _zip(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in parts.items():
            # A fixed timestamp: the same parts give the same bytes (Hypothesis replays examples).
            archive.writestr(zipfile.ZipInfo(name, date_time=(2022, 7, 5, 0, 0, 0)), content, method)
    return out.getvalue()


@functools.cache
def _small_workbook() -> bytes:
    """A real .xlsx (openpyxl) with text, numbers, a date, a formula and a custom number format."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "績效指標"
    ws.append(["產業", "措施", "實績值", "日期"])
    ws.append(["1", "1.2", 2.5, datetime(2022, 6, 30)])
    ws.append(["1", "1.3", "=1+1", 45000])
    ws["D3"].number_format = "yyyy/mm/dd"
    out = io.BytesIO()
    wb.save(out)
    # openpyxl stamps the save time into docProps/core.xml: drop it, so that every run mutates the same bytes.
    parts = _parts_of(out.getvalue())
    del parts["docProps/core.xml"]
    return _zip(parts)


def _parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


_xml_noise = st.sampled_from(
    ['<c r="A1" t="s"><v>999</v></c>', '<c r="A1" t="s"><v>-1</v></c>', '<c r="ZZZZ1"><v>1</v></c>',
     '<c r="1A"><v>1</v></c>', '<c r="A1" s="99"><v>1e400</v></c>', '<c r="A1" s="-3"><v>nan</v></c>',
     '<c r="A1" t="d"><v>2022-13-45</v></c>', '<c r="A1" t="b"><v>yes</v></c>', '<c t="n"><v>x</v></c>',
     '<row r="0"/>', '<row r="-2"/>', '<row r="99999999999999"/>', '<row r="x"/>', '<numFmt numFmtId="x"/>',
     '<xf numFmtId="abc"/>', '<xf numFmtId="99999999999"/>', '<sheet name="s" r:id="rId404"/>', "<!DOCTYPE x>",
     "&bogus;", "<", "\x00", "\ufeff"]
)  # fmt: skip


_hostile_attribute = st.sampled_from(
    ["abc", "-1", "99999999999999999999", "", "1e400", "A0", "ZZZZ1", "rId404"]
)
_ATTRIBUTE = re.compile(rb'(\w+)="[^"]*"')


@st.composite
def _damaged_workbook(draw) -> bytes:
    """A real workbook with parts replaced, cut, spliced with hostile XML, an attribute given a hostile
    value, or the archive itself damaged."""
    parts = _parts_of(_small_workbook())
    for _ in range(draw(st.integers(1, 3))):
        if not parts:
            break
        name = draw(st.sampled_from(sorted(parts)))
        content = parts[name]
        how = draw(st.sampled_from(["cut", "splice", "attribute", "replace", "drop"]))
        if how == "cut":
            parts[name] = content[: draw(st.integers(0, len(content)))]
        elif how == "splice":
            at = draw(st.integers(0, len(content)))
            parts[name] = content[:at] + draw(_xml_noise).encode() + content[at:]
        elif how == "attribute" and (attributes := list(_ATTRIBUTE.finditer(content))):
            found = draw(st.sampled_from(attributes))
            value = draw(_hostile_attribute).encode()
            parts[name] = (
                content[: found.start()] + found.group(1) + b'="' + value + b'"' + content[found.end() :]
            )
        elif how == "replace":
            parts[name] = draw(st.binary(max_size=64))
        else:
            parts.pop(name)
    data = _zip(parts, draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])))
    if draw(st.booleans()):  # damage the compressed bytes themselves (CRC, deflate stream, headers)
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    return data


_upload_bytes = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
    st.dictionaries(st.sampled_from(_XML_PARTS), st.binary(max_size=80), max_size=6).map(_zip),
    _damaged_workbook(),
)


@fuzz(300, suppress_health_check=SLOW_CHECKS, report_multiple_bugs=False)
@given(_upload_bytes)
def test_xlsx_reader_raises_only_its_own_error(data: bytes) -> None:
    from sixcore.progress import xlsx_reader

    widths = {"績效指標": 6, "_meta": 4}
    try:
        sheets = xlsx_reader.read_sheets(data, widths, 100)
    except xlsx_reader.XlsxError:
        return
    for rows in sheets.values():
        assert all(len(row) == widths["績效指標"] or len(row) == widths["_meta"] for row in rows)


def _patch_central_directory(data: bytes, name: str, offset: int, value: bytes) -> bytes:
    """``data`` with the central-directory entry of ``name`` changed at ``offset`` (flags at 8, method at 10)."""
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + length] == name.encode():
            return data[: at + offset] + value + data[at + offset + len(value) :]
        at += 46


def _damaged_member(how: str) -> bytes:
    """The small workbook with one zip member damaged, as a truncated or tampered upload would be."""
    sheet = "xl/worksheets/sheet1.xml"
    if how in ("crc", "deflate"):
        data = _zip(
            _parts_of(_small_workbook()), zipfile.ZIP_STORED if how == "crc" else zipfile.ZIP_DEFLATED
        )
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(sheet)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 8
        return data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1 :]
    data = _zip(_parts_of(_small_workbook()))
    if how == "encrypted":  # general-purpose flag bit 0
        return _patch_central_directory(data, sheet, 8, b"\x01\x00")
    return _patch_central_directory(data, sheet, 10, b"\x63\x00")  # compression method 99


@pytest.mark.parametrize("how", ["crc", "deflate", "encrypted", "method"])
def test_damaged_zip_member_is_the_readers_own_error(how: str) -> None:
    from sixcore.progress import xlsx_reader

    with pytest.raises(xlsx_reader.XlsxError):
        xlsx_reader.read_sheets(_damaged_member(how), {"績效指標": 4}, 100)


def test_non_numeric_number_format_id_is_the_readers_own_error() -> None:
    from sixcore.progress import xlsx_reader

    parts = _parts_of(_small_workbook())
    parts["xl/styles.xml"] = re.sub(
        rb'(<cellXfs[^>]*><xf )numFmtId="0"', rb'\1numFmtId="abc"', parts["xl/styles.xml"]
    )
    assert b'numFmtId="abc"' in parts["xl/styles.xml"]
    with pytest.raises(xlsx_reader.XlsxError):
        xlsx_reader.read_sheets(_zip(parts), {"績效指標": 4}, 100)


@pytest.fixture
def excel_period(program, monkeypatch):
    from tests.factories import open_period

    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")  # inside 111Q2's reporting window
    return open_period("111Q2")


@pytest.mark.django_db
def test_excel_upload_of_hostile_bytes_is_refused_with_a_problem(excel_period):
    from sixcore.progress import excel
    from tests.factories import editor

    user = editor("moea")

    @fuzz(40, suppress_health_check=SLOW_CHECKS, report_multiple_bugs=False)
    @given(_upload_bytes)
    def upload(data: bytes) -> None:
        result = excel.import_workbook(data, user)
        assert not result.ok and result.problems

    upload()


@pytest.mark.django_db
def test_excel_upload_of_a_workbook_with_a_damaged_sheet_is_refused_with_a_problem(excel_period):
    from sixcore.progress import excel
    from tests.factories import editor

    result = excel.import_workbook(_damaged_member("crc"), editor("moea"))
    assert not result.ok and result.problems


_cell_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),  # openpyxl writes inf/nan as text Excel refuses
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(float),
    st.dates(date(1900, 3, 1), date(9999, 12, 31)),
    st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=30),
    st.sampled_from(["=1+1", "'=SUM(A1)", "111/4/30", "2022-06-31", "是", "否", "落後", "已完成", "千元", "億元",
                     "1e400", "NaN", "-0", "1,234.5", "１２３", "12%", "#N/A", "999999999999999999"]),
)  # fmt: skip


@pytest.mark.django_db
def test_excel_upload_with_arbitrary_cell_values_reports_problems_or_saves(excel_period):
    """The downloaded workbook with any value in any cell of the data sheets (keys included)."""
    from openpyxl import load_workbook

    from sixcore.accounts.models import Agency
    from sixcore.progress import excel
    from sixcore.progress.models import Submission
    from tests.factories import editor

    user, moea = editor("moea"), Agency.objects.get(code="moea")
    original = excel.build_workbook(excel_period, moea, user)
    workbook = load_workbook(io.BytesIO(original))
    sheets = [spec.name for spec in excel.SHEETS]

    def versions() -> dict[int, int]:
        return dict(Submission.objects.filter(period=excel_period, agency=moea).values_list("pk", "version"))

    @DB_FUZZ
    @given(
        st.lists(
            st.tuples(st.sampled_from(sheets), st.integers(0, 40), st.integers(1, 12), _cell_value),
            min_size=1,
            max_size=6,
        )
    )
    def upload(edits: list[tuple[str, int, int, object]]) -> None:
        saved = []
        for sheet, row, column, value in edits:
            cell = workbook[sheet].cell(excel.FIRST_DATA_ROW + row, column)
            saved.append((cell, cell.value))
            cell.value = value
        out = io.BytesIO()
        workbook.save(out)
        for cell, value in reversed(saved):
            cell.value = value
        before = versions()
        from django.db import transaction

        with transaction.atomic():
            result = excel.import_workbook(out.getvalue(), user)
            if not result.ok:
                assert result.problems and versions() == before  # nothing written
            transaction.set_rollback(True)  # every example starts from the downloaded state

    upload()


# --- the supplies importer (CSV / XLSX) -----------------------------------------------------------

_SUPPLIES_HEADER = ["item", "reporter", "date", "unit", "stock", "consumption", "production", "price"]


@st.composite
def _supplies_csv(draw) -> bytes:
    header = draw(st.one_of(st.just(_SUPPLIES_HEADER), st.permutations(_SUPPLIES_HEADER).map(list)))
    cell = st.one_of(
        st.sampled_from(["natural-gas", "demo-gas-a", "cement", "2023-06-30", "112/06/30", "112/02/30", "0",
                         "-1", "1e9999", "NaN", "Infinity", "1,000", "12.34567", "9" * 30, "", " ", "萬噸"]),
        st.text(max_size=12),
    )  # fmt: skip
    rows = draw(st.lists(st.lists(cell, max_size=len(header) + 2), max_size=5))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


@st.composite
def _supplies_xlsx(draw) -> bytes:
    """A workbook in the import's shape with any value in any cell (numbers, dates, booleans, text)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(draw(st.one_of(st.just(_SUPPLIES_HEADER), st.permutations(_SUPPLIES_HEADER).map(list))))
    for row in draw(st.lists(st.lists(_cell_value, max_size=len(_SUPPLIES_HEADER) + 1), max_size=4)):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _accepted(name: str, content: bytes) -> bool:
    """What the upload views check before any parser sees the file (sixcore/core/uploads.py)."""
    from sixcore.core.uploads import UploadRefused, check_content, extension

    try:
        check_content(extension(name), content)
    except UploadRefused:
        return False
    return True


@pytest.fixture
def supplies_demo(monkeypatch) -> date:
    from sixcore.supplies.demo import load_demo

    as_of = date(2023, 6, 30)
    monkeypatch.setenv("SIXCORE_AS_OF", as_of.isoformat())
    load_demo(as_of)
    return as_of


def _import_as_uploaded(name: str, content: bytes, as_of: date) -> None:
    """As the upload views: the upload check, then the import, whose problems are row errors, never
    raised; with errors nothing is written. Rolled back: every example starts from the demo."""
    from django.db import transaction

    from sixcore.supplies.importer import import_file
    from sixcore.supplies.models import Observation

    if not _accepted(name, content):
        return
    with transaction.atomic():
        count = Observation.objects.count()
        result = import_file(name=name, content=content, today=as_of)
        if not result.ok:
            assert Observation.objects.count() == count
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_supplies_csv_import_reports_problems_and_never_raises(supplies_demo):
    @DB_FUZZ
    @given(st.sampled_from(["upload.csv", "UPLOAD.CSV"]), st.one_of(_supplies_csv(), st.binary(max_size=100)))
    def upload(name: str, content: bytes) -> None:
        _import_as_uploaded(name, content, supplies_demo)

    upload()


@pytest.mark.django_db
def test_supplies_xlsx_import_reports_problems_and_never_raises(supplies_demo):
    """Found by the fuzz: openpyxl's errors on a damaged workbook escaped import_file (a 500)."""

    @fuzz(25, suppress_health_check=SLOW_CHECKS, report_multiple_bugs=False)
    @given(st.one_of(_supplies_xlsx(), _upload_bytes))
    def upload(content: bytes) -> None:
        _import_as_uploaded("upload.xlsx", content, supplies_demo)

    upload()


@pytest.mark.django_db
def test_supplies_import_of_a_workbook_with_a_damaged_sheet_is_a_row_error(supplies_demo):
    from sixcore.supplies.importer import import_file

    content = _damaged_member("crc")
    assert _accepted("upload.xlsx", content)  # the upload check reads the zip directory only
    result = import_file(name="upload.xlsx", content=content, today=supplies_demo)
    assert not result.ok


@pytest.mark.parametrize("how", ["deflate", "method"])
def test_upload_check_refuses_a_damaged_content_types_part(how: str) -> None:
    from sixcore.core.uploads import UploadRefused, check_content

    data = _zip(_parts_of(_small_workbook()))
    name = "[Content_Types].xml"
    if how == "deflate":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(name)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 8
        data = data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1 :]
    else:
        data = _patch_central_directory(data, name, 10, b"\x63\x00")  # compression method 99
    with pytest.raises(UploadRefused):
        check_content(".xlsx", data)


# --- the revision upload (plan data files) ---------------------------------------------------------

DATA_DIR = Path(__file__).resolve().parents[1] / "sixcore" / "plan" / "data"


@st.composite
def _damaged_data_file(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(["kpis_1.yaml", "schedules_2.yaml", "program.yaml"]))
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "replace", "value"]))
        if how == "drop":
            del lines[at]
        elif how == "replace":
            lines[at] = draw(st.sampled_from(["- \n", ": :\n", "  - [\n", "&a x\n", "*a\n", "!!python/name:os.system\n",
                                              "\t\n", "key: {a: 1\n", "period: 112/13~111/1\n", "... \n"]))  # fmt: skip
        else:
            indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
            key = lines[at].strip().split(":", 1)[0]
            value = draw(st.sampled_from(["", "null", "[]", "{}", "-1", "1e999", ".nan", "'110/1-'", "2022-02-30",
                                          "~", "yes", "[1, [2]]", "'9' * 3", "\"\\u0000\""]))  # fmt: skip
            lines[at] = f"{indent}{key}: {value}\n"
    return name, "".join(lines).encode("utf-8")


@fuzz(30, suppress_health_check=SLOW_CHECKS)
@given(
    st.one_of(
        _damaged_data_file(),
        st.tuples(st.sampled_from(["kpis_1.yaml", "program.yaml", "other.yaml"]), st.binary(max_size=100)),
    )
)
def test_revision_data_file_upload_raises_only_data_errors(upload: tuple[str, bytes]) -> None:
    """As the upload view calls it: after the upload check, only DataError naming file and line."""
    from sixcore.plan.datafiles import DataError
    from sixcore.revisions.services import validate_data_file

    name, content = upload
    if not _accepted(name, content):  # as the upload view: not UTF-8, anchors, tags… are refused first
        return
    try:
        validate_data_file(name, content)
    except DataError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


def test_the_fuzzed_workbook_parts_are_real() -> None:
    """Guard: the mutations start from a workbook the reader accepts, with the values written."""
    from sixcore.progress import xlsx_reader

    sheets = xlsx_reader.read_sheets(_small_workbook(), {"績效指標": 4}, 100)
    rows = sheets["績效指標"]
    assert rows[1][2][0] == 2.5 and rows[2][2][1] == "f"
    assert rows[2][3][1] == "d"
    assert isinstance(rows[1][2][0], float) and Decimal(str(rows[1][2][0])) == Decimal("2.5")
