"""The quarterly workbook in ODF (.ods, the government's document standard): downloaded with the same
sheets, locks and drop-down lists as the .xlsx, uploaded through the same validation and all-or-nothing
write — checked with LibreOffice, the real client, filling and saving the file (issue #21)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sixcore.core.uploads import UploadRefused, check_content
from sixcore.progress import excel
from sixcore.progress.models import KPIReport, MeasureReport
from sixcore.progress.tests.test_excel import edit, filled, first_lines, login, versions, wkey

pytestmark = pytest.mark.django_db

DOWNLOAD = "/progress/excel/download/"
UPLOAD = "/progress/excel/upload/"


@pytest.fixture(autouse=True)
def open_111q2(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")


@pytest.fixture
def period():
    from tests.factories import open_period

    return open_period("111Q2")


@pytest.fixture
def moea():
    from sixcore.accounts.models import Agency

    return Agency.objects.get(code="moea")


@pytest.fixture
def moea_editor():
    from tests.factories import editor

    return editor("moea")


def libreoffice(tmp_path: Path, name: str, content: bytes, to: str) -> bytes:
    """``content`` opened by LibreOffice and saved as ``to`` (what an officer does with the file)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "in" / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(content)
    out = tmp_path / "out"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    return (out / f"{source.stem}.{to}").read_bytes()


def values(sheets) -> dict[str, list[list]]:
    return {name: [[cell[0] for cell in row] for row in rows] for name, rows in sheets.items()}


def test_the_ods_download_holds_what_the_xlsx_holds(period, moea, moea_editor):
    client = login(moea_editor)
    response = client.get(DOWNLOAD, {"period": "111Q2", "format": "ods"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert response["Content-Disposition"].endswith('_moea.ods"')
    ods = response.content
    check_content(".ods", ods)  # our own file passes the upload's checks
    xlsx = excel.build_workbook(period, moea, moea_editor)
    assert values(excel._read_workbook(ods)) == values(excel._read_workbook(xlsx))

    content = zipfile.ZipFile(io.BytesIO(ods)).read("content.xml").decode()
    assert content.count("<table:content-validation ") >= 5  # status, done, unit, percent, amounts …
    assert "of:cell-content-is-in-list(" in content and "cell-content-is-between(0;100)" in content
    assert 'table:protected="true"' in content and 'style:cell-protect="none"' in content
    assert 'table:display="false"' in content  # the hidden bookkeeping sheet


def test_libreoffice_keeps_the_lists_and_locks_and_the_file_uploads_unchanged(
    period, moea, moea_editor, tmp_path
):
    ods = excel.build_workbook(period, moea, moea_editor, "ods")
    resaved = libreoffice(tmp_path, "workbook.ods", ods, "ods")
    content = zipfile.ZipFile(io.BytesIO(resaved)).read("content.xml").decode()
    assert "of:cell-content-is-in-list(" in content and 'table:protected="true"' in content
    assert 'style:cell-protect="none"' in content
    before = versions(period, moea)
    result = excel.import_workbook(resaved, moea_editor)
    assert result.ok, result.problems
    assert versions(period, moea) == before  # nothing changed: nothing written


def test_a_workbook_filled_and_saved_as_ods_by_libreoffice_uploads(period, moea, moea_editor, tmp_path):
    submission, measure, kpi, works = first_lines(period, moea)
    as_filled = filled(excel.build_workbook(period, moea, moea_editor), measure, kpi, works)
    ods = libreoffice(tmp_path, "filled.xlsx", as_filled, "ods")
    client = login(moea_editor)
    upload = SimpleUploadedFile(
        "filled.ods", ods, content_type="application/vnd.oasis.opendocument.spreadsheet"
    )
    response = client.post(UPLOAD, {"file": upload})
    assert response.status_code == 200, response.content.decode()[-2000:]
    measure.refresh_from_db()
    assert measure.progress == "完成第一期研發補助審查 3 件"
    line = KPIReport.objects.get(pk=kpi.pk)
    assert str(line.value) in ("2.5", "2.5000") and line.done is True
    done = submission.work_item_reports.get(pk=works[0].pk)
    assert done.percent == 100 and done.completed_on.isoformat() == "2022-04-30"


def test_an_ods_with_errors_in_several_cells_names_each_and_writes_nothing(
    period, moea, moea_editor, tmp_path
):
    submission, measure, kpi, works = first_lines(period, moea)
    kpi2 = submission.kpi_reports.select_related("kpi__measure")[1]
    k2 = ("1", kpi2.kpi.measure.code, kpi2.kpi.code)
    w0 = ("1", wkey(works[0]))
    bad = edit(
        excel.build_workbook(period, moea, moea_editor),
        [
            ("辦理情形", ("1", measure.measure.code), "辦理情形", "這段不該被寫入"),
            ("績效指標", k2, "實績值", "約 3 件"),
            ("重點工作", w0, "實際進度(%)", 120),
        ],
    )
    ods = libreoffice(tmp_path, "bad.xlsx", bad, "ods")
    before = versions(period, moea)
    result = excel.import_workbook(ods, moea_editor)
    assert not result.ok
    messages = {(p.sheet, p.cell[:1]): p.message for p in result.problems}
    assert any("不是數字" in m for (sheet, _), m in messages.items() if sheet == "績效指標"), result.problems
    assert any("0 到 100" in m for (sheet, _), m in messages.items() if sheet == "重點工作"), result.problems
    assert all(p.cell for p in result.problems)  # each problem names its cell
    assert versions(period, moea) == before
    assert MeasureReport.objects.get(pk=measure.pk).progress == ""


def test_hostile_ods_workbooks_are_refused_before_reading(period, moea, moea_editor):
    ods = excel.build_workbook(period, moea, moea_editor, "ods")
    with zipfile.ZipFile(io.BytesIO(ods)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["content.xml"] = parts["content.xml"].replace(
        b"<?xml version='1.0' encoding='UTF-8'?>", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", parts.pop("mimetype"), zipfile.ZIP_STORED)
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(UploadRefused):
        check_content(".ods", out.getvalue())
    result = excel.import_workbook(out.getvalue(), moea_editor)
    assert not result.ok and result.problems[0].message
