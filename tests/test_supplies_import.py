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
from sixcore.supplies.models import Assignment, ImportBatch, Observation, Reporter
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
    ("natural-gas,gas-co,2023-02-28,公噸,,,900,-5,", "stock is negative"),
    ("natural-gas,gas-co,2023-01-31,公秉,,,900,100,", "unit '公秉' does not match the item's unit '公噸'"),
    ("natural-gas,gas-co,2023-07-31,公噸,,,900,100,", "is in the future"),
    ("diamonds,gas-co,2023-01-31,公噸,,,900,100,", "unknown item 'diamonds'"),
    ("natural-gas,nobody,2023-01-31,公噸,,,900,100,", "unknown reporter 'nobody'"),
    (
        "natural-gas,gas-co,2023-04-30,公噸,,,900,100,",
        "duplicate observation: same item, reporter and date as row 2",
    ),
    ("natural-gas,stranger,2023-01-31,公噸,,,900,100,", "does not report item"),
    ("natural-gas,gas-co,2023-13-01,公噸,,,900,100,", "neither YYYY-MM-DD nor ROC"),
    ("natural-gas,gas-co,2022-12-31,公噸,,,abc,100,", "consumption 'abc' is not a number"),
    ("natural-gas,gas-co,2022-11-30,公噸,,,900,,", "stock is missing"),
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
    assert [(e.row, e.reason.split(":")[0]) for e in result.errors] == [(3, "duplicate observation")]
    assert "stock 8050" in result.errors[0].reason
    assert Observation.objects.count() == 4  # the new March row was not written either


def test_missing_columns_and_empty_file(registry):
    result = import_file(
        name="cols.csv", content=b"item,reporter,date\nnatural-gas,gas-co,2023-01-31\n", today=TODAY
    )
    assert [str(e) for e in result.errors] == ["cols.csv:1: missing column(s): unit, stock"]
    assert (
        import_file(name="empty.csv", content=HEADER.encode(), today=TODAY).errors[0].reason
        == "the file has no data rows"
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
    assert [(e.row, e.reason) for e in result.errors] == [(4, "stock is negative (-1)")]
    good = import_file(
        name="book.xlsx",
        content=_xlsx([["natural-gas", "gas-co", date(2023, 5, 31), "公噸", None, 1000, 950.5, 8050, None]]),
        today=TODAY,
    )
    assert good.created == 1
    assert Observation.objects.get().consumption == Decimal("950.5")


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
    with pytest.raises(ValueError, match="more than 4 decimal places"):
        parse_quantity("1.00001", "stock")


def test_import_command(registry, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIXCORE_AS_OF", TODAY.isoformat())
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("supplies", "import", str(path))
    assert "4 observation(s) written" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + BAD_ROWS[0][0] + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("supplies", "import", str(bad))
    assert "bad.csv:2: stock is negative" in capsys.readouterr().err
