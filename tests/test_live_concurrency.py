"""No lost writes: 50 editors write overlapping submissions at once through a real server (issue #9).

A gunicorn server (2 processes × 8 threads) serves a private copy of the test database (PostgreSQL, or an
SQLite file in WAL mode: there, writes take the lock when their transaction begins — settings.py).
50 client threads, each with its own editor's API token, edit the same few submissions for a few
seconds: half read the submission and send ``PATCH …/lines/`` with the version they read (a KPI actual
or a narrative), the rest ``POST /api/progress/kpi-reports/`` (a KPI actual, no version: the server
takes the current one). Afterwards, from the database:

- every answer was 200/201 (accepted) or 409 (refused with a conflict message), nothing else;
- the audit trail holds exactly one entry per accepted write (matched by ``X-Request-ID``) and none
  for a refused one;
- replaying the accepted writes in the order the audit trail committed them reproduces the stored
  lines exactly, each entry's "before" is the previous accepted write's value (no write was lost or
  overwritten unseen), and each submission's version rose by one per accepted write, the ``PATCH``es
  having been accepted exactly at the version they read.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.live_servers import AppServer, clone_database, request_id, server_env, token_session

CLIENTS = 50
SUBMISSIONS = 4
# Bounded time: at least MIN_S, then until enough writes collided (a loaded CI machine is slow), at most MAX_S.
MIN_S, MAX_S = 5.0, 40.0
ENOUGH = 25  # accepted and refused writes each


@dataclass
class Line:
    submission: int
    kind: str  # "kpis" or "measures"
    key: str  # the key save_lines takes: MEASURE/CODE or the measure code
    kpi: str  # for POST /kpi-reports/: MEASURE/CODE ("" for narratives)
    model: str
    pk: int
    field: str


@dataclass
class Write:
    rid: str
    line: Line
    value: str
    via: str  # "patch" or "post"
    sent_version: int | None
    status: int = 0
    body: Any = None


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):
    # Module scope: the copy is made before the test's own transaction opens on the test database.
    database = clone_database(django_db_blocker, tmp_path_factory.mktemp("conc"), "conc")
    try:
        yield database
    finally:
        database.drop()


def _setup(database) -> tuple[list[Line], list[str], dict[int, int]]:
    """Open 111Q2, pick submissions with several KPI lines, create editors with API tokens."""
    from rest_framework.authtoken.models import Token

    from sixcore.accounts.choices import Role
    from sixcore.progress.models import CycleSettings, KPIReport, MeasureReport, ReportingPeriod, Submission
    from sixcore.progress.services import ensure_submissions
    from tests.factories import editor

    with database.orm():
        settings = CycleSettings.get()
        settings.as_of = date(2022, 7, 5)  # inside 111Q2's open window, for every server process
        settings.save()
        ensure_submissions(ReportingPeriod.by_code("111Q2"))
        candidates = (
            Submission.objects.filter(
                period__roc_year=111, period__quarter=2, agency__kind__in=["core", "ministry"]
            )
            .select_related("agency", "industry")
            .order_by("industry__code", "agency__order")
        )
        chosen = [s for s in candidates if s.kpi_reports.count() >= 3 and s.measure_reports.count() >= 2]
        chosen = chosen[:SUBMISSIONS]
        assert len(chosen) == SUBMISSIONS, "the program has too few submissions with KPI lines"
        lines = []
        for submission in chosen:
            for report in KPIReport.objects.filter(submission=submission).select_related("kpi__measure")[:3]:
                key = f"{report.kpi.measure.code}/{report.kpi.code}"
                lines.append(Line(submission.pk, "kpis", key, key, "kpireport", report.pk, "value"))
            for report in MeasureReport.objects.filter(submission=submission).select_related("measure")[:2]:
                lines.append(
                    Line(
                        submission.pk,
                        "measures",
                        report.measure.code,
                        "",
                        "measurereport",
                        report.pk,
                        "progress",
                    )
                )
        tokens = []
        for i in range(CLIENTS):
            agency = chosen[i % SUBMISSIONS].agency
            user = editor(agency.code)
            if i >= SUBMISSIONS:  # the factory's editor is one per agency; more editors of the same agency
                user = type(user).objects.create(
                    username=f"{agency.code}_editor_{i}", role=Role.AGENCY_EDITOR, agency=agency
                )
            tokens.append(Token.objects.get_or_create(user=user)[0].key)
        versions = {s.pk: s.version for s in chosen}
    return lines, tokens, versions


def _client(server_url, token, lines, index, stop, results, failures) -> None:
    rng = random.Random(index)
    session = token_session(token)
    # Each editor writes its own agency's submission (the one its index maps to), overlapping with
    # about a dozen other editors of the same agency.
    submission = sorted({line.submission for line in lines})[index % SUBMISSIONS]
    mine = [line for line in lines if line.submission == submission]
    counter = 0
    try:
        while not stop.is_set():
            counter += 1
            line = rng.choice(mine)
            rid = request_id()
            if line.kind == "kpis":
                value = str(index * 1_000_000 + counter)
            else:
                value = f"第 {index} 位填報人第 {counter} 次更新"
            headers = {"X-Request-ID": rid}
            if line.kind == "kpis" and rng.random() < 0.4:
                write = Write(rid, line, value, "post", None)
                response = session.post(
                    f"{server_url}/api/progress/kpi-reports/",
                    json={"kpi": line.kpi, "period": "111Q2", "value": value},
                    headers=headers,
                    timeout=60,
                )
            else:
                read = session.get(f"{server_url}/api/progress/submissions/{submission}/", timeout=60)
                read.raise_for_status()
                version = read.json()["version"]
                time.sleep(rng.random() * 0.02)  # an editor's think time: others may save meanwhile
                write = Write(rid, line, value, "patch", version)
                response = session.patch(
                    f"{server_url}/api/progress/submissions/{submission}/lines/",
                    json={"version": version, line.kind: {line.key: {line.field: value}}},
                    headers=headers,
                    timeout=60,
                )
            write.status = response.status_code
            try:
                write.body = response.json()
            except ValueError:
                write.body = response.text[:2000]
            results.append(write)
    except requests.RequestException as exc:  # pragma: no cover - reported by the test
        failures.append(f"client {index}: {exc!r}")


def _same(field: str, stored: Any, expected: Any) -> bool:
    if field == "value":
        return (stored is None and expected is None) or (
            stored is not None and expected is not None and Decimal(str(stored)) == Decimal(str(expected))
        )
    return (stored or "") == (expected or "")


# The mark makes pytest-django set up the test database (the copy's source) when this file runs alone.
@pytest.mark.django_db
def test_fifty_editors_lose_no_write(live, tmp_path):
    from sixcore.core.models import ObjectChange
    from sixcore.progress.models import KPIReport, MeasureReport, Submission

    lines, tokens, start_versions = _setup(live)
    with live.orm():
        first_change = (ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        initial = {
            (line.model, line.pk): getattr(
                (KPIReport if line.model == "kpireport" else MeasureReport).objects.get(pk=line.pk),
                line.field,
            )
            for line in lines
        }
    server = AppServer(server_env(live, tmp_path), tmp_path / "server.log", workers=2, threads=8)
    try:
        server.start()
        results: list[Write] = []
        failures: list[str] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=_client, args=(server.url, tokens[i], lines, i, stop, results, failures))
            for i in range(CLIENTS)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while (elapsed := time.monotonic() - started) < MAX_S:
            time.sleep(0.25)
            done = Counter(w.status == 409 for w in list(results))
            if elapsed >= MIN_S and min(done[True], done[False]) >= ENOUGH:
                break
        stop.set()
        for thread in threads:
            thread.join(timeout=180)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
    finally:
        server.close()
    log = server.log()
    assert not failures, f"{failures[:5]}\n{log}"

    statuses = Counter(write.status for write in results)
    unexpected = [(w.via, w.status, w.body) for w in results if w.status not in (200, 201, 409)]
    assert not unexpected, f"{statuses}: {unexpected[:3]}\n{log}"
    accepted = {w.rid: w for w in results if w.status in (200, 201)}
    refused = [w for w in results if w.status == 409]
    # The test proves something only if writes really collided.
    assert len(accepted) >= ENOUGH and len(refused) >= ENOUGH, statuses
    for write in refused:
        assert write.body.get("detail"), write.body
        if write.via == "patch":
            # The answer shows the stored submission, which someone else had changed since.
            assert write.body["current"]["version"] > write.sent_version, write.body

    with live.orm():
        changes = list(
            ObjectChange.objects.filter(pk__gte=first_change)
            .order_by("pk")
            .select_related("changed_object_type")
            .values(
                "pk",
                "request_id",
                "action",
                "changed_object_type__model",
                "changed_object_id",
                "prechange_data",
                "postchange_data",
            )
        )
        final_lines = {
            (line.model, line.pk): getattr(
                (KPIReport if line.model == "kpireport" else MeasureReport).objects.get(pk=line.pk),
                line.field,
            )
            for line in lines
        }
        final_versions = dict(Submission.objects.filter(pk__in=start_versions).values_list("pk", "version"))

    # One audit entry per accepted write, none for a refused one.
    per_request = Counter(str(change["request_id"]) for change in changes)
    assert set(per_request) == set(accepted), (
        f"audit entries without an accepted write: {sorted(set(per_request) - set(accepted))[:5]}; "
        f"accepted writes without an audit entry: {sorted(set(accepted) - set(per_request))[:5]}"
    )
    assert max(per_request.values()) == 1, per_request.most_common(3)

    # Replay in commit order (the audit rows of a submission are inserted under its row lock).
    state = dict(initial)
    applied: dict[int, int] = defaultdict(int)
    for change in changes:
        write = accepted[str(change["request_id"])]
        key = (write.line.model, write.line.pk)
        assert change["action"] == "update"
        assert (change["changed_object_type__model"], int(change["changed_object_id"])) == key
        # What the writer overwrote is exactly what the previous accepted write left: nothing lost.
        assert _same(write.line.field, change["prechange_data"][write.line.field], state[key]), (
            change,
            state[key],
        )
        assert _same(write.line.field, change["postchange_data"][write.line.field], write.value)
        submission = write.line.submission
        if write.via == "patch":
            # A PATCH is accepted only at the version it read, which then rises by one.
            assert write.sent_version == start_versions[submission] + applied[submission]
            # The answer re-reads the submission after commit: later writes may already show.
            assert write.body["version"] >= write.sent_version + 1
        applied[submission] += 1
        state[key] = write.value
    for key, expected in state.items():
        field = "value" if key[0] == "kpireport" else "progress"
        assert _same(field, final_lines[key], expected), (key, final_lines[key], expected)
    for submission, version in start_versions.items():
        assert final_versions[submission] == version + applied[submission]
