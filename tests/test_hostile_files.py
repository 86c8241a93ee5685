"""Hostile uploads (issue #9): files that are not what they claim, at every upload endpoint.

Endpoints: evidence attachments of a submission (web), the agency Excel workbook (web), the supplies
observation import (web and API), plan-revision data files (web). Each hostile file is refused with a
zh-Hant message that says why, and nothing is stored: no INSERT/UPDATE/DELETE reaches the database
(sessions aside) and no file appears under MEDIA_ROOT. A clean file through the same path is accepted, so
the refusals are about the file, not the request.

Formulas in a CSV (cells starting with ``=``, ``+``, ``-``, ``@``) are *refused*, not neutralised: every
column of an observation import is a registered code, a date or a number, so a formula can never be a
valid cell and no text from the file is stored. (Free text typed in the Excel workbook is kept as text
and neutralised on every export instead — sixcore/progress/tests/test_excel.py, sixcore/evaluation/export.py.)
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from sixcore.core import uploads
from sixcore.core.uploads import UploadRefused, check_content
from tests.factories import editor, ndc_admin, open_period

pytestmark = pytest.mark.django_db

WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|COPY)\b", re.I)
BOOKKEEPING = re.compile(r"django_session|axes_", re.I)


# --- hostile files -------------------------------------------------------------------------------------


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@cache
def clean_xlsx() -> bytes:
    wb = Workbook()
    wb.active.append(["品項", "數量"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@cache
def zip_bomb_xlsx() -> bytes:
    """A workbook whose one sheet inflates to 120 MB of spaces (about 120 KB on the wire)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(clean_xlsx())) as genuine:
            for info in genuine.infolist():
                if info.filename != "xl/worksheets/sheet1.xml":
                    archive.writestr(info.filename, genuine.read(info))
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            chunk = b" " * (1 << 20)
            for _ in range(120):
                entry.write(chunk)
    return out.getvalue()


def with_macros(workbook: bytes) -> bytes:
    """``workbook`` with a VBA project and the macro-enabled content type, as Excel saves an .xlsm."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as genuine,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in genuine.infolist():
            data = genuine.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            archive.writestr(info.filename, data)
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name" * 64)
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table><script>alert(1)</script></body></html>"
YAML_BOMB = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + b"".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n".encode() for i in range(8)
)


def hostile_workbooks(genuine: bytes) -> dict[str, tuple[str, bytes, str]]:
    """name → (file name, content, what the refusal says (a fragment of the zh-Hant message))."""
    cases = {
        "zip bomb": ("report.xlsx", zip_bomb_xlsx(), "壓縮炸彈"),
        "html renamed xlsx": ("report.xlsx", HTML, "不是"),
        "macro-enabled xlsm": ("report.xlsm", with_macros(genuine), "巨集"),
        "macros disguised as xlsx": ("report.xlsx", with_macros(genuine), "巨集"),
        "zip that is no workbook": ("report.xlsx", zip_bytes({"a.txt": b"hello"}), "不是"),
        "encrypted zip entry": ("report.xlsx", _encrypted(genuine), "加密"),
    }
    assert tuple(cases) == WORKBOOK_CASES
    return cases


def _encrypted(genuine: bytes) -> bytes:
    """The workbook with its first entry flagged as encrypted (what a password-protected zip declares)."""
    data = bytearray(genuine)
    data[6] |= 0x1  # general purpose bit flag of the first local header
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # and of its central directory record
    return bytes(data)


# --- helpers -------------------------------------------------------------------------------------------


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class NothingStored:
    """Asserts that a block wrote no row (sessions and login attempts aside) and no file under MEDIA_ROOT."""

    def __init__(self, media):
        self.media = media

    def __enter__(self):
        self.files = sorted(p for p in self.media.rglob("*") if p.is_file())
        self.queries = CaptureQueriesContext(connection).__enter__()
        return self

    def __exit__(self, *exc):
        self.queries.__exit__(*exc)
        if exc[0] is not None:
            return False
        writes = [
            q["sql"][:100]
            for q in self.queries.captured_queries
            if WRITE_SQL.match(q["sql"]) and not BOOKKEEPING.search(q["sql"])
        ]
        assert writes == []
        assert sorted(p for p in self.media.rglob("*") if p.is_file()) == self.files
        return False


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def cycle_settings():
    """The cycle's settings row is created on first use; in a running system it exists."""
    from sixcore.progress.models import CycleSettings

    CycleSettings.get()


@pytest.fixture
def period(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


@pytest.fixture
def draft(period):
    from sixcore.progress.models import Submission

    return Submission.objects.get(period=period, industry__code="3", agency__code="moea")


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- evidence attachments --------------------------------------------------------------------------------


WORKBOOK_CASES = (
    "zip bomb",
    "html renamed xlsx",
    "macro-enabled xlsm",
    "macros disguised as xlsx",
    "zip that is no workbook",
    "encrypted zip entry",
)


@pytest.mark.parametrize("case", WORKBOOK_CASES)
def test_hostile_attachments_are_refused(draft, media, case):
    name, content, says = hostile_workbooks(clean_xlsx())[case]
    if name.endswith(".xlsm"):
        says = "不接受 .xlsm"  # the form's allow-list refuses it by name before the content is read
    client = login(editor("moea"))
    url = reverse("progress:attachment_upload", args=[draft.pk])
    with NothingStored(media):
        response = client.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)
    assert response.status_code == 200
    assert says in messages_of(response), messages_of(response)
    assert draft.attachments.count() == 0


def test_an_oversized_attachment_is_refused_and_a_clean_one_is_kept(draft, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 64 * 1024
    client = login(editor("moea"))
    url = reverse("progress:attachment_upload", args=[draft.pk])
    huge = b"%PDF-1.4\n" + b"0" * settings.ATTACHMENT_MAX_BYTES
    with NothingStored(media):
        response = client.post(url, {"file": SimpleUploadedFile("big.pdf", huge)}, follow=True)
    assert "MB" in messages_of(response) and draft.attachments.count() == 0
    response = client.post(url, {"file": SimpleUploadedFile("ok.xlsx", clean_xlsx())}, follow=True)
    assert draft.attachments.count() == 1
    assert [p.is_file() for p in media.rglob("*") if p.is_file()] == [True]


# --- the agency Excel workbook ----------------------------------------------------------------------------


@pytest.fixture
def genuine_workbook(period):
    from sixcore.accounts.models import Agency
    from sixcore.progress import excel

    return excel.build_workbook(period, Agency.objects.get(code="moea"), editor("moea"))


def test_hostile_workbooks_are_refused_by_the_excel_upload(genuine_workbook, media):
    client = login(editor("moea"))
    for case, (name, content, says) in hostile_workbooks(genuine_workbook).items():
        with NothingStored(media):
            response = client.post(
                reverse("progress:excel_upload"), {"file": SimpleUploadedFile(name, content)}
            )
        assert response.status_code == 400, case
        assert says in response.content.decode(), case
    # The same workbook without its macros is accepted (nothing filled in: nothing to change).
    response = client.post(
        reverse("progress:excel_upload"), {"file": SimpleUploadedFile("ok.xlsx", genuine_workbook)}
    )
    assert response.status_code == 200


def test_an_oversized_workbook_is_refused(period, media):
    from sixcore.progress import excel

    huge = b"PK\x03\x04" + b"\0" * excel.MAX_UPLOAD_BYTES
    client = login(editor("moea"))
    with NothingStored(media):
        response = client.post(
            reverse("progress:excel_upload"), {"file": SimpleUploadedFile("big.xlsx", huge)}
        )
    assert response.status_code == 400 and "10 MB" in response.content.decode()


# --- the supplies import (web and API) --------------------------------------------------------------------


@pytest.fixture
def supply():
    """An item of 經濟部 with a company registered to report it."""
    from sixcore.supplies.choices import ReporterKind
    from sixcore.supplies.models import Assignment, Reporter, SupplyItem
    from sixcore.supplies.registry import ensure_seeded

    ensure_seeded()
    item = SupplyItem.objects.filter(responsible_agency__code="moea").order_by("order")[0]
    reporter = Reporter.objects.create(code="hostile-co", name="測試公司", kind=ReporterKind.COMPANY)
    Assignment.objects.create(item=item, reporter=reporter)
    return item, reporter


def formula_csv(item, reporter) -> bytes:
    rows = [
        "item,reporter,date,unit,stock",
        f'=HYPERLINK("http://evil.example","{item.code}"),{reporter.code},2022-06-30,{item.unit},1',
        f"{item.code},@SUM(1+1)*cmd|' /C calc'!A0,2022-06-30,{item.unit},1",
        f"{item.code},{reporter.code},2022-06-30,{item.unit},=1+2",
        f"{item.code},{reporter.code},2022-05-31,{item.unit},+cmd|' /C calc'!A0",
        f"{item.code},{reporter.code},2022-04-30,{item.unit},-2+3",
    ]
    return ("\n".join(rows) + "\n").encode()


def hostile_imports(item, reporter) -> dict[str, tuple[str, bytes, str]]:
    return {
        **hostile_workbooks(clean_xlsx()),
        "html renamed csv": ("obs.csv", HTML, "不是"),
        "xlsx renamed csv": ("obs.csv", clean_xlsx(), "不是"),
        "big5 csv": ("obs.csv", "品項,申報者\n石油,台塑\n".encode("big5"), "UTF-8"),
        "executable": ("obs.exe", b"MZ\x90\x00", "不接受"),
    }


@pytest.mark.parametrize("via", ["web", "api"])
def test_hostile_imports_are_refused(supply, media, via):
    from sixcore.supplies.models import Observation

    item, reporter = supply
    client = login(editor("moea"))
    url = reverse("supplies:import") if via == "web" else "/api/supplies/import/"
    for case, (name, content, says) in hostile_imports(item, reporter).items():
        with NothingStored(media):
            response = client.post(url, {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400, case
        assert says in response.content.decode(), (case, response.content.decode()[:300])
    assert Observation.objects.filter(item=item).count() == 0


@pytest.mark.parametrize("via", ["web", "api"])
def test_formulas_in_a_csv_are_refused_row_by_row(supply, media, via):
    from sixcore.supplies.models import Observation

    item, reporter = supply
    client = login(editor("moea"))
    url = reverse("supplies:import") if via == "web" else "/api/supplies/import/"
    with NothingStored(media):
        response = client.post(url, {"file": SimpleUploadedFile("obs.csv", formula_csv(item, reporter))})
    text = response.content.decode()
    if via == "api":
        assert response.status_code == 400
        assert sorted({e["row"] for e in response.json()["errors"]}) == [2, 3, 4, 5, 6]
    else:
        assert all(f"obs.csv 第 {row} 列" in text for row in range(2, 7)), text
    assert Observation.objects.filter(item=item).count() == 0
    # The same rows without the formulas go in.
    clean = f"item,reporter,date,unit,stock\n{item.code},{reporter.code},2022-06-30,{item.unit},1\n"
    response = client.post(url, {"file": SimpleUploadedFile("obs.csv", clean.encode())})
    assert Observation.objects.filter(item=item).count() == 1


def test_an_oversized_import_is_refused(supply, media, settings):
    settings.IMPORT_MAX_BYTES = 32 * 1024
    item, reporter = supply
    row = f"{item.code},{reporter.code},2022-06-30,{item.unit},1\n"
    big = ("item,reporter,date,unit,stock\n" + row * (settings.IMPORT_MAX_BYTES // len(row) + 1)).encode()
    client = login(editor("moea"))
    with NothingStored(media):
        response = client.post("/api/supplies/import/", {"file": SimpleUploadedFile("b.csv", big)})
    assert response.status_code == 400 and "MB" in response.json()["errors"][0]["reason"]


# --- plan-revision data files --------------------------------------------------------------------------


@pytest.fixture
def revision(program):
    from sixcore.revisions import services

    return services.draft_revision(ndc_admin(), program, reason="測試", effective_from="112Q1")


def test_hostile_revision_files_are_refused(revision, media):
    from sixcore.revisions.views import MAX_UPLOAD_BYTES

    cases = {
        "yaml bomb": ("kpis_1.yaml", YAML_BOMB, "別名"),
        "not yaml: a png": ("kpis_1.yaml", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是"),
        "not yaml: html": ("kpis_1.yaml", HTML, "不是"),
        "big5 text": ("kpis_1.yaml", "產業: 資訊及數位\n".encode("big5"), "UTF-8"),
        "a zip": ("kpis_1.yaml", clean_xlsx(), "不是"),
        "too large": ("kpis_1.yaml", b"a: 1\n" * (MAX_UPLOAD_BYTES // 5 + 1), "MB"),
        "wrong type": ("kpis_1.xlsx", clean_xlsx(), "不接受"),
        "deep nesting": ("kpis_1.yaml", b"[" * 200 + b"]" * 200, "巢狀"),
    }
    client = login(ndc_admin())
    url = reverse("revisions:upload", args=[revision.number])
    for case, (name, content, says) in cases.items():
        with NothingStored(media):
            response = client.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)
        assert response.status_code == 200, case
        assert says in messages_of(response), (case, messages_of(response))


def test_the_yaml_bomb_is_refused_before_it_is_loaded():
    """The scanner stops at the first anchor: the bomb's 9**9 references are never built."""
    with pytest.raises(uploads.UploadRefused, match="第 1 行"):
        uploads.check_content(".yaml", YAML_BOMB)


def test_the_real_data_files_pass_the_checks():
    from sixcore.plan.datafiles import DATA_DIR

    for path in sorted(DATA_DIR.glob("*.yaml")):
        uploads.check_content(".yaml", path.read_bytes())


# --- OpenDocument (.ods, .odt) -------------------------------------------------------------------


def _odf(
    kind: str = ".ods",
    *,
    extra: dict[str, bytes] | None = None,
    content: bytes | None = None,
    manifest: bytes | None = None,
    mimetype: bytes | None = None,
    mimetype_first: bool = True,
) -> bytes:
    """A genuine OpenDocument package (written by our own ODF writer), changed as an attacker would."""
    from sixcore.core.opendocument import write_sheets

    genuine = write_sheets([("S", ["a"], [["b"]])])
    with zipfile.ZipFile(io.BytesIO(genuine)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    if kind == ".odt":
        parts["mimetype"] = b"application/vnd.oasis.opendocument.text"
    if mimetype is not None:
        parts["mimetype"] = mimetype
    if content is not None:
        parts["content.xml"] = content
    if manifest is not None:
        parts["META-INF/manifest.xml"] = manifest
    parts.update(extra or {})
    order = list(parts)
    order.remove("mimetype")
    order = ["mimetype", *order] if mimetype_first else [*order, "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in order:
            archive.writestr(
                name, parts[name], zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def _odf_content(body: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        b'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0">'
        + body
        + b"</office:document-content>"
    )


def test_a_genuine_ods_and_odt_pass():
    check_content(".ods", _odf())
    check_content(".odt", _odf(".odt"))


@pytest.mark.parametrize(
    ("case", "data", "words"),
    [
        ("Basic macro library", lambda: _odf(extra={"Basic/Standard/Module1.xml": b"<x/>"}), "巨集"),
        ("Python script", lambda: _odf(extra={"Scripts/python/run.py": b"import os"}), "巨集"),
        (
            "macro bound to an event",
            lambda: _odf(
                content=_odf_content(
                    b'<office:body><script:event-listener script:language="ooo:script" '
                    b'xlink:href="vnd.sun.star.script:Standard.Module1.Run"/></office:body>'
                )
            ),
            "巨集",
        ),
        (
            "encrypted package",
            lambda: _odf(manifest=b"<manifest:manifest><manifest:encryption-data/></manifest:manifest>"),
            "加密",
        ),
        (
            "linked table (external link)",
            lambda: _odf(content=_odf_content(b'<table:table-source xlink:href="file:///etc/passwd"/>')),
            "外部連結",
        ),
        ("wrong mimetype", lambda: _odf(mimetype=b"application/vnd.oasis.opendocument.text"), "不是"),
        ("mimetype not first", lambda: _odf(mimetype_first=False), "不是"),
        ("zip bomb", lambda: _odf(extra={"Pictures/big.xml": b"\0" * (8 * 1024 * 1024)}), "壓縮炸彈"),
        ("not a zip", lambda: b"<office:document/>", "不是"),
    ],
)
def test_hostile_odf_is_refused(case, data, words):
    with pytest.raises(UploadRefused) as refused:
        check_content(".ods", data())
    assert words in str(refused.value), (case, str(refused.value))


def test_a_workbook_linking_other_files_is_refused(genuine_workbook):
    with zipfile.ZipFile(io.BytesIO(genuine_workbook)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/externalLinks/externalLink1.xml"] = b"<externalLink/>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(UploadRefused, match="外部連結"):
        check_content(".xlsx", out.getvalue())
