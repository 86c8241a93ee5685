"""``sixcore backup`` / ``sixcore restore``: one archive holding a consistent snapshot of the database and
the uploaded files.

The archive is a ``.tar.gz`` with, in this order:

- ``manifest.json``: format name and version, when and from what it was made, the applied migrations of
  every app, the row count of every model, and the size and SHA-256 of every other member;
- ``data.json``: every row of every model (Django's JSON serialisation, foreign keys to content types,
  permissions and users by natural key, primary keys kept), read in one transaction — on PostgreSQL a
  ``REPEATABLE READ, READ ONLY`` one, on SQLite a read transaction — so it is one consistent state;
- ``media/…``: the files under ``MEDIA_ROOT``, copied after the database snapshot (attachments are stored
  under their SHA-256 and never changed, so every file a snapshot row names is there).

Left out: content types and permissions (``migrate`` creates them; rows refer to them by natural key) and
sessions (everyone logs in again after a restore).

A restore checks everything before writing anything: the manifest's format, every member's checksum
(a truncated or altered archive is refused), member names (no paths outside ``media/``), and that the
database's applied migrations are exactly the archive's. It refuses a database holding data unless
``force``. It then replaces every table's rows in one transaction (the change log's receivers are
switched off: restoring is not a change of the data, and the restored audit trail is the original one)
and only after that commits moves the files into ``MEDIA_ROOT``. For large deployments use PostgreSQL's
own tools (docs/OPERATIONS.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.sql import InsertQuery

from sixcore.core import changelog

FORMAT = "sixcore-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.json"
MEDIA_PREFIX = "media/"
# Sessions: never backed up, emptied by a restore.
SESSION_MODELS = ("sessions.session",)
# Created by ``migrate`` (rows refer to them by natural key), or not worth keeping (sessions, the queue of
# background tasks: report files a day long, regenerated on request).
EXCLUDED = frozenset(
    {"contenttypes.contenttype", "auth.permission", "django_tasks_db.dbtaskresult", *SESSION_MODELS}
)
# Tables that ``migrate`` itself fills (progress/0002 creates the program's 16 reporting periods): a
# freshly migrated database holding only these counts as empty.
SEEDED_BY_MIGRATIONS = frozenset({"progress.reportingperiod"})
CHUNK = 1024 * 1024
INSERT_BATCH = 500


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes and times to milliseconds; a backup keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """The archive cannot be made or restored; the message says why. Nothing was written."""


class ProgressSink(Protocol):
    """Where long steps report progress (the commands pass a rich progress bar)."""

    def start(self, label: str, total: int | None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class _NoProgress:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    rows: int
    files: int


def backup_models() -> list[type[models.Model]]:
    """The models whose rows a backup holds, referenced models first (natural keys resolve on load)."""
    app_models: dict[Any, list[type[models.Model]]] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in EXCLUDED:
            continue
        app_models.setdefault(meta.app_config, []).append(model)
    return serializers.sort_dependencies(app_models.items(), allow_cycles=True)


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """App label → names of its applied migrations, sorted."""
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return {}
    result: dict[str, list[str]] = {}
    for app_label, name in recorder.applied_migrations():
        result.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(result.items())}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _snapshot(using: str) -> Iterator[None]:
    """One transaction that sees one committed state of the whole database."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            # Must be the transaction's first statement; nested in a caller's transaction (tests), the
            # caller's view is the snapshot.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _media_files(media_root: Path) -> list[tuple[str, Path]]:
    if not media_root.is_dir():
        return []
    files = []
    for path in sorted(media_root.rglob("*")):
        relative = path.relative_to(media_root).as_posix()
        if path.is_file() and not path.is_symlink() and not relative.startswith(".restore-"):
            files.append((relative, path))
    return files


def create_backup(
    output: Path,
    *,
    media_root: Path,
    using: str = DEFAULT_DB_ALIAS,
    progress: ProgressSink | None = None,
) -> dict[str, Any]:
    """Write the archive to ``output`` (atomically: a failed backup leaves no file). Returns the manifest."""
    progress = progress or _NoProgress()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".sixcore-backup-") as workdir:
        data_path = Path(workdir) / DATA
        counts: dict[str, int] = {}
        with _snapshot(using):
            model_list = backup_models()
            for model in model_list:
                counts[model._meta.label_lower] = model._default_manager.using(using).count()
            progress.start("database", sum(counts.values()))

            def rows() -> Iterator[models.Model]:
                for model in model_list:
                    for obj in model._default_manager.using(using).order_by("pk").iterator(chunk_size=2000):
                        progress.advance()
                        yield obj

            with open(data_path, "w", encoding="utf-8") as fh:
                serializers.get_serializer("json")().serialize(
                    rows(),
                    stream=fh,
                    use_natural_foreign_keys=True,
                    ensure_ascii=False,
                    cls=_ExactJSONEncoder,
                )
            migrations = applied_migrations(using)
            vendor = connections[using].vendor

        media = _media_files(Path(media_root))
        members: dict[str, dict[str, Any]] = {
            DATA: {"size": data_path.stat().st_size, "sha256": _sha256_file(data_path)}
        }
        progress.start("files", len(media))
        staged: list[tuple[str, Path]] = []
        for relative, path in media:
            # Each file is copied once and the copy hashed and archived: a file written or removed
            # meanwhile (an expiring report file) cannot make the manifest disagree with the archive.
            copy = Path(workdir) / "media" / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(path, copy)
            except FileNotFoundError:
                continue
            members[MEDIA_PREFIX + relative] = {"size": copy.stat().st_size, "sha256": _sha256_file(copy)}
            staged.append((relative, copy))
            progress.advance()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sixcore_version": _version("sixcore"),
            "django_version": _version("django"),
            "database": vendor,
            "migrations": migrations,
            "counts": counts,
            "members": members,
        }
        partial = Path(workdir) / "archive.tar.gz"
        progress.start("archive", len(members) + 1)
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            _add_bytes(archive, MANIFEST, body)
            archive.add(data_path, arcname=DATA, recursive=False, filter=_plain)
            progress.advance(2)
            for relative, path in staged:
                archive.add(path, arcname=MEDIA_PREFIX + relative, recursive=False, filter=_plain)
                progress.advance()
        # The archive holds password hashes and unpublished figures: owner-only, like the secret key.
        os.chmod(partial, 0o600)
        os.replace(partial, output)
    return manifest


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(content))


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


# --- restore ---------------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    if name in (MANIFEST, DATA):
        return True
    if not name.startswith(MEDIA_PREFIX):
        return False
    path = PurePosixPath(name[len(MEDIA_PREFIX) :])
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:gz")
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path}: not a sixcore backup (not a readable .tar.gz: {exc})") from None


def _check_manifest(manifest: Any) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("manifest.json does not describe a sixcore backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('format_version')!r} is not supported "
            f"(this sixcore reads version {FORMAT_VERSION})"
        )
    for key in ("migrations", "counts", "members"):
        if not isinstance(manifest.get(key), dict):
            raise BackupError(f"manifest.json: {key!r} is missing or not an object")
    if DATA not in manifest["members"]:
        raise BackupError("manifest.json does not list data.json")
    for name, entry in manifest["members"].items():
        if not _safe_member_name(name):
            raise BackupError(f"manifest.json lists an unsafe member name {name!r}")
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("size"), int)
        ):
            raise BackupError(f"manifest.json: member {name!r} has no size or sha256")
    return manifest


def verify_archive(path: Path, progress: ProgressSink | None = None) -> dict[str, Any]:
    """Read the whole archive once: manifest valid, every member listed, of its size and checksum."""
    progress = progress or _NoProgress()
    manifest = None
    seen: set[str] = set()
    try:
        with _open(path) as archive:
            for info in archive:
                if info.name == MANIFEST and manifest is None:
                    if not info.isfile() or info.size > 64 * 1024 * 1024:
                        raise BackupError("manifest.json is not a regular file of sensible size")
                    try:
                        manifest = _check_manifest(json.loads(archive.extractfile(info).read()))
                    except ValueError as exc:
                        raise BackupError(f"manifest.json is not valid JSON: {exc}") from None
                    progress.start("checking", sum(m["size"] for m in manifest["members"].values()))
                    continue
                if manifest is None:
                    raise BackupError("manifest.json must be the archive's first member")
                expected = manifest["members"].get(info.name)
                if expected is None or info.name in seen:
                    raise BackupError(f"unexpected member {info.name!r} (not in the manifest, or repeated)")
                if not info.isfile():
                    raise BackupError(f"member {info.name!r} is not a regular file")
                if info.size != expected["size"]:
                    raise BackupError(
                        f"member {info.name!r} has {info.size} bytes, the manifest says {expected['size']}"
                    )
                digest = hashlib.sha256()
                stream = archive.extractfile(info)
                while block := stream.read(CHUNK):
                    digest.update(block)
                    progress.advance(len(block))
                if digest.hexdigest() != expected["sha256"]:
                    raise BackupError(
                        f"member {info.name!r} is corrupt (SHA-256 does not match the manifest)"
                    )
                seen.add(info.name)
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path}: the archive is truncated or damaged ({exc})") from None
    if manifest is None:
        raise BackupError(f"{path}: no manifest.json (not a sixcore backup)")
    missing = sorted(set(manifest["members"]) - seen)
    if missing:
        raise BackupError(f"the archive lacks {len(missing)} member(s) of its manifest, e.g. {missing[0]!r}")
    return manifest


def _check_target(manifest: dict[str, Any], using: str, force: bool) -> list[type[models.Model]]:
    here = applied_migrations(using)
    if not here:
        raise BackupError("the database has no tables yet: run 'sixcore migrate' first, then restore")
    there = manifest["migrations"]
    if here != there:
        only_here = sorted(
            f"{a}.{n}" for a, names in here.items() for n in names if n not in there.get(a, [])
        )
        only_there = sorted(
            f"{a}.{n}" for a, names in there.items() for n in names if n not in here.get(a, [])
        )
        raise BackupError(
            "the database's migrations differ from the backup's "
            f"(only in the database: {only_here[:5] or 'none'}; only in the backup: {only_there[:5] or 'none'}). "
            "Restore with the sixcore version that made the backup, then run 'sixcore migrate'."
        )
    model_list = backup_models()
    labels = {m._meta.label_lower for m in model_list}
    unknown = sorted(set(manifest["counts"]) - labels)
    if unknown:
        raise BackupError(f"the backup holds models this sixcore does not have: {unknown[:5]}")
    if not force:
        holding = [
            f"{m._meta.label_lower} ({n})"
            for m in model_list
            if m._meta.label_lower not in SEEDED_BY_MIGRATIONS
            and (n := m._default_manager.using(using).count())
        ]
        if holding:
            raise BackupError(
                "the database is not empty ("
                + ", ".join(holding[:5])
                + (", …" if len(holding) > 5 else "")
                + "): restore into a freshly migrated database, or pass --force to replace its contents"
            )
    return model_list


def _session_tables() -> list[str]:
    """The tables of ``SESSION_MODELS``."""
    return [apps.get_model(label)._meta.db_table for label in SESSION_MODELS]


def _tables(model_list: Iterable[type[models.Model]]) -> list[str]:
    tables = []
    for model in model_list:
        tables.append(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                tables.append(field.remote_field.through._meta.db_table)
    return tables


def restore_backup(
    path: Path,
    *,
    media_root: Path,
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    progress: ProgressSink | None = None,
) -> RestoreResult:
    """Replace the database's data and add the archive's files. All checks come before any write."""
    progress = progress or _NoProgress()
    path = Path(path)
    manifest = verify_archive(path, progress)
    model_list = _check_target(manifest, using, force)
    media_root = Path(media_root)
    media_members = [name for name in manifest["members"] if name.startswith(MEDIA_PREFIX)]
    staging = media_root / f".restore-{uuid.uuid4().hex}"
    rows = 0
    try:
        with _open(path) as archive, tempfile.TemporaryDirectory(prefix=".sixcore-restore-") as workdir:
            progress.start("files", len(media_members))
            data_path = Path(workdir) / DATA
            for info in archive:
                if info.name == DATA:
                    with open(data_path, "wb") as out:
                        shutil.copyfileobj(archive.extractfile(info), out, CHUNK)
                elif info.name.startswith(MEDIA_PREFIX):
                    target = staging / info.name[len(MEDIA_PREFIX) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "wb") as out:
                        shutil.copyfileobj(archive.extractfile(info), out, CHUNK)
                    progress.advance()
            if _sha256_file(data_path) != manifest["members"][DATA]["sha256"]:
                raise BackupError("data.json changed while restoring (the archive file was modified)")
            progress.start("database", sum(manifest["counts"].values()))
            rows = _load(data_path, manifest, model_list, using, progress)
        # Committed: now the files. Attachments are named by content, so an existing file is the same.
        for name in media_members:
            relative = name[len(MEDIA_PREFIX) :]
            destination = media_root / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / relative, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(manifest=manifest, rows=rows, files=len(media_members))


def _load(
    data_path: Path,
    manifest: dict[str, Any],
    model_list: list[type[models.Model]],
    using: str,
    progress: ProgressSink,
) -> int:
    """Replace every table's rows by the archive's, in one transaction."""
    connection = connections[using]
    rows = 0
    try:
        # The rows are written back unlogged (the archive holds their history); then the restore itself
        # is recorded, in the same transaction, after the archive's log.
        with transaction.atomic(using=using):
            with changelog.suspended():
                with connection.cursor() as cursor:
                    # Sessions first (they reference users): a restore signs everyone out.
                    for table in [*_session_tables(), *_tables(model_list)]:
                        # Raw: the change log's manager refuses deletes, and no signal must fire.
                        cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608 - model tables
                with open(data_path, encoding="utf-8") as fh:
                    try:
                        objects = serializers.deserialize(
                            "json", fh, using=using, handle_forward_references=True
                        )
                        rows = _insert_all(objects, using, progress)
                    except serializers.base.DeserializationError as exc:
                        raise BackupError(f"data.json cannot be loaded: {exc}") from None
                connection.check_constraints()
                statements = connection.ops.sequence_reset_sql(no_style(), model_list)
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
                counts = {m._meta.label_lower: m._default_manager.using(using).count() for m in model_list}
                expected = {label: manifest["counts"].get(label, 0) for label in counts}
                if counts != expected:
                    wrong = sorted(label for label in counts if counts[label] != expected[label])
                    raise BackupError(f"restored row counts differ from the manifest for {wrong[:5]}")
            changelog.record_event(
                "backup.restore",
                f"backup of {manifest['created_at']}",
                data={"created_at": manifest["created_at"], "rows": rows, "counts": manifest["counts"]},
            )
    except DatabaseError as exc:
        raise BackupError(f"the database refused the backup's data (nothing was restored): {exc}") from None
    return rows


def _insert_all(objects: Iterable[Any], using: str, progress: ProgressSink) -> int:
    """INSERT the deserialised rows model by model in batches, as stored: ``raw`` (``auto_now`` fields
    keep their values) and without signals. Row by row ``save()`` would cost a round trip per row."""
    rows = 0
    batch: list[Any] = []

    def flush() -> None:
        if not batch:
            return
        model = type(batch[0].object)
        if model._meta.parents:  # multi-table inheritance: let Django write each table
            for item in batch:
                item.save(using=using)
        else:
            fields = model._meta.local_concrete_fields
            rows_ = [item.object for item in batch]
            # The backend's limit on parameters per statement (SQLite's is the lowest).
            size = max(1, connections[using].ops.bulk_batch_size(fields, rows_))
            for start in range(0, len(rows_), size):
                query = InsertQuery(model)
                query.insert_values(fields, rows_[start : start + size], raw=True)
                query.get_compiler(using=using).execute_sql()
        links: dict[Any, list[models.Model]] = {}
        for item in batch:
            if item.deferred_fields:
                raise BackupError(f"{item.object!r} refers to an object that is not in the backup")
            for name, related in (item.m2m_data or {}).items():
                field = model._meta.get_field(name)
                through = field.remote_field.through
                links.setdefault(through, []).extend(
                    through(
                        **{
                            f"{field.m2m_field_name()}_id": item.object.pk,
                            f"{field.m2m_reverse_field_name()}_id": pk,
                        }
                    )
                    for pk in related
                )
        for through, link_rows in links.items():
            through._default_manager.using(using).bulk_create(link_rows, batch_size=INSERT_BATCH)
        progress.advance(len(batch))
        batch.clear()

    for item in objects:
        if batch and (type(item.object) is not type(batch[0].object) or len(batch) >= INSERT_BATCH):
            flush()
        batch.append(item)
        rows += 1
    flush()
    return rows


class RichProgress:
    """A :class:`ProgressSink` drawing rich progress bars (one per step) on the console."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.task: Any = None

    def start(self, label: str, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)
