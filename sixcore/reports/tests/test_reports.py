"""Quarterly report (docx, pdf, xlsx) and open-data exports: read back, a real office client, formula
injection, web permissions."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from sixcore.plan.models import KPI, AnnualTarget
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import MeasureReport, Submission
from sixcore.reports import exports
from sixcore.reports.builder import build_quarterly_report
from sixcore.reports.formats import render_report

PERIOD = "110Q2"
NEEDS_PDFTOTEXT = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.fixture
def demo(program, monkeypatch):
    monkeypatch.delenv("SIXCORE_AS_OF", raising=False)
    call_command("demo", "--password", "demo-password-123", "--until", PERIOD)
    return program


def _known_kpi(program):
    kpi = KPI.objects.get(measure__industry__program=program, measure__code="1.1", code="1.1.1")
    year = AnnualTarget.objects.get(kpi=kpi, year=110).cell.text
    return kpi, year


def assert_tagged_pdf(pdf: bytes, title: str) -> None:
    """What a screen reader needs, read from the PDF's own structure (veraPDF is not available here):
    marked content with a structure tree whose elements include headings and tables, the document's
    language, its title shown in the window."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == "zh-Hant-TW"
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert str(document.docinfo["/Title"]) == title
        kinds, stack = set(), [root.StructTreeRoot]
        while stack and len(kinds) < 50:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary) and "/S" in node:
                kinds.add(str(node.S))
            kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)
            elif isinstance(kids, pikepdf.Dictionary):
                stack.append(kids)
        assert {"/H1", "/Table"} <= kinds, kinds
        # Every figure (chart, image) has its alternative text; the quarterly report draws its lights as
        # text, so today there is none, and one added without /Alt fails here.
        figures = [
            obj
            for obj in document.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name.Figure
        ]
        assert all("/Alt" in figure for figure in figures), len(figures)


def test_quarterly_report_formats_read_back(demo, tmp_path):
    import docx
    import openpyxl

    report = build_quarterly_report(PERIOD)
    assert report.is_demo and len(report.chapters) == 6
    defense = next(c for c in report.chapters if c.code == "4")
    assert len(defense.kpi_sections) == 2  # 航空與船艦, 太空
    kpi, year_text = _known_kpi(demo)

    # docx: real headings and a KPI table row with its target texts.
    document = docx.Document(io.BytesIO(render_report(report, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "壹、摘要" in headings and "1. 資訊及數位產業" in headings and "辦理情形" in headings
    rows = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    row = next(r for r in rows if r[0] == "1.1.1")
    assert row[1] == kpi.full_term_text and row[2] == year_text
    assert "示範資料" in document.sections[0].header.paragraphs[0].text
    (tmp_path / "report-word.docx").write_bytes(render_report(report, "docx"))

    # xlsx: sheets, frozen header, a known cell, the light as text.
    content = render_report(report, "xlsx")
    (tmp_path / "report-excel.xlsx").write_bytes(content)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert {"封面", "燈號摘要", "預算執行", "關鍵績效指標", "工作項目狀態", "資料品質檢核"} <= set(
        workbook.sheetnames
    )
    sheet = workbook["關鍵績效指標"]
    assert sheet.freeze_panes == "A3" and "示範資料" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    found = next(
        r for r in sheet.iter_rows(min_row=3, values_only=True) if r[header.index("編號")] == "1.1.1"
    )
    assert found[header.index("全期目標")] == kpi.full_term_text
    assert found[header.index("燈號")] in {"綠燈", "黃燈", "紅燈", "白燈"}
    assert sheet.conditional_formatting  # fills for the lights

    # pdf: searchable Chinese text, tagged for screen readers (PDF/UA-1).
    pdf = render_report(report, "pdf")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert_tagged_pdf(pdf, report.title)
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603 - fixed arguments
            [shutil.which("pdftotext"), "-layout", str(tmp_path / "report.pdf"), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        assert "資訊及數位產業" in text and "示範資料" in text and "第 2 頁" in text
        squeezed = "".join(text.split())
        assert "".join(kpi.full_term_text.split())[:20] in squeezed

    # A real client: LibreOffice converts both without error.
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed")
        return
    profile = tmp_path / "lo-profile"
    for name in ("report-word.docx", "report-excel.xlsx"):
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path / "out"),
                str(tmp_path / name),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        converted = tmp_path / "out" / (Path(name).stem + ".pdf")
        assert converted.exists() and converted.stat().st_size > 1000


def test_quarterly_report_as_odt_opens_in_libreoffice(demo, tmp_path):
    """The ODF text report (the government's document standard): the Word file's content and order,
    headings with outline levels, header rows that repeat, lights shaded, page x of y, 示範資料 on every
    page; LibreOffice (the real client) lays it out and its text reads back."""
    from odf import opendocument, table, text
    from odf.namespaces import TEXTNS

    report = build_quarterly_report(PERIOD)
    content = render_report(report, "odt")
    assert content[30:38] == b"mimetype" and b"application/vnd.oasis.opendocument.text" in content[:100]
    document = opendocument.load(io.BytesIO(content))
    headings = {(h.getAttrNS(TEXTNS, "outline-level"), str(h)) for h in document.getElementsByType(text.H)}
    assert {("1", "壹、摘要"), ("2", "1. 資訊及數位產業"), ("3", "辦理情形")} <= headings
    assert document.getElementsByType(table.TableHeaderRows)
    cells = [str(c) for c in document.getElementsByType(table.TableCell)]
    kpi, year_text = _known_kpi(demo)
    at = cells.index("1.1.1")
    assert cells[at + 1] == kpi.full_term_text and cells[at + 2] == year_text
    assert document.getElementsByType(text.PageNumber) and document.getElementsByType(text.PageCount)
    assert "示範資料" in str(document.masterstyles)

    soffice = shutil.which("soffice")
    if soffice is None or not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) and poppler-utils must be installed")
        return
    (tmp_path / "report-odf.odt").write_bytes(content)
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "report-odf.odt"),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    laid_out = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("pdftotext"), "-layout", str(tmp_path / "out" / "report-odf.pdf"), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    pages = laid_out.count("\f")
    assert pages > 10 and "資訊及數位產業" in laid_out and "壹、摘要" in laid_out
    assert laid_out.count("示範資料") >= pages  # the header of every page
    assert f"第 2 頁／共 {pages} 頁" in laid_out


def test_ods_report_and_open_data_open_in_libreoffice(demo, client, tmp_path):
    """The spreadsheets in ODF (the quarterly report's and the open data), opened by LibreOffice: the
    sheets are there and the Chinese text and figures read back."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice is not installed")
    from sixcore.accounts.models import User

    report = build_quarterly_report(PERIOD)
    (tmp_path / "report-sheets.ods").write_bytes(render_report(report, "ods"))
    client.force_login(User.objects.get(username="ndc"))
    response = client.get("/reports/export/plan.ods")
    (tmp_path / "plan-data.ods").write_bytes(b"".join(response.streaming_content))
    for name in ("report-sheets.ods", "plan-data.ods"):
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                soffice,
                f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
                "--headless",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(tmp_path / "out"),
                str(tmp_path / name),
            ],
            capture_output=True,
            check=True,
            timeout=180,
        )
    import openpyxl

    sheets = openpyxl.load_workbook(tmp_path / "out" / "report-sheets.xlsx")
    assert {"封面", "燈號摘要", "關鍵績效指標"} <= set(sheets.sheetnames)
    assert "示範資料" in sheets["關鍵績效指標"]["A1"].value
    data = openpyxl.load_workbook(tmp_path / "out" / "plan-data.xlsx")
    names = [row[1] for row in data["industries"].iter_rows(min_row=2, values_only=True)]
    assert "資訊及數位產業" in names


def test_formula_injection_is_neutralised(demo):
    import openpyxl

    payload = '=HYPERLINK("http://evil.example","click")'
    report = MeasureReport.objects.filter(
        submission__period__roc_year=110, submission__period__quarter=2
    ).first()
    report.progress = payload
    report.save()
    Submission.objects.filter(pk=report.submission_id).update(status=SubmissionStatus.APPROVED)

    tables = exports.submission_tables(published_only=True)
    archive = zipfile.ZipFile(io.BytesIO(exports.to_csv_zip(tables, "x")))
    raw = archive.read("x/measure_reports.csv")
    assert raw.startswith("\ufeff".encode())
    cells = [c for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for c in row]
    assert "'" + payload in cells and payload not in cells
    assert "x/data_dictionary.csv" in archive.namelist()

    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(tables)))
    values = [c.value for row in book["measure_reports"].iter_rows() for c in row]
    assert "'" + payload in values and not any(isinstance(v, str) and v.startswith("=") for v in values)

    # The OpenDocument spreadsheet: the same neutralised text, in a text cell, and the dictionary.
    from odf import opendocument, table

    ods = opendocument.load(io.BytesIO(exports.to_ods(tables)))
    sheets = {t.getAttribute("name"): t for t in ods.spreadsheet.getElementsByType(table.Table)}
    assert list(sheets)[0] == "data_dictionary" and "measure_reports" in sheets
    texts = [str(c) for c in sheets["measure_reports"].getElementsByType(table.TableCell)]
    assert "'" + payload in texts and payload not in texts
    assert not any(
        c.getAttribute("formula") for c in sheets["measure_reports"].getElementsByType(table.TableCell)
    )

    # The quarterly workbook too.
    workbook = openpyxl.load_workbook(io.BytesIO(render_report(build_quarterly_report(PERIOD), "xlsx")))
    narrative = [c.value for row in workbook["執行情形"].iter_rows() for c in row if c.value]
    assert "'" + payload in narrative and payload not in narrative


def test_web_downloads_permissions(demo, client):
    from sixcore.accounts.models import User

    url = f"/reports/quarterly/{PERIOD}.pdf"
    assert client.get(url).status_code == 403  # not every submission is approved yet
    assert client.get("/reports/quarterly/109Q1.docx").status_code == 404
    client.force_login(User.objects.get(username="ndc"))
    response = client.get(f"/reports/quarterly/{PERIOD}.docx")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"
    page = client.get(f"/dashboard/?period={PERIOD}")
    assert f"/reports/quarterly/{PERIOD}.pdf".encode() in page.content
    client.logout()
    assert (
        f"/reports/quarterly/{PERIOD}.pdf".encode() not in client.get(f"/dashboard/?period={PERIOD}").content
    )

    Submission.objects.filter(period__roc_year=110, period__quarter=2).update(
        status=SubmissionStatus.APPROVED
    )
    response = client.get(f"/reports/quarterly/{PERIOD}.xlsx")
    assert response.status_code == 200


def run_task_worker() -> None:
    """What ``sixcore db_worker`` does with each queued task (claim it, run it through the library's
    own ``Worker.run_task``, record the result), in this process. Not the command itself: its loop
    closes the database connection between tasks, which would end the test's transaction on PostgreSQL
    (tests/test_two_servers.py runs the real command as a process)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    while (task := DBTaskResult.objects.ready().select_for_update().first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)


def test_pdf_download_is_generated_in_the_background(demo, client, settings, tmp_path):
    """The PDF request only enqueues a task (no web worker held for seconds); a task worker makes it."""
    from django_tasks_db.models import DBTaskResult

    from sixcore.accounts.models import User
    from sixcore.reports import tasks

    settings.MEDIA_ROOT = tmp_path
    client.force_login(User.objects.get(username="ndc"))
    response = client.get(f"/reports/quarterly/{PERIOD}.pdf")
    assert response.status_code == 302
    row = DBTaskResult.objects.get()
    assert response["Location"] == f"/reports/jobs/{row.pk}/"
    assert row.status == "READY" and row.args_kwargs["args"][1:] == ["pdf", "ndc"]
    # The same request while it is queued shares the task instead of generating the file twice.
    assert client.get(f"/reports/quarterly/{PERIOD}.pdf")["Location"] == response["Location"]
    assert DBTaskResult.objects.count() == 1

    page = client.get(response["Location"])
    assert page.status_code == 202 and page["Refresh"] == "2"
    assert "報告產製中" in page.content.decode()
    client.logout()
    assert client.get(response["Location"]).status_code == 404  # another scope: not yours
    client.force_login(User.objects.get(username="ndc"))

    run_task_worker()
    result = tasks.report_result(row.pk)
    assert tasks.state_of(result) == "done", result.errors
    assert result.return_value["filename"].endswith("-demo.pdf") and result.return_value["size"] > 1000
    page = client.get(response["Location"])
    assert page.status_code == 302 and page["Location"] == f"/reports/jobs/{row.pk}/file"
    download = client.get(page["Location"])
    content = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf" and content.startswith(b"%PDF")
    assert len(content) == result.return_value["size"] and tasks.file_path(result.id, "pdf").exists()

    # A new request generates from the current data again: a finished task is never reused.
    client.get(f"/reports/quarterly/{PERIOD}.pdf")
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_report_task_failure_stale_worker_and_pruning(demo, client, settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from sixcore.accounts.models import User
    from sixcore.progress.models import ReportingPeriod
    from sixcore.reports import tasks

    settings.MEDIA_ROOT = tmp_path
    ndc = User.objects.get(username="ndc")
    period = ReportingPeriod.by_code(PERIOD)
    failing = tasks.request_report(period, "bogus", ndc)  # render_report rejects the format
    run_task_worker()
    failing = tasks.report_result(failing.id)
    assert tasks.state_of(failing) == "failed" and not tasks.file_path(failing.id, "bogus").exists()
    client.force_login(ndc)
    page = client.get(f"/reports/jobs/{failing.id}/")
    assert page.status_code == 410 and "報告產製失敗" in page.content.decode()
    assert client.get(f"/reports/jobs/{failing.id}/file").status_code == 404
    assert client.get("/reports/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404

    # A worker that died leaves its task "running": after STALE_AFTER it is failed, and a new
    # request gets a new task instead of waiting on it for ever.
    stuck = tasks.request_report(period, "pdf", ndc)
    DBTaskResult.objects.filter(pk=stuck.id).update(
        status="RUNNING", started_at=timezone.now() - tasks.STALE_AFTER - timedelta(minutes=1)
    )
    assert tasks.state_of(tasks.report_result(stuck.id)) == "failed"
    fresh = tasks.request_report(period, "pdf", ndc)
    assert fresh.id != stuck.id

    # A day later the files and finished rows go; a queued task stays for its worker.
    old_file = tasks.file_path(failing.id, "pdf")
    old_file.parent.mkdir(parents=True, exist_ok=True)
    old_file.write_bytes(b"%PDF old")
    day_ago = (timezone.now() - tasks.KEEP_FOR - timedelta(minutes=1)).timestamp()
    os.utime(old_file, (day_ago, day_ago))
    DBTaskResult.objects.update(enqueued_at=timezone.now() - tasks.KEEP_FOR - timedelta(minutes=1))
    tasks.request_report(period, "pdf", None)
    assert not old_file.exists()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"READY"}


def test_exports_public_scope(demo, client):
    from sixcore.accounts.models import User

    drafts = Submission.objects.exclude(status=SubmissionStatus.APPROVED)
    assert drafts.exists()
    response = client.get("/reports/export/submissions.json")
    assert response.status_code == 200
    data = json.loads(b"".join(response.streaming_content))
    statuses = {s["status"] for s in data["tables"]["submissions"]}
    assert statuses == {"approved"}
    assert "submissions" in data["dictionary"]

    client.force_login(User.objects.get(username="ndc"))
    data = json.loads(b"".join(client.get("/reports/export/submissions.json").streaming_content))
    assert len({s["status"] for s in data["tables"]["submissions"]}) > 1
    client.logout()

    response = client.get("/reports/export/plan.csv")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = {Path(n).name for n in archive.namelist()}
    assert {"kpis.csv", "annual_targets.csv", "work_items.csv", "data_dictionary.csv"} <= names
    kpis = next(n for n in archive.namelist() if n.endswith("/kpis.csv"))
    assert "資訊及數位產業" in archive.read(
        next(n for n in archive.namelist() if n.endswith("/industries.csv"))
    ).decode("utf-8-sig")
    assert archive.read(kpis).startswith("\ufeff".encode())
    evaluation = client.get(f"/reports/export/evaluation.xlsx?period={PERIOD}")
    assert evaluation.status_code == 200

    # ODF for the government's standard: typed cells LibreOffice reads as numbers, the public's scope.
    from odf import opendocument, table

    response = client.get("/reports/export/submissions.ods")
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert response["Content-Disposition"].endswith('.ods"')
    ods = opendocument.load(io.BytesIO(b"".join(response.streaming_content)))
    sheet = next(
        t for t in ods.spreadsheet.getElementsByType(table.Table) if t.getAttribute("name") == "submissions"
    )
    rows = [
        [str(c) for c in r.getElementsByType(table.TableCell)]
        for r in sheet.getElementsByType(table.TableRow)
    ]
    status = rows[0].index("status")
    assert {r[status] for r in rows[1:]} == {"approved"}
    typed = {c.getAttribute("valuetype") for c in sheet.getElementsByType(table.TableCell)}
    assert {"string", "float"} <= typed


def test_commands(demo, tmp_path):
    out = tmp_path / "q.xlsx"
    call_command("report", "quarterly", "--period", PERIOD, "--format", "xlsx", "--output", str(out))
    assert out.read_bytes()[:2] == b"PK"
    out = tmp_path / "e.json"
    call_command("export", "evaluation", "--period", PERIOD, "--format", "json", "--output", str(out))
    assert "kpis" in json.loads(out.read_text(encoding="utf-8"))["tables"]
