"""Bulk import of observations: a file mixing good and bad rows writes nothing; re-import is a no-op."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from sixcore.core.models import ObjectChange
from sixcore.supplies.importer import ImportFailed, import_file, parse_date, parse_quantity
from sixcore.supplies.models import Assignment, ImportBatch, Observation, Reporter, SupplyItem
from sixcore.supplies.registry import seed_registry

TODAY = date(2023, 6, 30)
HEADER = "item,reporter,date,unit,production,imports,consumption,stock,price\n"


@pytest.fixture
def registry(db):
    from sixcore.supplies.models import SupplyItem

    seed_registry()
    gas_co = Reporter.objects.create(code="gas-co", name="天然氣業者")
    oil_co = Reporter.objects.create(code="oil-co", name="油品業者")
    Reporter.objects.create(code="stranger", name="未登記業者")
    Assignment.objects.create(item=SupplyItem.objects.get(code="natural-gas"), reporter=gas_co)
    Assignment.objects.create(item=SupplyItem.objects.get(code="oil"), reporter=oil_co)
    return {"gas": gas_co, "oil": oil_co}


GOOD = (
    HEADER
    + "natural-gas,gas-co,2023-04-30,公噸,,1000,900,8000,\n"
    + "natural-gas,gas-co,2023-05-31,公噸,,1000,950,8050,\n"
    + 'natural-gas,gas-co,112/06/30,公噸,,"1,000",930,8120,\n'
    + "oil,oil-co,2023-06-29,公秉,100,200,300,90000,\n"
)


def test_good_file_is_imported_and_audited(registry):
    result = import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    assert result.ok, result.errors
    assert (result.rows, result.created, result.unchanged) == (4, 4, 0)
    june = Observation.objects.get(item__code="natural-gas", date=date(2023, 6, 30))
    assert june.imports == Decimal(1000) and june.stock == Decimal(8120) and june.source == "import"
    assert (
        ObjectChange.objects.filter(action="supplies.import", changed_object_id=str(result.batch.pk)).count()
        == 1
    )


def test_reimporting_the_same_file_changes_nothing(registry):
    import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    before = (Observation.objects.count(), ImportBatch.objects.count(), ObjectChange.objects.count())
    again = import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    assert again.ok
    assert (again.created, again.unchanged) == (0, 4)
    assert (Observation.objects.count(), ImportBatch.objects.count(), ObjectChange.objects.count()) == before


def test_overlapping_file_adds_only_new_rows(registry):
    import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    more = GOOD + "natural-gas,gas-co,2023-03-31,公噸,,1000,900,7900,\n"
    result = import_file(name="more.csv", content=more.encode(), today=TODAY)
    assert (result.created, result.unchanged) == (1, 4)


BAD_ROWS = [
    ("natural-gas,gas-co,2023-02-28,公噸,,,900,-5,", "存量為負數"),
    ("natural-gas,gas-co,2023-01-31,公秉,,,900,100,", "單位「公秉」與品項的單位「公噸」不符"),
    ("natural-gas,gas-co,2023-07-31,公噸,,,900,100,", "晚於今天"),
    ("diamonds,gas-co,2023-01-31,公噸,,,900,100,", "未知的品項「diamonds」"),
    ("natural-gas,nobody,2023-01-31,公噸,,,900,100,", "未知的申報者「nobody」"),
    (
        "natural-gas,gas-co,2023-04-30,公噸,,,900,100,",
        "重複的申報：品項、申報者與日期和第 2 列相同",
    ),
    ("natural-gas,stranger,2023-01-31,公噸,,,900,100,", "不負責申報品項"),
    ("natural-gas,gas-co,2023-13-01,公噸,,,900,100,", "不是 YYYY-MM-DD 或民國 YYY/MM/DD 格式"),
    ("natural-gas,gas-co,2022-12-31,公噸,,,abc,100,", "銷售／消費量「abc」不是數字"),
    ("natural-gas,gas-co,2022-11-30,公噸,,,900,,", "存量未填"),
]


def test_mixed_file_reports_every_bad_row_and_writes_nothing(registry):
    content = GOOD + "".join(row + "\n" for row, _ in BAD_ROWS)
    result = import_file(name="mixed.csv", content=content.encode(), today=TODAY)
    assert not result.ok
    assert result.created == 0
    assert Observation.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert [e.row for e in result.errors] == list(range(6, 6 + len(BAD_ROWS)))
    for error, (_, reason) in zip(result.errors, BAD_ROWS, strict=True):
        assert error.file == "mixed.csv"
        assert reason in error.reason, (error, reason)
    assert str(result.errors[0]).startswith("mixed.csv:6: ")
    with pytest.raises(ImportFailed):
        import_file(name="mixed.csv", content=content.encode(), today=TODAY, raise_on_error=True)


def test_row_recorded_with_other_figures_is_a_duplicate_error(registry):
    import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    changed = GOOD.replace("8050", "9999") + "natural-gas,gas-co,2023-03-31,公噸,,1000,900,7900,\n"
    result = import_file(name="changed.csv", content=changed.encode(), today=TODAY)
    assert [(e.row, e.reason.split("：")[0]) for e in result.errors] == [(3, "重複的申報")]
    assert "存量 8050" in result.errors[0].reason
    assert Observation.objects.count() == 4  # the new March row was not written either


def test_missing_columns_and_empty_file(registry):
    result = import_file(
        name="cols.csv", content=b"item,reporter,date\nnatural-gas,gas-co,2023-01-31\n", today=TODAY
    )
    assert [str(e) for e in result.errors] == ["cols.csv:1: 缺少欄位：unit, stock"]
    assert (
        import_file(name="empty.csv", content=HEADER.encode(), today=TODAY).errors[0].reason
        == "檔案沒有資料列"
    )


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["品項", "申報者", "日期", "單位", "生產量", "進口量", "消費量", "存量", "價格"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_chinese_header_and_spreadsheet_dates(registry):
    content = _xlsx(
        [
            ["natural-gas", "gas-co", date(2023, 5, 31), "公噸", None, 1000, 950.5, 8050, None],
            ["natural-gas", "gas-co", "112/06/30", "公噸", None, 1000, 930, 8120, None],
            ["natural-gas", "gas-co", date(2023, 6, 15), "公噸", None, None, None, -1, None],
        ]
    )
    result = import_file(name="book.xlsx", content=content, today=TODAY)
    assert [(e.row, e.reason) for e in result.errors] == [(4, "存量為負數（-1）")]
    good = import_file(
        name="book.xlsx",
        content=_xlsx([["natural-gas", "gas-co", date(2023, 5, 31), "公噸", None, 1000, 950.5, 8050, None]]),
        today=TODAY,
    )
    assert good.created == 1
    assert Observation.objects.get().consumption == Decimal("950.5")


def test_ods_is_read_as_the_xlsx_is(registry):
    """An OpenDocument spreadsheet (as LibreOffice or the government's ODF tools save it): the same
    rows, dates and errors as the same sheet in .xlsx."""
    from openpyxl import load_workbook

    from sixcore.core.opendocument import workbook_to_ods

    rows = [
        ["natural-gas", "gas-co", date(2023, 5, 31), "公噸", None, 1000, 950.5, 8050, None],
        ["natural-gas", "gas-co", "112/06/30", "公噸", None, 1000, 930, 8120, None],
        ["natural-gas", "gas-co", date(2023, 6, 15), "公噸", None, None, None, -1, None],
    ]
    ods = workbook_to_ods(load_workbook(io.BytesIO(_xlsx(rows))))
    result = import_file(name="book.ods", content=ods, today=TODAY)
    assert [(e.row, e.reason) for e in result.errors] == [(4, "存量為負數（-1）")]
    good = import_file(
        name="book.ods", content=workbook_to_ods(load_workbook(io.BytesIO(_xlsx(rows[:2])))), today=TODAY
    )
    assert good.created == 2
    assert sorted(Observation.objects.values_list("date", "consumption")) == [
        (date(2023, 5, 31), Decimal("950.5")),
        (date(2023, 6, 30), Decimal("930")),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2023-06-30", date(2023, 6, 30)), ("112/6/30", date(2023, 6, 30)), ("112.06.30", date(2023, 6, 30))],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("1,234.5", Decimal("1234.5")), ("", None), (None, None), (3, Decimal(3))]
)
def test_parse_quantity(text, expected):
    assert parse_quantity(text, "stock") == expected


def test_parse_quantity_rejects_too_many_decimals():
    with pytest.raises(ValueError, match="超過 4 位小數"):
        parse_quantity("1.00001", "stock")


def test_import_command(registry, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIXCORE_AS_OF", TODAY.isoformat())
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("supplies", "import", str(path))
    assert "4 observation(s) written" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + BAD_ROWS[0][0] + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="bad.csv 有 1 列錯誤，未匯入任何資料"):
        call_command("supplies", "import", str(bad))
    assert "bad.csv:2: 存量為負數" in capsys.readouterr().err


# --- every error kind, exactly as reported (the staging-table importer must say what it said before) --

EVERY_KIND = [
    # (row, expected reason); the header is row 1 and GOOD's four rows are 2–5
    ("natural-gas,gas-co,2023-02-28,公噸,,,900,-5,", "存量為負數（-5）"),
    (
        "natural-gas,gas-co,2023-01-31,公秉,,,900,100,",
        "單位「公秉」與品項的單位「公噸」不符",
    ),
    ("natural-gas,gas-co,2023-01-30,,,,900,100,", "單位未填"),
    (
        "natural-gas,gas-co,2023-07-31,公噸,,,900,100,",
        "日期 2023-07-31 晚於今天（今天是 2023-06-30）",
    ),
    ("natural-gas,gas-co,,公噸,,,900,100,", "日期未填"),
    (
        "natural-gas,gas-co,2023-13-01,公噸,,,900,100,",
        "日期「2023-13-01」不是 YYYY-MM-DD 或民國 YYY/MM/DD 格式",
    ),
    ("natural-gas,gas-co,112/02/30,公噸,,,900,100,", "日期「112/02/30」不是有效的民國日期"),
    ("diamonds,gas-co,2023-01-29,公噸,,,900,100,", "未知的品項「diamonds」"),
    ("natural-gas,nobody,2023-01-28,公噸,,,900,100,", "未知的申報者「nobody」"),
    (
        "natural-gas,stranger,2023-01-27,公噸,,,900,100,",
        "申報者「stranger」不負責申報品項「natural-gas」",
    ),
    ("natural-gas,gas-co,2022-12-31,公噸,,,abc,100,", "銷售／消費量「abc」不是數字"),
    ("natural-gas,gas-co,2022-12-30,公噸,,NaN,900,100,", "進口量「NaN」不是數字"),
    (
        "natural-gas,gas-co,2022-12-29,公噸,1.00001,,900,100,",
        "生產量 1.00001 超過 4 位小數",
    ),
    ("natural-gas,gas-co,2022-12-28,公噸,,,900,12345678901234567,", "存量 12345678901234567 過大"),
    ("natural-gas,gas-co,2022-12-27,公噸,,,900,100,-1", "價格為負數（-1）"),
    ("natural-gas,gas-co,2022-11-30,公噸,,,900,,", "存量未填"),
    ("natural-gas,gas-co,2022-11-29,公噸,,,900,  ,", "存量未填"),
    (
        "diamonds,nobody,2099-01-01,公噸,-1,,x,,",
        "未知的品項「diamonds」; 未知的申報者「nobody」; 日期 2099-01-01 晚於今天（今天是 2023-06-30）; "
        "生產量為負數（-1）; 銷售／消費量「x」不是數字; 存量未填",
    ),
    (
        "natural-gas,gas-co,2023-04-30,公噸,,,900,100,",
        "重複的申報：品項、申報者與日期和第 2 列相同",
    ),
    (
        "natural-gas,gas-co,112/04/30,公噸,,,900,100,",
        "重複的申報：品項、申報者與日期和第 2 列相同",
    ),
    ("oil,oil-co,2023-06-29,公秉,,,1,1,", "重複的申報：品項、申報者與日期和第 5 列相同"),
]


def _counts():
    return (Observation.objects.count(), ImportBatch.objects.count(), ObjectChange.objects.count())


def _staging_table_left() -> bool:
    from django.db import DatabaseError, connection, transaction

    from sixcore.supplies.importer import STAGING_TABLE

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {STAGING_TABLE}")  # noqa: S608 - a fixed name
    except DatabaseError:
        return False
    return True


def test_every_error_kind_is_reported_with_its_row_and_nothing_is_written(registry):
    before = _counts()
    content = GOOD + "".join(row + "\n" for row, _ in EVERY_KIND)
    result = import_file(name="kinds.csv", content=content.encode(), today=TODAY)
    assert [(e.file, e.row, e.reason) for e in result.errors] == [
        ("kinds.csv", row, reason) for row, (_, reason) in enumerate(EVERY_KIND, start=6)
    ]
    assert (result.rows, result.created, result.batch) == (4 + len(EVERY_KIND), 0, None)
    assert _counts() == before
    assert not _staging_table_left()


def test_a_file_with_only_a_duplicate_writes_nothing(registry):
    content = GOOD + "natural-gas,gas-co,2023-05-31,公噸,,1000,950,8050,\n"
    result = import_file(name="dup.csv", content=content.encode(), today=TODAY)
    assert [str(e) for e in result.errors] == ["dup.csv:6: 重複的申報：品項、申報者與日期和第 3 列相同"]
    assert _counts()[:2] == (0, 0)


def test_a_bad_row_after_a_million_good_ones_is_not_needed_to_roll_back(registry):
    """Errors are found before anything is written: the observations table is never touched."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    content = GOOD + EVERY_KIND[0][0] + "\n"
    with CaptureQueriesContext(connection) as queries:
        result = import_file(name="bad.csv", content=content.encode(), today=TODAY)
    assert [e.row for e in result.errors] == [6]
    writes = [
        q["sql"] for q in queries if "supplies_observation" in q["sql"] and "INSERT" in q["sql"].upper()
    ]
    assert writes == []
    assert not any("supplies_importbatch" in q["sql"] for q in queries)


def test_recorded_with_other_figures_quotes_every_difference_in_row_order(registry):
    import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    before = _counts()
    changed = (
        HEADER
        + "natural-gas,gas-co,2023-06-30,公噸,,1000,931,8120,7\n"  # consumption and price differ
        + "natural-gas,gas-co,2023-03-31,公噸,,1000,900,7900,\n"  # new: not written either
        + "natural-gas,gas-co,2023-04-30,公噸,,1000,900,8000.5,\n"  # stock differs
        + "natural-gas,gas-co,2023-05-31,公噸,,1000,950,8050,\n"  # the same: unchanged
    )
    result = import_file(name="changed.csv", content=changed.encode(), today=TODAY)
    assert [(e.row, e.reason) for e in result.errors] == [
        (
            2,
            "重複的申報：已有數值不同的紀錄（銷售／消費量 930.0000 ≠ 931, 價格 None ≠ 7）",
        ),
        (4, "重複的申報：已有數值不同的紀錄（存量 8000.0000 ≠ 8000.5）"),
    ]
    assert result.unchanged == 1 and result.created == 0
    assert _counts() == before
    assert not _staging_table_left()


def test_overlap_adds_new_rows_and_audits_only_their_items(registry):
    import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    more = GOOD.replace(
        "oil,oil-co,2023-06-29,公秉,100,200,300,90000,\n", "oil,oil-co,2023-06-29,公秉,100,200,300,90000.0,\n"
    ) + (
        "natural-gas,gas-co,2023-03-31,公噸,,1000,900,7900.25,\n"
        + "natural-gas,gas-co,112/02/28,公噸,,,,7000,\n"
    )
    result = import_file(name="more.csv", content=more.encode(), today=TODAY)
    assert result.ok, result.errors
    assert (result.rows, result.created, result.unchanged) == (6, 2, 4)
    batch = result.batch
    assert (batch.rows, batch.created_rows, batch.unchanged_rows) == (6, 2, 4)
    assert Observation.objects.filter(batch=batch).count() == 2
    march = Observation.objects.get(item__code="natural-gas", date=date(2023, 3, 31))
    assert (march.stock, march.consumption, march.source) == (Decimal("7900.25"), Decimal(900), "import")
    assert Observation.objects.get(item__code="natural-gas", date=date(2023, 2, 28)).consumption is None
    change = ObjectChange.objects.get(action="supplies.import", changed_object_id=str(batch.pk))
    assert change.message == "2 observation(s) imported from more.csv, 4 already recorded"
    gas = SupplyItem.objects.get(code="natural-gas")
    items = {r.object_id for r in change.relations.all() if r.content_type.model == "supplyitem"}
    assert items == {str(gas.pk)}  # not oil: its row was recorded already
    assert not _staging_table_left()
    # The same file again: nothing at all changes.
    before = _counts()
    again = import_file(name="more.csv", content=more.encode(), today=TODAY)
    assert (again.created, again.unchanged, again.batch) == (0, 6, None)
    assert _counts() == before


def test_stored_figures_equal_the_parsed_ones(registry):
    content = (
        HEADER
        + 'natural-gas,gas-co,2023-05-31,公噸,0.0001,"1,234,567.8900",950.50,1E+3,\n'
        + "natural-gas,gas-co,2023-06-30,公噸,,,0,12345678901.2345,\n"
    )
    assert import_file(name="n.csv", content=content.encode(), today=TODAY).created == 2
    may = Observation.objects.get(date=date(2023, 5, 31))
    assert (may.production, may.imports, may.consumption, may.stock, may.price) == (
        Decimal("0.0001"),
        Decimal("1234567.89"),
        Decimal("950.5"),
        Decimal(1000),
        None,
    )
    june = Observation.objects.get(date=date(2023, 6, 30))
    assert (june.consumption, june.stock) == (0, Decimal("12345678901.2345"))
    # Compared as numbers, not as text: the same figures written differently are unchanged.
    again = (
        HEADER
        + "natural-gas,gas-co,2023-05-31,公噸,0.00010,1234567.89,950.5,1000.0000,\n"
        + "natural-gas,gas-co,2023-06-30,公噸,,,0.0,12345678901.2345,\n"
    )
    result = import_file(name="again.csv", content=again.encode(), today=TODAY)
    assert (result.errors, result.created, result.unchanged) == ([], 0, 2)


def test_import_from_a_path_streams_with_bom_and_chinese_header(registry, tmp_path):
    path = tmp_path / "匯入.csv"
    path.write_bytes(
        "\ufeff品項,申報者,日期,單位,存量,消費量\n".encode()
        + "natural-gas,gas-co,112/05/31,公噸,8000,900\noil,oil-co,2023-06-29,公秉,90000,\n".encode()
    )
    result = import_file(path, today=TODAY)
    assert (result.file, result.created) == ("匯入.csv", 2)
    import hashlib

    assert result.batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(FileNotFoundError):
        import_file(tmp_path / "missing.csv", today=TODAY)


def test_xlsx_duplicates_across_sheets_name_the_first_row(registry):
    workbook = Workbook()
    first = workbook.active
    first.title = "五月"
    second = workbook.create_sheet("六月")
    for sheet in (first, second):
        sheet.append(["item", "reporter", "date", "unit", "stock"])
    first.append(["natural-gas", "gas-co", date(2023, 5, 31), "公噸", 8000])
    first.append(["natural-gas", "gas-co", date(2023, 6, 30), "公噸", 8100])
    second.append(["oil", "oil-co", date(2023, 6, 29), "公秉", 1])
    second.append(["natural-gas", "gas-co", "112/05/31", "公噸", 8000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_file(name="two.xlsx", content=buffer.getvalue(), today=TODAY)
    assert [str(e) for e in result.errors] == [
        "two.xlsx[六月]:3: 重複的申報：品項、申報者與日期和第 2 列相同"
    ]
    assert _counts()[:2] == (0, 0)


def test_sqlite_page_cache_is_restored_after_an_import(registry):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    assert synchronous != 0  # never OFF: an import must not weaken durability


# --- unreadable files, numbers that cannot be stored exactly, the language of the messages ----------


def test_a_csv_that_is_not_utf8_is_a_row_error_naming_its_line(registry, tmp_path):
    # Blank lines (skipped) put the bad row well past the decoder's first read-ahead block.
    content = GOOD.encode() + b"\n" * 20_000 + "natural-gas,gas-co,2023-03-31,公噸,,,900,1,\n".encode("big5")
    line = GOOD.count("\n") + 20_000 + 1
    expected = [
        f"big5.csv:{line}: 檔案不是 UTF-8 編碼的文字（第 {line} 行的位元組 0xA4 無法解碼），請另存為「CSV UTF-8」格式"
    ]
    before = _counts()
    result = import_file(name="big5.csv", content=content, today=TODAY)
    assert [str(e) for e in result.errors] == expected
    path = tmp_path / "big5.csv"
    path.write_bytes(content)
    assert [str(e) for e in import_file(path, today=TODAY).errors] == expected
    with pytest.raises(ImportFailed, match="big5.csv 有 1 列錯誤"):
        import_file(name="big5.csv", content=content, today=TODAY, raise_on_error=True)
    header_only = "品項,申報者\n".encode("big5")
    assert [str(e) for e in import_file(name="h.csv", content=header_only, today=TODAY).errors] == [
        "h.csv:1: 檔案不是 UTF-8 編碼的文字（第 1 行的位元組 0xAB 無法解碼），請另存為「CSV UTF-8」格式"
    ]
    assert _counts() == before
    assert not _staging_table_left()


def _with_part(content: bytes, part: str, change) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data) if info.filename == part else data)
    return out.getvalue()


def _stored(content: bytes) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


def test_a_damaged_workbook_is_a_row_error_and_writes_nothing(registry):
    content = _xlsx(
        [
            ["natural-gas", "gas-co", date(2023, 5, 31), "公噸", None, 1000, 950, 8050, None],
            ["natural-gas", "gas-co", date(2023, 6, 30), "公噸", None, 1000, 950, 8150, None],
        ]
    )

    def break_last_row(xml: bytes) -> bytes:
        end = xml.rindex(b"</row>")
        return xml[:end] + b"<" + xml[end + len(b"</row>") :]

    cases = {
        "truncated": (content[: len(content) // 2], 1),
        "not a zip": (b"PK\x03\x04 not really a workbook", 1),
        # The XML breaks in the last row: the error comes after the first row was staged.
        "broken sheet xml": (_with_part(content, "xl/worksheets/sheet1.xml", break_last_row), 3),
        # A stored member whose bytes no longer match its CRC.
        "damaged member": (_stored(content).replace(b"<sheetData>", b"<sheetDatX>"), 1),
    }
    before = _counts()
    for case, (damaged, row) in cases.items():
        result = import_file(name="book.xlsx", content=damaged, today=TODAY)
        assert [(e.file, e.row) for e in result.errors] == [("book.xlsx", row)], (case, result.errors)
        assert result.errors[0].reason.startswith("活頁簿已損毀或不是 XLSX 或 ODS 檔案（"), (
            case,
            result.errors,
        )
    assert _counts() == before
    assert not _staging_table_left()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9999999999999999.9999", "存量 9999999999999999.9999 超過 15 位有效數字，無法精確儲存"),
        ("1234567890123456", "存量 1234567890123456 超過 15 位有效數字，無法精確儲存"),
        ("12345678901.23456", "存量 12345678901.23456 超過 4 位小數"),
        ("99999999999999999", "存量 99999999999999999 過大"),
    ],
)
def test_numbers_that_cannot_be_stored_exactly_are_refused(registry, text, reason):
    content = HEADER + f"natural-gas,gas-co,2023-05-31,公噸,,,950,{text},\n"
    result = import_file(name="n.csv", content=content.encode(), today=TODAY)
    assert [(e.row, e.reason) for e in result.errors] == [(2, reason)]
    assert Observation.objects.count() == 0


def test_fifteen_significant_digits_are_stored_and_read_back_exactly(registry):
    content = (
        HEADER
        + "natural-gas,gas-co,2023-05-31,公噸,,,99999999999.9999,999999999999999,\n"
        + "natural-gas,gas-co,2023-06-30,公噸,,,0.0001,1000000000000000,\n"
    )
    result = import_file(name="n.csv", content=content.encode(), today=TODAY)
    assert result.ok, result.errors
    assert list(Observation.objects.order_by("date").values_list("consumption", "stock")) == [
        (Decimal("99999999999.9999"), Decimal("999999999999999")),
        (Decimal("0.0001"), Decimal("1000000000000000")),
    ]


def test_messages_follow_the_active_language(registry):
    from django.utils import translation

    content = (HEADER + "diamonds,gas-co,2023-05-31,公噸,,,950,-1,\n").encode()
    with translation.override("en"):
        english = import_file(name="x.csv", content=content, today=TODAY).errors[0].reason
    assert english == "unknown item diamonds; stock is negative (-1)"
    assert import_file(name="x.csv", content=content, today=TODAY).errors[0].reason == (
        "未知的品項「diamonds」; 存量為負數（-1）"
    )


# --- PostgreSQL: the COPY into the staging table always ends ------------------------------------------


def _session_state() -> tuple[object, object]:
    """(transaction status, staging table or None) of the test's own PostgreSQL connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.supplies_import_staging')")
        table = cursor.fetchone()[0]
    return connection.connection.info.transaction_status, table


def test_postgresql_copy_is_ended_when_reading_fails_mid_stream(registry, monkeypatch):
    """Inside the test's transaction (a transactional test would empty the session's program)."""
    from django.db import connection, transaction
    from psycopg.pq import TransactionStatus

    from sixcore.supplies import importer

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    before = _counts()
    # A decoding error after rows were streamed: a row error, the COPY ended, the table dropped.
    content = GOOD.encode() + "natural-gas,gas-co,2023-03-31,公噸,,,900,1,\n".encode("big5")
    result = importer.import_file(name="big5.csv", content=content, today=TODAY)
    assert [e.row for e in result.errors] == [6]
    assert _session_state() == (TransactionStatus.INTRANS, None)

    # Any other exception while the COPY is open: COPY FAIL is sent and the exception propagates (the
    # failed COPY aborts the caller's transaction; rolling back to the savepoint must then work, which
    # it would not while the server still waited for COPY data).
    from sixcore.supplies.importer import reading

    real = reading.read_sheets

    def failing(name, content):
        for label, header, rows in real(name, content):

            def then_fail(rows=rows):
                yield from rows
                raise RuntimeError("reader crashed")

            yield label, header, then_fail()

    monkeypatch.setattr(reading, "read_sheets", failing)
    with pytest.raises(RuntimeError, match="reader crashed"), transaction.atomic():
        importer.import_file(name="good.csv", content=GOOD.encode(), today=TODAY)
    assert _session_state() == (TransactionStatus.INTRANS, None)
    assert _counts() == before
    monkeypatch.undo()
    assert importer.import_file(name="good.csv", content=GOOD.encode(), today=TODAY).created == 4
    assert _session_state() == (TransactionStatus.INTRANS, None)
