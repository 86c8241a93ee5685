"""Two app servers, one database: whatever one server does, the other sees (issue #9).

Two gunicorn servers on two loopback ports serve one PostgreSQL database (a private copy of the test
database), with the same SECRET_KEY and MEDIA_ROOT, as a deployment behind a load balancer would. A
login, a saved submission, an uploaded file, a period closed, a login lockout and a generated report
made through one are seen through the other: no server keeps in its memory what another one needs.
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from types import SimpleNamespace
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings
from django.utils.module_loading import import_string

from tests.live_servers import (
    AppServer,
    TaskWorker,
    clone_database,
    csrf_headers,
    is_postgres,
    login,
    make_pbkdf2_user,
    open_moea_report_of_111q2,
    server_env,
    token_session,
)

PASSWORD = "two-servers-Passw0rd!"


def _png() -> bytes:
    """A valid 1×1 PNG (evidence file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def two(django_db_setup, django_db_blocker, tmp_path_factory):
    if not is_postgres():
        pytest.skip("several app servers share one PostgreSQL database (DATABASE_URL=postgres://…)")
    from sixcore.accounts.choices import Role

    home = tmp_path_factory.mktemp("two")
    database = clone_database(django_db_blocker, home, "two")
    servers = []
    try:
        with database.orm():
            submission = open_moea_report_of_111q2()
            period = submission.period
            kpi = submission.kpi_reports.select_related("kpi__measure").first().kpi
            make_pbkdf2_user("moea_officer", Role.AGENCY_EDITOR, "moea", PASSWORD)
            make_pbkdf2_user("moea_victim", Role.AGENCY_EDITOR, "moea", PASSWORD)
            ndc = make_pbkdf2_user("ndc_officer", Role.NDC_ADMIN, "ndc", PASSWORD)
            ndc.is_staff = ndc.is_superuser = True  # the period is closed in the admin site
            ndc.save()
        # Same key, same media root, same database: the layout of docs/OPERATIONS.md.
        env = server_env(database, home, AXES_FAILURE_LIMIT="3")
        for name in ("a", "b"):
            servers.append(AppServer(env, home / f"server-{name}.log", workers=1, threads=4))
        for server in servers:
            server.start()
        worker = TaskWorker(env, home / "worker.log").start()
        servers.append(worker)
        yield SimpleNamespace(
            a=servers[0],
            b=servers[1],
            worker=worker,
            db=database,
            period=period,
            submission=submission.pk,
            kpi_key=f"{kpi.measure.code}/{kpi.code}",
        )
    finally:
        for server in servers:
            server.close()
        database.drop()


def _logs(two) -> str:
    return (
        f"--- server A ---\n{two.a.log()}\n--- server B ---\n{two.b.log()}\n--- task worker ---\n"
        f"{two.worker.log()}"
    )


def _session(two, server, username: str = "moea_officer") -> requests.Session:
    response = login(server.url, username, PASSWORD)
    assert response.status_code == 302, f"{response.status_code} {response.text[:500]}\n{_logs(two)}"
    return response.session


def _detail(session, server, pk) -> dict:
    response = session.get(f"{server.url}/api/progress/submissions/{pk}/", timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _kpi_value(detail: dict, key: str) -> str | None:
    measure, code = key.split("/")
    for line in detail["kpis"]:
        if line["key"] == code and line["measure"] == measure:
            return line["value"]
    raise AssertionError(f"no KPI line {key} in {detail['kpis'][:3]}")


@pytest.mark.django_db
def test_login_through_one_is_valid_on_the_other_and_logout_too(two):
    session = _session(two, two.a)
    page = session.get(f"{two.b.url}/progress/", allow_redirects=False, timeout=30)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    assert "moea_officer" in page.text
    # Logging out through B ends the session everywhere (it lives in the database).
    out = session.post(
        f"{two.b.url}/accounts/logout/", headers=csrf_headers(session), allow_redirects=False, timeout=30
    )
    assert out.status_code == 302
    again = session.get(f"{two.a.url}/progress/", allow_redirects=False, timeout=30)
    assert again.status_code == 302 and "/accounts/login/" in again.headers["Location"]


@pytest.mark.django_db
def test_save_through_one_is_seen_and_version_guarded_on_the_other(two):
    session = _session(two, two.a)
    before = _detail(session, two.b, two.submission)
    saved = session.patch(
        f"{two.a.url}/api/progress/submissions/{two.submission}/lines/",
        json={"version": before["version"], "kpis": {two.kpi_key: {"value": "1234.5"}}},
        headers=csrf_headers(session),
        timeout=30,
    )
    assert saved.status_code == 200, saved.text[:500]
    seen = _detail(session, two.b, two.submission)
    assert seen["version"] == before["version"] + 1
    assert float(_kpi_value(seen, two.kpi_key)) == 1234.5
    # An editor who read the old version through B is refused: the version check is in the database.
    stale = session.patch(
        f"{two.b.url}/api/progress/submissions/{two.submission}/lines/",
        json={"version": before["version"], "kpis": {two.kpi_key: {"value": "1"}}},
        headers=csrf_headers(session),
        timeout=30,
    )
    assert stale.status_code == 409, stale.text[:500]
    assert float(_kpi_value(_detail(session, two.a, two.submission), two.kpi_key)) == 1234.5


@pytest.mark.django_db
def test_file_uploaded_through_one_downloads_through_the_other(two):
    session = _session(two, two.a)
    content = _png()
    upload = session.post(
        f"{two.a.url}/progress/submissions/{two.submission}/attachments/",
        files={"file": ("證明文件.png", content, "image/png")},
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=30,
    )
    assert upload.status_code == 302, upload.text[:500]
    attachments = _detail(session, two.b, two.submission)["attachments"]
    assert attachments, f"the upload was not stored\n{_logs(two)}"
    attachment = attachments[-1]
    download = session.get(
        f"{two.b.url}/progress/submissions/{two.submission}/attachments/{attachment['id']}/", timeout=30
    )
    assert download.status_code == 200
    assert download.content == content


@pytest.mark.django_db
def test_period_closed_through_one_is_enforced_on_the_other(two):
    from sixcore.progress.models import ReportingPeriod

    ndc = _session(two, two.a, "ndc_officer")
    change_url = f"{two.a.url}/admin/progress/reportingperiod/{two.period.pk}/change/"
    assert ndc.get(change_url, timeout=30).status_code == 200
    closed = ndc.post(
        change_url,
        data={
            "csrfmiddlewaretoken": ndc.cookies["csrftoken"],
            "roc_year": two.period.roc_year,
            "quarter": two.period.quarter,
            "due_date": two.period.due_date.isoformat(),
            "grace_days": "",
            "closed": "on",
            "_save": "Save",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert closed.status_code == 302, closed.text[:2000]
    assert "/login/" not in closed.headers["Location"], closed.headers["Location"]
    try:
        editor = _session(two, two.b)
        detail = _detail(editor, two.b, two.submission)
        assert detail["period_state"] == "locked"
        refused = editor.patch(
            f"{two.b.url}/api/progress/submissions/{two.submission}/lines/",
            json={"version": detail["version"], "kpis": {two.kpi_key: {"value": "7"}}},
            headers=csrf_headers(editor),
            timeout=30,
        )
        assert refused.status_code == 403, refused.text[:500]
    finally:
        with two.db.orm():
            ReportingPeriod.objects.filter(pk=two.period.pk).update(closed=False)


@pytest.mark.django_db
def test_login_lockout_through_one_holds_on_the_other(two):
    for _attempt in range(3):  # AXES_FAILURE_LIMIT=3 on both servers
        failed = login(two.a.url, "moea_victim", "wrong-password-123")
        assert failed.status_code in (200, 429), failed.status_code
    locked = login(two.b.url, "moea_victim", PASSWORD)
    assert locked.status_code in (403, 429), f"a correct password got in through B: {locked.status_code}"
    assert "sessionid" not in locked.session.cookies


@pytest.mark.django_db
def test_report_is_the_same_through_either_server(two):
    editor = _session(two, two.a)
    version = _detail(editor, two.a, two.submission)["version"]
    saved = editor.patch(
        f"{two.a.url}/api/progress/submissions/{two.submission}/lines/",
        json={"version": version, "kpis": {two.kpi_key: {"note": "兩台伺服器報表測試"}}},
        headers=csrf_headers(editor),
        timeout=30,
    )
    assert saved.status_code == 200, saved.text[:500]
    ndc = _session(two, two.b, "ndc_officer")
    url = "/reports/export/submissions.json?period=111Q2"
    through_a, through_b = (ndc.get(f"{server.url}{url}", timeout=120) for server in (two.a, two.b))
    assert through_a.status_code == through_b.status_code == 200
    assert through_a.json() == through_b.json()
    assert "兩台伺服器報表測試" in through_b.content.decode("utf-8")


@pytest.mark.django_db
def test_pdf_queued_through_one_is_downloaded_through_the_other(two):
    """The PDF is made by a background task (reports/tasks.py, run by ``sixcore db_worker``): its row is
    in the database, its file under the shared MEDIA_ROOT, so any server shows its progress and serves
    the file."""
    ndc = _session(two, two.a, "ndc_officer")
    queued = ndc.get(f"{two.a.url}/reports/quarterly/111Q2.pdf", allow_redirects=False, timeout=60)
    assert queued.status_code == 302, queued.text[:500]
    job_url = urljoin(f"{two.b.url}/", queued.headers["Location"])
    assert job_url.startswith(f"{two.b.url}/reports/jobs/")
    deadline = time.monotonic() + 240
    while (page := ndc.get(job_url, allow_redirects=False, timeout=60)).status_code == 202:
        assert time.monotonic() < deadline, f"the report job did not finish\n{_logs(two)}"
        time.sleep(0.5)
    assert page.status_code == 302, f"{page.status_code} {page.text[:500]}\n{_logs(two)}"
    pdf = ndc.get(urljoin(job_url, page.headers["Location"]), timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_sessions_and_lockouts_live_in_the_database():
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessions

    assert issubclass(import_string(f"{settings.SESSION_ENGINE}.SessionStore"), DatabaseSessions)
    assert getattr(settings, "AXES_HANDLER", "axes.handlers.database.AxesDatabaseHandler") == (
        "axes.handlers.database.AxesDatabaseHandler"
    )


@pytest.mark.django_db
def test_a_write_through_one_is_in_the_next_read_through_the_other(two):
    """No server keeps answers in its own memory: a write committed through A is in B's next answer."""
    session = _session(two, two.a)
    measure, code = two.kpi_key.split("/")
    url = f"{two.b.url}/api/progress/kpi-reports/?period=111Q2&agency=moea&limit=500"

    def value_through_b():
        rows = session.get(url, timeout=30).json()["results"]
        return next(
            (r["value"], r["version"])
            for r in rows
            if r["submission"] == two.submission
            and r["measure"] == measure
            and r["kpi"] == code.split("#")[0]
        )

    value_through_b()
    before, version = value_through_b()
    saved = session.patch(
        f"{two.a.url}/api/progress/submissions/{two.submission}/lines/",
        json={"version": version, "kpis": {two.kpi_key: {"value": "777.25"}}},
        headers=csrf_headers(session),
        timeout=30,
    )
    assert saved.status_code == 200, saved.text[:500]
    after, new_version = value_through_b()
    assert float(after) == 777.25 and new_version == version + 1, (before, after, _logs(two))


def _token(username: str, role: str, agency: str) -> str:
    from rest_framework.authtoken.models import Token

    from sixcore.accounts.models import User

    user = User.objects.filter(username=username).first() or make_pbkdf2_user(
        username, role, agency, PASSWORD
    )
    return Token.objects.get_or_create(user=user)[0].key


def _two_kpi_lines(two) -> tuple:
    """A moea KPI line (A) and a most KPI line of another measure (B) of 111Q2, both still empty and
    not the line other tests of this module write."""
    from sixcore.progress.models import KPIReport

    def lines(agency):
        return [
            line
            for line in KPIReport.objects.filter(
                submission__period=two.period, submission__agency__code=agency, value=None, done=None
            )
            .select_related("kpi__measure", "submission")
            .order_by("submission__industry__code", "pk")
            if "#" not in line.kpi.code and f"{line.kpi.measure.code}/{line.kpi.code}" != two.kpi_key
        ]

    a = lines("moea")[0]
    b = next(line for line in lines("most") if line.kpi.measure_id != a.kpi.measure_id)
    return a, b


def _actuals(session, server, lines) -> list:
    """The stored evaluation's actual of each line's KPI, read through ``server`` (``/api/evaluation``)."""
    response = session.get(f"{server.url}/api/evaluation/kpis/?period=111Q2", timeout=60)
    assert response.status_code == 200, response.text[:500]
    rows = {(r["measure"], r["kpi"]): r["actual"] for r in response.json()}
    return [rows[(line.kpi.measure.code, line.kpi.code)] for line in lines]


def _blocked_by_me(cursor) -> int:
    """Sessions waiting for a lock this session holds (``pg_locks`` is read live; ``pg_stat_activity``
    would be a snapshot taken once per transaction)."""
    cursor.execute(
        "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    return cursor.fetchone()[0]


@pytest.mark.django_db
def test_two_writes_committing_out_of_order_are_both_read_on_both_servers(two):
    """Writer A (through server A) saves first but commits last; writer B (through server B) starts
    after A and commits first.  Afterwards the stored evaluation read through either server shows
    both writes, and ``evaluate --check`` finds nothing stale.

    The order is forced with a lock, not with time: the test holds, from its own connection, the
    refresh lock of A's measure (``evaluation.models.RefreshLock``), which A's save takes after
    writing its lines and before committing; it waits until PostgreSQL reports A blocked by it, lets
    B save and commit, then releases A."""
    from django.db import connection, transaction

    from sixcore.accounts.choices import Role
    from sixcore.evaluation import store
    from sixcore.evaluation.models import RefreshLock

    with two.db.orm():
        a_line, b_line = _two_kpi_lines(two)
        a_token = _token("moea_writer", Role.AGENCY_EDITOR, "moea")
        b_token = _token("most_writer", Role.AGENCY_EDITOR, "most")
        lock_name = f"m:{a_line.kpi.measure.code}"
        RefreshLock.objects.get_or_create(name=lock_name)
    a_key = f"{a_line.kpi.measure.code}/{a_line.kpi.code}"
    b_key = f"{b_line.kpi.measure.code}/{b_line.kpi.code}"
    a_api, b_api = token_session(a_token), token_session(b_token)
    ndc = _session(two, two.a, "ndc_officer")
    lines = (a_line, b_line)
    assert _actuals(ndc, two.a, lines) == _actuals(ndc, two.b, lines) == [None, None]

    def patch(api, server, submission, key, value):
        version = _detail(api, server, submission)["version"]
        return api.patch(
            f"{server.url}/api/progress/submissions/{submission}/lines/",
            json={"version": version, "kpis": {key: {"value": value}}},
            timeout=120,
        )

    a_outcome: dict = {}

    def writer_a():
        try:
            a_outcome["response"] = patch(a_api, two.a, a_line.submission_id, a_key, "4321.5")
        except requests.RequestException as exc:
            a_outcome["error"] = exc

    a_thread = threading.Thread(target=writer_a)
    with two.db.orm(), transaction.atomic():
        list(RefreshLock.objects.select_for_update().filter(name=lock_name).values_list("pk"))
        a_thread.start()
        deadline = time.monotonic() + 60
        with connection.cursor() as cursor:
            while not _blocked_by_me(cursor):
                assert a_thread.is_alive(), f"A finished without waiting for the lock: {a_outcome}"
                assert time.monotonic() < deadline, f"A never reached the refresh lock\n{_logs(two)}"
                time.sleep(0.05)
        # A has written its lines and waits, uncommitted.  B starts now and commits first.
        b_saved = patch(b_api, two.b, b_line.submission_id, b_key, "8765.25")
        assert b_saved.status_code == 200, f"{b_saved.text[:500]}\n{_logs(two)}"
        for server in (two.a, two.b):
            assert _actuals(ndc, server, lines) == [None, 8765.25]  # A is not committed yet
        assert a_thread.is_alive()
    a_thread.join(timeout=120)  # the lock is released: A refreshes its measure and commits
    assert not a_thread.is_alive() and "error" not in a_outcome, a_outcome
    assert a_outcome["response"].status_code == 200, a_outcome["response"].text[:500]
    for server in (two.a, two.b):
        assert _actuals(ndc, server, lines) == [4321.5, 8765.25], _logs(two)
    with two.db.orm():
        assert store.check([two.period]) == []
