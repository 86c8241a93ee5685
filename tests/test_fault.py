"""A server killed in the middle of a write leaves no trace of it (issue #9).

A real gunicorn server serves a private copy of the test database (SQLite file or PostgreSQL). One
accepted write makes a committed state; its fingerprint (every row of the submissions, their lines and
the audit tables) is taken. Then a ``PATCH`` of three lines is made to hang inside its write transaction
after its first ``UPDATE`` of report lines (sixcore/core/faults.py, enabled only by ``SIXCORE_FAULT_INJECT``), and the
whole server is killed with SIGKILL. After a restart the data is exactly the committed state — no line
half-written, no version bumped, no audit entry — and the same write, sent again, is accepted.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import date

import pytest
import requests

from tests.live_servers import AppServer, clone_database, request_id, server_env, token_session


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):
    database = clone_database(django_db_blocker, tmp_path_factory.mktemp("fault"), "fault")
    try:
        yield database
    finally:
        database.drop()


def fingerprint() -> dict[str, tuple[int, str]]:
    """Rows and a digest of every row of the cycle's and the audit trail's tables."""
    from sixcore.core.models import ObjectChange, ObjectChangeRelation
    from sixcore.progress import models as progress

    tables = {}
    for model in (
        progress.Submission,
        progress.MeasureReport,
        progress.KPIReport,
        progress.WorkItemReport,
        progress.BudgetReport,
        progress.Attachment,
        ObjectChange,
        ObjectChangeRelation,
    ):
        rows = list(model.objects.order_by("pk").values_list())
        tables[model._meta.db_table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return tables


@pytest.mark.django_db
def test_killed_mid_write_leaves_last_committed_state(live, tmp_path):
    from rest_framework.authtoken.models import Token

    from sixcore.progress.models import CycleSettings, KPIReport, ReportingPeriod, Submission
    from sixcore.progress.services import ensure_submissions
    from tests.factories import editor

    with live.orm():
        cycle = CycleSettings.get()
        cycle.as_of = date(2022, 7, 5)  # 111Q2 is open
        cycle.save()
        ensure_submissions(ReportingPeriod.by_code("111Q2"))
        submission = next(
            s
            for s in Submission.objects.filter(period__roc_year=111, period__quarter=2).order_by("pk")
            if s.kpi_reports.count() >= 3
        )
        keys = [
            f"{r.kpi.measure.code}/{r.kpi.code}"
            for r in KPIReport.objects.filter(submission=submission).select_related("kpi__measure")[:3]
        ]
        token = Token.objects.create(user=editor(submission.agency.code)).key

    marker = tmp_path / "inside-transaction"
    env = server_env(live, tmp_path, SIXCORE_FAULT_INJECT="1", SIXCORE_FAULT_MARKER=str(marker))
    server = AppServer(env, tmp_path / "server.log", workers=1, threads=4)
    session = token_session(token)
    lines_url = f"{server.url}/api/progress/submissions/{submission.pk}/lines/"
    try:
        server.start()
        committed = session.patch(
            lines_url, json={"version": 1, "kpis": {keys[0]: {"value": "10"}}}, timeout=60
        )
        assert committed.status_code == 200, f"{committed.text[:500]}\n{server.log()}"
        with live.orm():
            before = fingerprint()
            version = Submission.objects.get(pk=submission.pk).version
        assert version == 2

        change = {"version": version, "kpis": {key: {"value": str(100 + i)} for i, key in enumerate(keys)}}
        outcome: dict = {}

        def doomed_write() -> None:
            try:
                response = session.patch(
                    lines_url,
                    json=change,
                    headers={"X-Sixcore-Fault": "hang-after-update=1", "X-Request-ID": request_id()},
                    timeout=120,
                )
                outcome["status"] = response.status_code
            except requests.RequestException as exc:
                outcome["error"] = exc

        writer = threading.Thread(target=doomed_write)
        writer.start()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and writer.is_alive():
            time.sleep(0.05)
        assert marker.exists(), f"the write never reached the fault point: {outcome}\n{server.log()}"
        assert marker.read_text(encoding="utf-8").startswith("in_transaction=True")
        server.kill()  # SIGKILL, arbiter and worker: lines written, not committed
        writer.join(timeout=60)
        assert "status" not in outcome, f"the killed write got an answer: {outcome}"

        server.start()
        with live.orm():
            assert fingerprint() == before
        # The row lock died with the server and the version did not move: the same write now succeeds.
        retried = session.patch(lines_url, json=change, timeout=60)
        assert retried.status_code == 200, f"{retried.text[:500]}\n{server.log()}"
        assert retried.json()["version"] == version + 1
    finally:
        server.close()
    with live.orm():
        after = fingerprint()
        values = {
            f"{r.kpi.measure.code}/{r.kpi.code}": r.value
            for r in KPIReport.objects.filter(submission=submission).select_related("kpi__measure")
        }
    assert [float(values[key]) for key in keys] == [100, 101, 102]
    assert after["core_objectchange"][0] == before["core_objectchange"][0] + 3
