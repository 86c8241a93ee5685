"""Real app-server processes for the reliability tests (issue #9).

- :func:`clone_database` copies the session's test database (migrated, program loaded) into a private
  database that server processes can see: a PostgreSQL ``CREATE DATABASE … TEMPLATE`` or an SQLite file
  written with SQLite's online backup API. The tests' own database is never written, so no other test
  sees what these tests do, and nothing needs a transactional flush afterwards.
- :meth:`LiveDatabase.orm` points this process's default connection at the copy, to set up data and
  check results with the ORM.
- :class:`AppServer` runs gunicorn (gthread workers) on a loopback socket the test binds itself (port 0:
  no fixed port, no race for it) and passes as ``fd://``; its output goes to a file shown on failure.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
# One signing key for every server of a test: a session cookie made by one must be valid on another.
SECRET_KEY = "live-server-tests-" + "k" * 40


def is_postgres() -> bool:
    from django.db import connections

    return connections["default"].vendor == "postgresql"


class LiveDatabase:
    """A private copy of the test database, for server processes and for the test's ORM checks."""

    def __init__(self, settings_dict: dict[str, Any], url: str, blocker: Any, drop: Any) -> None:
        self.settings_dict = settings_dict
        self.url = url
        self.blocker = blocker
        self._drop = drop

    @contextmanager
    def orm(self) -> Iterator[None]:
        """Inside the block, the ORM of this thread uses the copy (a fresh connection, closed after)."""
        from django.contrib.contenttypes.models import ContentType
        from django.db import connections
        from django.db.utils import load_backend

        wrapper = load_backend(self.settings_dict["ENGINE"]).DatabaseWrapper(self.settings_dict, "default")
        previous = connections["default"]
        connections["default"] = wrapper
        try:
            with self.blocker.unblock():
                yield
        finally:
            with self.blocker.unblock():
                wrapper.close()
            connections["default"] = previous
            ContentType.objects.clear_cache()

    def drop(self) -> None:
        self._drop()


def clone_database(blocker: Any, tmp_path: Path, suffix: str) -> LiveDatabase:
    """Copy the test database (committed state: the migrated schema and the loaded program)."""
    from django.db import connections

    source = connections["default"]
    settings_dict = {**source.settings_dict, "CONN_MAX_AGE": 0}
    if source.vendor == "postgresql":
        import psycopg

        template = source.settings_dict["NAME"]
        name = f"{template}_{suffix}_{os.getpid()}"[:63]
        admin_dsn = _admin_dsn(settings_dict)
        with blocker.unblock():
            # A template database must have no other sessions: ours is closed; it reopens on demand.
            connections.close_all()
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            for attempt in range(20):
                try:
                    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 19:
                        raise
                    time.sleep(0.25)

        def drop() -> None:
            _drop_database(admin_dsn, name)

        settings_dict["NAME"] = name
        return LiveDatabase(settings_dict, _pg_url(settings_dict), blocker, drop)

    path = tmp_path / f"{suffix}.sqlite3"
    with blocker.unblock():
        source.ensure_connection()
        target = sqlite3.connect(path)
        try:
            source.connection.backup(target)
        finally:
            target.close()
    settings_dict["NAME"] = str(path)
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "NAME": str(path)}
    return LiveDatabase(settings_dict, f"sqlite:///{path}", blocker, lambda: None)


def _admin_dsn(settings_dict: dict[str, Any]) -> str:
    dsn = f"host={settings_dict['HOST'] or '127.0.0.1'} port={settings_dict['PORT'] or 5432} "
    dsn += f"user={settings_dict['USER'] or 'postgres'} dbname=postgres"
    if settings_dict.get("PASSWORD"):
        dsn += f" password={settings_dict['PASSWORD']}"
    return dsn


def empty_database(blocker: Any, tmp_path: Path, suffix: str) -> LiveDatabase:
    """A new, empty database (no tables) of the tests' kind, for ``sixcore migrate`` to build."""
    from django.db import connections

    settings_dict = {**connections["default"].settings_dict, "CONN_MAX_AGE": 0}
    if connections["default"].vendor == "postgresql":
        import psycopg

        name = f"{settings_dict['NAME']}_{suffix}_{os.getpid()}"[:63]
        admin_dsn = _admin_dsn(settings_dict)
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            _drop_database(admin_dsn, name)

        settings_dict["NAME"] = name
        return LiveDatabase(settings_dict, _pg_url(settings_dict), blocker, drop)
    path = tmp_path / f"{suffix}.sqlite3"
    settings_dict["NAME"] = str(path)
    return LiveDatabase(settings_dict, f"sqlite:///{path}", blocker, lambda: None)


def _drop_database(admin_dsn: str, name: str) -> None:
    """Drop a database made by these tests, waiting a bounded time (a DROP waits for every session of the
    server to acknowledge it; a stuck session elsewhere must not hang the test run)."""
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute("SET statement_timeout = '60s'")
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.errors.QueryCanceled:
            warnings.warn(f"database {name} could not be dropped within 60 s: drop it by hand", stacklevel=2)


def _pg_url(settings_dict: dict[str, Any]) -> str:
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def server_env(database: LiveDatabase, home: Path, **extra: str) -> dict[str, str]:
    """The environment of an app server: the copy's URL, a shared key and media root, no debug."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "SIXCORE_FAULT"))}
    env.update(
        DATABASE_URL=database.url,
        DJANGO_SETTINGS_MODULE="sixcore.settings",
        SIXCORE_HOME=str(home),
        SIXCORE_MEDIA_ROOT=str(home / "media"),
        SECRET_KEY=SECRET_KEY,
        SIXCORE_PROFILE="development",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


class AppServer:
    """One gunicorn app server (its own process group) on 127.0.0.1, on a port chosen by the kernel."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2, threads: int = 4) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.sock.set_inheritable(True)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> AppServer:
        # The listening socket stays ours: a restarted server serves the same port, and connections
        # made while it is down wait in the backlog.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"fd://{self.sock.fileno()}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--worker-class",
                    "gthread",
                    "--graceful-timeout",
                    "3",
                    "--timeout",
                    "120",
                    "--log-level",
                    "warning",
                    "sixcore.wsgi",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=[self.sock.fileno()],
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/accounts/login/", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"app server did not answer within {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the whole server (arbiter and workers): no cleanup, no graceful shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None:
            # Workers of a killed arbiter would otherwise linger in its process group.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        self.stop()
        self.sock.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]
        except FileNotFoundError:
            return "(no output)"


class TaskWorker:
    """``sixcore db_worker``: the background task worker a deployment runs beside its app servers."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> TaskWorker:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "sixcore.cli", "db_worker", "--interval", "0.2", "--no-startup-delay"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]
        except FileNotFoundError:
            return "(no output)"


def token_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


def request_id() -> str:
    return str(uuid.uuid4())


def make_pbkdf2_user(username: str, role: str, agency: str | None, password: str) -> Any:
    """A user whose password the servers can check: the tests' settings hash with MD5, the servers do not.
    Few iterations keep a failed login cheap (a successful one upgrades the hash, as in production)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from sixcore.accounts.models import Agency, User

    hasher = PBKDF2PasswordHasher()
    user = User.objects.create(
        username=username,
        role=role,
        agency=Agency.objects.get(code=agency) if agency else None,
        password=hasher.encode(password, hasher.salt(), iterations=1000),
    )
    return user


def open_moea_report_of_111q2() -> Any:
    """The cycle as of 111/7/5 (111Q2 open) and moea's first 111Q2 report that has KPI lines: the report
    the live tests write to through their servers."""
    from datetime import date

    from sixcore.progress.models import CycleSettings, ReportingPeriod, Submission
    from sixcore.progress.services import ensure_submissions

    cycle = CycleSettings.get()
    cycle.as_of = date(2022, 7, 5)  # 111Q2 is open
    cycle.save()
    period = ReportingPeriod.by_code("111Q2")
    ensure_submissions(period)
    return (
        Submission.objects.filter(period=period, agency__code="moea", kpi_reports__isnull=False)
        .distinct()
        .order_by("industry__code")
        .first()
    )


def login(base_url: str, username: str, password: str) -> requests.Response:
    """Log in through the login form; the answer's session carries the cookies (``response.session``)."""
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=30).raise_for_status()
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=60,
    )
    response.session = session  # type: ignore[attr-defined]
    return response


def csrf_headers(session: requests.Session) -> dict[str, str]:
    """Headers for an unsafe request made with a session cookie (Django's CSRF check)."""
    return {"X-CSRFToken": session.cookies["csrftoken"]}
