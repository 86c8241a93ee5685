"""The temporary staging table of an import: the file's valid rows, written while it is read (``COPY`` on
PostgreSQL, chunked ``executemany`` on SQLite), so the comparisons and the insert are set operations.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

STAGING_TABLE = "supplies_import_staging"
# Page caches for the import's connection (KiB, as PRAGMA cache_size takes them when negative): the
# default 2 MiB spills the indexes being built to the WAL again and again during a large import.
SQLITE_IMPORT_CACHE_KIB = 131_072
_SQLITE_CHUNK = 20_000
StagedRow = tuple[int, int, int, int, str, str | None, str | None, str | None, str | None, str | None]


class Staging:
    """A temporary table of the file's valid rows, filled while the file is read.

    Rows are written in chunks (``executemany``) or streamed (``COPY`` on PostgreSQL), so neither the
    file nor its rows are held in memory; duplicates against the database, the number of unchanged
    rows and the insert itself are then set operations in SQL. The table belongs to this connection
    only (temporary), holds quantities as the text they were parsed to (so error messages quote them
    exactly) and is dropped at the end, whatever happens.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor
        # Qualified, so that no permanent table of that name could ever be read or dropped instead.
        schema = "pg_temp" if self.vendor == "postgresql" else "temp"
        self.table = f"{schema}.{connection.ops.quote_name(STAGING_TABLE)}"
        self.pending: list[StagedRow] = []
        self._copy_context: Any = None
        self._copy: Any = None
        self._saved_pragmas: list[tuple[str, Any]] = []

    def __enter__(self) -> Staging:
        self.cursor = connection.cursor()
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        if self.vendor == "postgresql":
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (sheet integer, line_no integer, item_id bigint, "
                "reporter_id bigint, date date, production numeric, imports numeric, consumption numeric, "
                "stock numeric, price numeric)"
            )
        else:
            if self.vendor == "sqlite":
                # A bigger page cache for this connection while it imports; durability settings
                # (journal_mode=WAL, synchronous=NORMAL from settings) are left as they are.
                for pragma in ("main.cache_size", "temp.cache_size"):
                    self.cursor.execute(f"PRAGMA {pragma}")
                    self._saved_pragmas.append((pragma, self.cursor.fetchone()[0]))
                    self.cursor.execute(f"PRAGMA {pragma} = -{SQLITE_IMPORT_CACHE_KIB}")
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} (sheet integer, line_no integer, item_id integer, "
                "reporter_id integer, date text, production text, imports text, consumption text, "
                "stock text, price text)"
            )
        return self

    def add(self, row: StagedRow) -> None:
        if self._copy is not None:
            self._copy.write_row(row)
            return
        if self.vendor == "postgresql":
            # Started at the first row: the connection can run no other query during a COPY.
            self._copy_context = self.cursor.cursor.copy(f"COPY {self.table} FROM STDIN")
            self._copy = self._copy_context.__enter__()
            self._copy.write_row(row)
            return
        self.pending.append(row)
        if len(self.pending) >= _SQLITE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            # One transaction per chunk: in autocommit mode every row would be its own transaction.
            with transaction.atomic():
                self.cursor.executemany(
                    f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 - fixed name
                    self.pending,
                )
            self.pending = []

    def finish_writing(self) -> None:
        if self._copy_context is not None:
            self._copy = None
            context, self._copy_context = self._copy_context, None
            context.__exit__(None, None, None)
        self._flush()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._copy_context is not None:
                self._copy = None
                context, self._copy_context = self._copy_context, None
                context.__exit__(exc_type, exc, tb)  # aborts the COPY
            self.cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            for pragma, value in self._saved_pragmas:
                self.cursor.execute(f"PRAGMA {pragma} = {int(value)}")
        except Exception:
            # In a caller's failed transaction the clean-up fails too; its rollback drops the table.
            if exc_type is None:
                raise
        finally:
            self.cursor.close()
