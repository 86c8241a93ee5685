"""``sixcore backup`` / ``sixcore restore`` (issue #9): a round trip gives back the same system.

The round trip: demo data (submissions in every state, the audit trail of their making, users) and an
uploaded attachment are backed up; ``sixcore restore`` (the real command, in its own process) loads the
archive into a new database built by ``sixcore migrate``; the restored system exports the same plan
(``sixcore plan export``), submissions, evaluation and audit log — and every row of every table, and
the file, are identical. A second restore into the now non-empty database is refused, and so is a
truncated archive even with ``--force``: nothing changes. Damaged or hostile archives are refused with
a message saying what is wrong, before anything is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from sixcore.core import backup
from tests.live_servers import ROOT, empty_database, server_env

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + "示範資料 evidence".encode()


@pytest.fixture
def target(django_db_blocker, tmp_path):
    database = empty_database(django_db_blocker, tmp_path, "restore")
    try:
        yield database
    finally:
        database.drop()


def _sixcore(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sixcore.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def system_state(tables_only: bool = False) -> dict:
    """What the restored system must give back: the named exports, and every row of every table."""
    tables = {
        model._meta.label_lower: hashlib.sha256(repr(_rows(model)).encode()).hexdigest()
        for model in backup.backup_models()
    }
    if tables_only:
        return {"tables": tables}
    from sixcore.core.models import ObjectChange, ObjectChangeRelation
    from sixcore.progress.models import ReportingPeriod
    from sixcore.reports import exports

    plan = io.StringIO()
    with contextlib.redirect_stdout(plan):  # the command writes to sys.stdout
        call_command("plan", "export", "--format", "json")
    periods = (
        ReportingPeriod.objects.filter(submissions__isnull=False).distinct().order_by("roc_year", "quarter")
    )
    state = {
        "plan": json.loads(plan.getvalue()),
        "submissions": _export(exports.submission_tables(None, published_only=False)),
        "evaluation": {
            p.code: _export(exports.evaluation_tables(p, None, published_only=False)) for p in periods
        },
        "audit": [_rows(ObjectChange), _rows(ObjectChangeRelation)],
        "tables": tables,
    }
    return state


def _export(tables) -> dict:
    """An export's JSON with each table's rows sorted: the line tables are ordered by their plan position
    only, so rows of different submissions tie and PostgreSQL returns ties in storage order, which a
    restore does not reproduce."""
    from sixcore.reports import exports

    data = json.loads(exports.to_json(tables))
    data["tables"] = {
        name: sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, ensure_ascii=False))
        for name, rows in data["tables"].items()
    }
    return data


def _first_difference(before, after):
    """The first differing element, for a readable failure."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            if before.get(key) != after.get(key):
                return key, _first_difference(before.get(key), after.get(key))
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return f"{len(before)} rows before, {len(after)} after"
        for b, a in zip(before, after, strict=True):
            if b != a:
                return _first_difference(b, a)
    return before, after


def _rows(model) -> list[dict]:
    """Every row with every field; content types and permissions by natural key (``migrate`` numbers
    them in its own order, so their ids differ between databases)."""
    return serializers.serialize(
        "python", model._default_manager.order_by("pk"), use_natural_foreign_keys=True
    )


def test_round_trip_restores_the_same_system(program, settings, tmp_path, target, monkeypatch):
    from sixcore.core.models import ObjectChange
    from sixcore.progress.models import Attachment, Submission

    monkeypatch.delenv("SIXCORE_AS_OF", raising=False)
    settings.MEDIA_ROOT = tmp_path / "media-source"
    call_command("demo", "--password", "demo-password-123", "--until", "110Q1", stdout=io.StringIO())
    submission = Submission.objects.order_by("pk").first()
    attachment = Attachment(
        submission=submission,
        original_name="證明.png",
        content_type="image/png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG).hexdigest(),
    )
    attachment.file.save("x.png", ContentFile(PNG))
    assert ObjectChange.objects.count() > 100 and Submission.objects.filter(status="approved").exists()
    before = system_state()

    archive = tmp_path / "sixcore.tar.gz"
    call_command("backup", "--output", str(archive), verbosity=0)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    env = server_env(target, tmp_path / "restored")
    migrated = _sixcore(env, "migrate", "--noinput", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    restored = _sixcore(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "restored" in restored.stdout

    with target.orm():
        after = system_state()
    # The restore is itself recorded, after the archive's log (issue #18): one change more, no relation.
    changes, relations = after["audit"]
    restore = changes.pop()
    assert restore["fields"]["action"] == "backup.restore" and restore["fields"]["source"] == "command"
    assert [c["pk"] for c in changes] == [c["pk"] for c in before["audit"][0]]
    after["audit"] = [changes, relations]
    after["tables"].pop("core.objectchange")
    before["tables"].pop("core.objectchange")  # the audit compares it
    for part in ("plan", "submissions", "evaluation", "audit", "tables"):
        assert after[part] == before[part], (part, _first_difference(before[part], after[part]))
    stored = Path(env["SIXCORE_MEDIA_ROOT"]) / attachment.file.name
    assert stored.read_bytes() == PNG

    # The database now holds data: a restore without --force is refused and changes nothing; a
    # truncated archive is refused even with --force, before anything is written.
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    settings.MEDIA_ROOT = env["SIXCORE_MEDIA_ROOT"]
    with target.orm():
        with pytest.raises(CommandError, match="nothing was restored: the database is not empty"):
            call_command("restore", str(archive), verbosity=0)
        with pytest.raises(CommandError, match="nothing was restored: .*truncated or damaged"):
            call_command("restore", "--force", str(truncated), verbosity=0)
        tables = system_state(tables_only=True)["tables"]
        tables.pop("core.objectchange")
        assert tables == before["tables"]


# --- damaged and hostile archives: refused before any write (no database needed) --------------------


def _archive(path: Path, members: dict[str, bytes], manifest: dict | None = None) -> Path:
    if manifest is None:
        manifest = {
            "format": backup.FORMAT,
            "format_version": backup.FORMAT_VERSION,
            "migrations": {},
            "counts": {},
            "members": {
                name: {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
                for name, content in members.items()
            },
        }
    with tarfile.open(path, "w:gz") as tar:
        for name, content in [(backup.MANIFEST, json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def test_a_well_formed_archive_verifies(tmp_path):
    manifest = backup.verify_archive(
        _archive(tmp_path / "ok.tar.gz", {"data.json": b"[]", "media/a/b.png": PNG})
    )
    assert set(manifest["members"]) == {"data.json", "media/a/b.png"}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not-gzip", "not a sixcore backup"),
        ("truncated", "truncated or damaged"),
        ("altered", "corrupt"),
        ("extra-member", "unexpected member"),
        ("missing-member", "lacks 1 member"),
        ("traversal", "unsafe member name"),
        ("future-format", "format version 99"),
    ],
)
def test_damaged_or_hostile_archives_are_refused(tmp_path, case, message):
    members = {"data.json": b"[]", "media/a.png": PNG}
    path = tmp_path / f"{case}.tar.gz"
    if case == "not-gzip":
        path.write_bytes(b"<html>not a backup</html>")
    elif case == "truncated":
        whole = _archive(tmp_path / "whole.tar.gz", {"data.json": os.urandom(200_000), "media/a.png": PNG})
        path.write_bytes(whole.read_bytes()[:100_000])
    else:
        manifest = {
            "format": backup.FORMAT,
            "format_version": 99 if case == "future-format" else backup.FORMAT_VERSION,
            "migrations": {},
            "counts": {},
            "members": {
                name: {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
                for name, content in members.items()
            },
        }
        stored = dict(members)
        if case == "altered":
            stored["media/a.png"] = PNG[:-1] + b"X"
        elif case == "extra-member":
            stored["media/b.png"] = PNG
        elif case == "missing-member":
            del stored["media/a.png"]
        elif case == "traversal":
            manifest["members"]["media/../../etc/cron.d/x"] = manifest["members"].pop("media/a.png")
            stored["media/../../etc/cron.d/x"] = stored.pop("media/a.png")
        _archive(path, stored, manifest)
    with pytest.raises(backup.BackupError, match=message):
        backup.verify_archive(path)


def test_restore_refuses_before_writing(db, tmp_path):
    """A damaged archive leaves the database and MEDIA_ROOT untouched (checked before any write)."""
    from sixcore.plan.models import Program

    path = _archive(tmp_path / "bad.tar.gz", {"data.json": b"[]"})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 30])
    media = tmp_path / "media"
    with pytest.raises(backup.BackupError):
        backup.restore_backup(path, media_root=media, force=True)
    assert Program.objects.exists()
    assert not media.exists()
