"""The write of an import: duplicates named from the staging table, the file compared with what is
recorded, the new rows inserted, the batch and its audit entry, in one transaction; ``import_file``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext

from sixcore.core.changelog import record_action

from ..choices import ObservationSource
from ..models import ImportBatch, Observation, SupplyItem
from .cells import QUANTITIES, column_label
from .checking import Checked, check_and_stage
from .result import ImportFailed, ImportResult, RowError
from .staging import Staging


class _Rollback(Exception):  # noqa: N818 - control flow, never escapes this module
    """Leave the import's transaction without writing anything."""


def name_duplicates(result: ImportResult, read: Checked, staging: Staging) -> None:
    """Fill in "same item, reporter and date as row N" (N: the first such row, which was staged)."""
    wanted = {(item_id, reporter_id, day) for _, item_id, reporter_id, day in read.duplicates}
    first_rows: dict[tuple[int, int, str], int] = {}
    item_ids = sorted({key[0] for key in wanted})
    staging.cursor.execute(
        f"SELECT item_id, reporter_id, date, line_no FROM {staging.table} "  # noqa: S608 - fixed name
        f"WHERE item_id IN ({', '.join(['%s'] * len(item_ids))})",
        item_ids,
    )
    while chunk := staging.cursor.fetchmany(20_000):
        for item_id, reporter_id, day, row in chunk:
            key = (item_id, reporter_id, day if isinstance(day, str) else day.isoformat())
            if key in wanted:
                first_rows[key] = row
    for index, item_id, reporter_id, day in read.duplicates:
        error = result.errors[index]
        result.errors[index] = RowError(
            error.file,
            error.row,
            gettext("duplicate observation: same item, reporter and date as row %(row)s")
            % {"row": first_rows[(item_id, reporter_id, day)]},
        )


def _same(vendor: str) -> str:
    """SQL: the staged row has the recorded figures (NULL equal to NULL; numbers compared as numbers)."""
    op = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    return " AND ".join(f"o.{c} {op} s.{c}" for c in QUANTITIES)


def compare_recorded(result: ImportResult, read: Checked, staging: Staging) -> set[int]:
    """Count rows already recorded with the same figures; report those recorded with other figures.
    Returns the items that get new rows."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    cursor = staging.cursor
    item_ids = read.item_ids
    cursor.execute(
        f"SELECT 1 FROM {table} WHERE item_id IN ({', '.join(['%s'] * len(item_ids))}) "  # noqa: S608
        "AND date >= %s AND date <= %s LIMIT 1",
        [*item_ids, date.fromisoformat(read.first), date.fromisoformat(read.last)],
    )
    if cursor.fetchone() is None:
        return set(item_ids)  # nothing recorded in the file's range: every row is new
    join = (
        f"FROM {staging.table} s JOIN {table} o ON o.item_id = s.item_id "
        "AND o.reporter_id = s.reporter_id AND o.date = s.date"
    )
    same = _same(staging.vendor)
    cursor.execute(
        f"SELECT s.item_id, COUNT(*), SUM(CASE WHEN {same} THEN 1 ELSE 0 END) {join} GROUP BY s.item_id"  # noqa: S608
    )
    recorded = {item_id: (count, int(equal)) for item_id, count, equal in cursor.fetchall()}
    result.unchanged = sum(equal for _, equal in recorded.values())
    if any(count != equal for count, equal in recorded.values()):
        cursor.execute(
            f"SELECT s.sheet, s.line_no, o.id, {', '.join(f's.{c}' for c in QUANTITIES)} {join} "  # noqa: S608
            f"WHERE NOT ({same}) ORDER BY s.sheet, s.line_no"
        )
        differing = cursor.fetchall()
        stored: dict[int, tuple] = {}
        ids = [row[2] for row in differing]
        for start in range(0, len(ids), 10_000):
            # Through the ORM, so the recorded figures are quoted as before (its decimal converters).
            for pk, *values in Observation.objects.filter(pk__in=ids[start : start + 10_000]).values_list(
                "pk", *QUANTITIES
            ):
                stored[pk] = tuple(values)
        for sheet, number, pk, *staged in differing:
            new = [None if v is None else Decimal(v) if isinstance(v, str) else v for v in staged]
            changes = [
                f"{column_label(column)} {old} ≠ {value}"
                for column, old, value in zip(QUANTITIES, stored[pk], new, strict=True)
                if old != value
            ]
            result.errors.append(
                RowError(
                    read.labels[sheet],
                    number,
                    gettext("duplicate observation: already recorded with other figures (%(changes)s)")
                    % {"changes": ", ".join(changes)},
                )
            )
    cursor.execute(f"SELECT item_id, COUNT(*) FROM {staging.table} GROUP BY item_id")  # noqa: S608
    return {item_id for item_id, count in cursor.fetchall() if recorded.get(item_id, (0, 0))[0] < count}


def insert(staging: Staging, batch_id: int, only_new: bool) -> int:
    """Copy the staged rows into the observations in one statement; returns how many were written."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    columns = ["item_id", "reporter_id", "date", *QUANTITIES]
    where = (
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} o WHERE o.item_id = s.item_id "  # noqa: S608
        "AND o.reporter_id = s.reporter_id AND o.date = s.date)"
        if only_new
        else ""
    )
    staging.cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}, source, batch_id) "  # noqa: S608 - fixed names
        f"SELECT {', '.join(f's.{c}' for c in columns)}, %s, %s FROM {staging.table} s{where}",
        [ObservationSource.IMPORT.value, batch_id],
    )
    return staging.cursor.rowcount


def _sha256(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    path: str | Path | None = None,
    *,
    name: str | None = None,
    content: bytes | None = None,
    user: Any = None,
    today: date | None = None,
    raise_on_error: bool = False,
) -> ImportResult:
    """Import one CSV or XLSX file (from ``path``, or ``name`` + ``content`` for an upload).

    Reading and checking the cells streams the file into a temporary staging table; the write
    (batch, observations, audit entry) is one transaction that starts with a write, so SQLite takes
    its write lock at once instead of failing to upgrade a read snapshot under concurrent writers.
    """
    from sixcore.progress.clock import today as clock_today

    if content is None:
        if path is None:
            raise ValueError("give a path or the content")
        source: bytes | Path = Path(path)
        if not source.is_file():
            source.open("rb").close()  # FileNotFoundError / IsADirectoryError, as reading it would
    else:
        source = content
    name = name or Path(str(path)).name
    result = ImportResult(file=name)
    with Staging() as staging:
        read = check_and_stage(result, source, today or clock_today(), staging)
        staging.finish_writing()
        if read.duplicates:
            name_duplicates(result, read, staging)
        if not result.errors:
            try:
                with transaction.atomic():
                    batch = ImportBatch.objects.create(
                        file_name=name[:255],
                        sha256=_sha256(source),
                        rows=result.rows,
                        created_rows=0,
                        user=user if getattr(user, "is_authenticated", False) else None,
                    )
                    touched = compare_recorded(result, read, staging)
                    if result.errors or not touched:
                        # Bad rows, or everything already recorded: nothing changes, not even the log.
                        raise _Rollback
                    created = insert(staging, batch.pk, only_new=bool(result.unchanged))
                    batch.created_rows, batch.unchanged_rows = created, result.unchanged
                    batch.save(update_fields=["created_rows", "unchanged_rows"])
                    record_action(
                        batch,
                        "supplies.import",
                        message=f"{created} observation(s) imported from {name}, {result.unchanged} already recorded",
                        related=list(SupplyItem.objects.filter(pk__in=touched)),
                    )
            except _Rollback:
                pass
            else:
                result.created = created
                result.batch = batch
    if result.errors and raise_on_error:
        raise ImportFailed(result)
    return result
