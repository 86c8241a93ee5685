"""追蹤事項 in the agency workbook (xlsx and ods): the open items each report carries, their 辦理情形
filled in the file and written on upload with the lines, all or nothing (issue #20)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from sixcore.accounts.models import Agency
from sixcore.followups import services
from sixcore.followups.choices import FollowUpSource
from sixcore.plan.models import Industry
from sixcore.progress import excel, workflow
from sixcore.progress.models import Submission
from sixcore.progress.tests.test_excel import column, edit, login, row_of
from sixcore.progress.tests.test_excel_ods import libreoffice
from tests.factories import editor, ndc_reviewer, open_period

pytestmark = pytest.mark.django_db

SHEET = "追蹤事項"
ANSWER = "辦理情形"


@pytest.fixture(autouse=True)
def open_111q2(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")


@pytest.fixture
def period(program):
    return open_period("111Q2")


@pytest.fixture
def moea():
    return Agency.objects.get(code="moea")


@pytest.fixture
def item(period, program, moea):
    return services.create_follow_up(
        ndc_reviewer(),
        source=FollowUpSource.FIELD_VERIFICATION,
        text="=請補強驗證場域管控",  # a formula-like text must come out inert
        owner=moea,
        industry=Industry.objects.get(program=program, code="2"),
        due_date=date(2022, 9, 30),
        opened_on=date(2022, 5, 1),
    )


def report(period, moea, code: str = "2") -> Submission:
    return Submission.objects.get(period=period, agency=moea, industry__code=code)


def test_the_sheet_lists_the_items_with_an_editable_answer(period, moea, item):
    services.save_responses(editor("moea"), report(period, moea), {item.pk: "已規劃"})
    wb = load_workbook(io.BytesIO(excel.build_workbook(period, moea, editor("moea"))))
    ws = wb[SHEET]
    row = row_of(ws, ("2", str(item.pk)))
    answer = ws.cell(row, column(ws, ANSWER))
    assert answer.value == "已規劃" and answer.protection.locked is False
    assert ws.cell(row, column(ws, "建議事項／決議")).value == "'=請補強驗證場域管控"  # inert
    assert ws.cell(row, column(ws, "主辦機關")).protection.locked is not False
    assert ws.protection.sheet


def test_round_trip_writes_the_answer_and_bumps_the_version(period, moea, item):
    officer = editor("moea")
    data = excel.build_workbook(period, moea, officer)
    before = report(period, moea).version
    filled = edit(data, [(SHEET, ("2", str(item.pk)), ANSWER, "驗證場域已啟用")])
    result = excel.import_workbook(filled, officer)
    assert result.ok, result.problems
    [changed] = result.changed
    assert changed.industry == "2" and changed.fields_changed == 1 and changed.version_after == before + 1
    response = item.responses.get()
    assert response.text == "驗證場域已啟用" and response.submission == report(period, moea)
    # The same file again: nothing differs, nothing written.
    again = excel.import_workbook(filled, officer)
    assert again.ok and again.changed == [] and item.responses.get().text == "驗證場域已啟用"


def test_bad_rows_are_named_and_nothing_is_written(period, moea, item):
    officer = editor("moea")
    data = excel.build_workbook(period, moea, officer)
    measure = report(period, moea).measure_reports.select_related("measure").first().measure.code
    wb = load_workbook(io.BytesIO(edit(data, [(SHEET, ("2", str(item.pk)), ANSWER, "本季辦理")])))
    ws = wb[SHEET]
    row = row_of(ws, ("2", str(item.pk)))
    ws.cell(row, 2).value = 99999  # an item the report does not carry
    wb["辦理情形"].cell(row_of(wb["辦理情形"], ("2", measure)), 4).value = "措施辦理情形"
    out = io.BytesIO()
    wb.save(out)
    result = excel.import_workbook(out.getvalue(), officer)
    assert not result.ok
    assert [(p.sheet, p.cell) for p in result.problems] == [(SHEET, f"B{row}")]
    assert "99999" in result.problems[0].message
    assert not item.responses.exists()
    assert not report(period, moea).measure_reports.filter(progress="措施辦理情形").exists()


def test_an_answer_to_a_submitted_report_is_refused(period, moea, item):
    officer = editor("moea")
    data = excel.build_workbook(period, moea, officer)
    workflow.submit(report(period, moea), officer)
    result = excel.import_workbook(edit(data, [(SHEET, ("2", str(item.pk)), ANSWER, "送出後")]), officer)
    assert not result.ok and "不能修改" in result.problems[0].message
    assert not item.responses.exists()


def test_another_agency_cannot_answer_through_its_workbook(period, moea, item):
    motc = Agency.objects.get(code="motc")
    client = login(editor("motc"))
    data = client.get("/progress/excel/download/", {"period": "111Q2"}).content
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    assert ws.max_row < 3  # 交通部's reports carry none of 經濟部's items
    industry = Submission.objects.filter(period=period, agency=motc).first().industry.code
    ws.cell(3, 1).value, ws.cell(3, 2).value, ws.cell(3, 7).value = industry, item.pk, "代填"
    out = io.BytesIO()
    wb.save(out)
    result = excel.import_workbook(out.getvalue(), editor("motc"))
    assert not result.ok and result.problems[0].cell == "B3"
    assert not item.responses.exists()


def test_an_ods_filled_by_libreoffice_uploads_the_answer(period, moea, item, tmp_path):
    officer = editor("moea")
    filled = edit(
        excel.build_workbook(period, moea, officer), [(SHEET, ("2", str(item.pk)), ANSWER, "以 ODF 填報")]
    )
    ods = libreoffice(tmp_path, "answers.xlsx", filled, "ods")
    assert excel.is_ods(ods)
    result = excel.import_workbook(ods, officer)
    assert result.ok, result.problems
    assert item.responses.get().text == "以 ODF 填報"
    # And our own .ods download carries the sheet as the .xlsx does.
    sheets = excel._read_workbook(excel.build_workbook(period, moea, officer, "ods"))
    assert sheets[SHEET][2][1][0] in (item.pk, float(item.pk), str(item.pk))
