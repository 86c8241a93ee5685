"""An ordinary migration applied while two app servers serve traffic answers no request with a 5xx
(issue 18).

Two gunicorn servers (persistent connections on PostgreSQL, as deployed; on SQLite one file in WAL
mode) serve a private copy of the test database.  Client threads load both: signed-in officers reading their submission page (session
cookie), API clients reading report lines (DRF token), and one API client saving a KPI line again and
again.  Meanwhile the test applies Django's own ``AlterField`` operation — the one ``sixcore migrate``
runs for a migration that widens ``KPIReport.value`` (``max_digits`` 16 → 20) — to the table every one
of those requests reads, then its reverse.  On PostgreSQL the test keeps each schema change's
transaction open until it sees a server's request waiting for it (``pg_locks``), so the change does
land in the middle of the traffic.  The load runs before, during and after; every answer is checked.
The copy is dropped afterwards: no migration is added to the app.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from tests.live_servers import (
    AppServer,
    clone_database,
    login,
    make_pbkdf2_user,
    open_moea_report_of_111q2,
    server_env,
    token_session,
)

PASSWORD = "live-migration-Passw0rd!"
READERS = 2  # per kind of client (signed-in pages, token API)
AFTER = 3  # requests each client completes after the last schema change
GUARD_S = 180.0  # failure guard: the whole load, however slow the machine


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):
    database = clone_database(django_db_blocker, tmp_path_factory.mktemp("migration"), "migration")
    try:
        yield database
    finally:
        database.drop()


def _setup(database):
    from rest_framework.authtoken.models import Token

    from sixcore.accounts.choices import Role
    from sixcore.progress.models import KPIReport

    with database.orm():
        submission = open_moea_report_of_111q2()
        line = KPIReport.objects.filter(submission=submission).select_related("kpi__measure").first()
        make_pbkdf2_user("moea_reader", Role.AGENCY_EDITOR, "moea", PASSWORD)
        writer = make_pbkdf2_user("moea_writer", Role.AGENCY_EDITOR, "moea", PASSWORD)
        token = Token.objects.create(user=writer).key
    return submission.pk, f"{line.kpi.measure.code}/{line.kpi.code}", token


class Load:
    """Client threads sending requests until stopped, each counting what it got after ``mark()``."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.epoch = 0  # raised by mark(): requests sent from then on count as "after"
        self.after: Counter = Counter()
        self.threads: list[threading.Thread] = []

    def mark(self) -> None:
        with self.lock:
            self.epoch += 1
            self.after.clear()

    def run(self, name: str, step) -> None:
        def loop() -> None:
            i = 0
            while not self.stop.is_set():
                with self.lock:
                    epoch = self.epoch
                try:
                    response = step(i)
                except requests.RequestException as exc:
                    with self.lock:
                        self.failures.append(f"{name}: {exc!r}")
                    return
                i += 1
                with self.lock:
                    self.statuses[response.status_code] += 1
                    if response.status_code >= 400:
                        self.failures.append(f"{name}: {response.status_code} {response.text[:300]}")
                    elif epoch == self.epoch:
                        self.after[name] += 1

        thread = threading.Thread(target=loop, name=name)
        self.threads.append(thread)
        thread.start()

    def wait_after(self, count: int, servers) -> None:
        """Until every client completed ``count`` requests sent after the last ``mark()``."""
        deadline = time.monotonic() + GUARD_S
        while True:
            with self.lock:
                done = all(self.after[t.name] >= count for t in self.threads)
                failures = list(self.failures)
            assert not failures, f"{failures[:5]}\n{_logs(servers)}"
            if done:
                return
            assert time.monotonic() < deadline, f"the load stalled: {dict(self.after)}\n{_logs(servers)}"
            time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


def _logs(servers) -> str:
    return "\n".join(f"--- server {i} ---\n{s.log()}" for i, s in enumerate(servers))


def _alter_value_field(database, forwards: bool, servers) -> None:
    """``AlterField(KPIReport.value, max_digits=20)`` (or its reverse) as ``migrate`` applies it: the
    migration state at the app's latest migrations, the operation's ``database_forwards`` (or
    ``database_backwards``) in one transaction.  On PostgreSQL the transaction stays open until a
    server's request waits for the altered table."""
    from django.db import connection, models
    from django.db.migrations import AlterField
    from django.db.migrations.loader import MigrationLoader

    with database.orm():
        state = MigrationLoader(connection, ignore_no_migrations=True).project_state()
        operation = AlterField(
            "kpireport",
            "value",
            models.DecimalField("actual", max_digits=20, decimal_places=4, null=True, blank=True),
        )
        widened = state.clone()
        operation.state_forwards("progress", widened)
        with connection.schema_editor(atomic=True) as editor:
            if forwards:
                operation.database_forwards("progress", editor, state, widened)
            else:
                operation.database_backwards("progress", editor, widened, state)
            if connection.vendor == "postgresql":
                _wait_for_a_waiting_request(connection, servers)
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, "progress_kpireport")
        precision = next(c.precision for c in columns if c.name == "value")
    if precision is not None:  # SQLite declares ``decimal`` without digits (the table is rebuilt)
        assert precision == (20 if forwards else 16)


def _wait_for_a_waiting_request(connection, servers) -> None:
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(DISTINCT pid) FROM pg_locks "
                "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"no request reached the altered table\n{_logs(servers)}"
            time.sleep(0.02)


@pytest.mark.django_db
def test_alter_field_under_signed_in_and_token_traffic_on_two_servers(live, tmp_path):
    submission, kpi_key, token = _setup(live)
    # CONN_MAX_AGE as deployed (settings' default): connections outlive the schema change.
    env = server_env(live, tmp_path, CONN_MAX_AGE="60")
    servers = [AppServer(env, tmp_path / f"server-{n}.log", workers=1, threads=4) for n in "ab"]
    load = Load()
    try:
        for server in servers:
            server.start()
        sessions = []
        for server in servers:
            signed_in = login(server.url, "moea_reader", PASSWORD)
            assert signed_in.status_code == 302, signed_in.text[:500]
            sessions.append(signed_in.session)
        api = token_session(token)
        first_version = api.get(
            f"{servers[0].url}/api/progress/submissions/{submission}/", timeout=60
        ).json()["version"]
        accepted: list[int] = []
        # One connection per request: an idle keep-alive connection closed by gunicorn (after 2 s) as
        # the client reuses it is a client-side race, not an answer of the servers.
        for client in (*sessions, api):
            client.headers["Connection"] = "close"

        def page(session, server):
            def step(i):
                target = servers[(i + servers.index(server)) % 2]
                return session.get(f"{target.url}/progress/submissions/{submission}/", timeout=120)

            return step

        def lines(server):
            def step(i):
                target = servers[(i + servers.index(server)) % 2]
                return api.get(
                    f"{target.url}/api/progress/kpi-reports/?period=111Q2&agency=moea&limit=200", timeout=120
                )

            return step

        def save(i):
            target = servers[i % 2]
            detail = api.get(f"{target.url}/api/progress/submissions/{submission}/", timeout=120)
            if detail.status_code != 200:
                return detail
            saved = api.patch(
                f"{target.url}/api/progress/submissions/{submission}/lines/",
                json={"version": detail.json()["version"], "kpis": {kpi_key: {"value": str(1000 + i)}}},
                timeout=120,
            )
            if saved.status_code == 200:
                accepted.append(i)
            return saved

        for n in range(READERS):
            server = servers[n % 2]
            load.run(f"page-{n}", page(sessions[n % 2], server))
            load.run(f"api-{n}", lines(server))
        load.run("save", save)
        load.wait_after(AFTER, servers)  # the load is running on both servers

        for forwards in (True, False):
            _alter_value_field(live, forwards, servers)
            load.mark()
            load.wait_after(AFTER, servers)  # every client kept getting answers after the change
    finally:
        load.close()
        for server in servers:
            server.close()
    assert not load.failures, load.failures[:5]
    assert not [status for status in load.statuses if status >= 500], load.statuses
    assert set(load.statuses) == {200}, load.statuses
    with live.orm():
        from sixcore.progress.models import KPIReport, Submission

        version = Submission.objects.get(pk=submission).version
        measure, code = kpi_key.split("/")
        value = KPIReport.objects.get(submission=submission, kpi__measure__code=measure, kpi__code=code).value
    # Every save was accepted at the version it read, and the last one is what is stored.
    assert version == first_version + len(accepted) and value == 1000 + accepted[-1]
