"""SQLite FTS5 (trigram tokenizer) indexes of the searched texts, kept current by SQL triggers.

One external-content FTS5 table per searched model (``content=`` the model's table, ``content_rowid=``
its primary key): the index holds only the trigrams, the text stays in the model's table. Triggers on
the model's table keep the index current on *every* write path — ORM saves, ``update()``, bulk writes,
raw SQL, ``backup restore`` — since none of them goes around SQLite itself.

SQLite rebuilds a table to alter it (Django's schema editor copies it to a new table, drops the old one
and renames): the old table's triggers go with it. So :func:`ensure` runs after every ``migrate``
(``post_migrate``) and re-installs missing triggers and rebuilds the index from the tables; the
migration that first creates the indexes calls the same :func:`install`. PostgreSQL has its own pg_trgm
indexes (migration 0001) and none of this.

The trigram tokenizer (SQLite ≥ 3.34) indexes every three-character substring, case-folded: a quoted
term of three characters or more MATCHes as a substring, which is what CJK search needs. It cannot
match a term of one or two characters (no trigram to look up) — :mod:`.services` searches those with
``LIKE``.
"""

from __future__ import annotations

import sqlite3

# (app label, model, searched fields, FTS table): the texts services.search looks in, per model.
SOURCES = [
    ("plan", "Measure", ["code", "name"], "search_fts_measure"),
    ("plan", "WorkItem", ["title"], "search_fts_workitem"),
    ("plan", "KPI", ["code", "full_term_text"], "search_fts_kpi"),
    ("progress", "MeasureReport", ["progress", "highlights", "next_quarter"], "search_fts_measurereport"),
    (
        "coordination",
        "CoordinationIssue",
        ["title", "description", "requested_decision"],
        "search_fts_coordinationissue",
    ),
]

MIN_TRIGRAM_VERSION = (3, 34, 0)
TRIGRAM = 3  # the shortest term the trigram tokenizer can match


def fts_table(model) -> str:
    """The FTS table indexing ``model``'s searched texts."""
    label = model._meta.label_lower
    for app, name, _fields, table in SOURCES:
        if f"{app}.{name.lower()}" == label:
            return table
    raise LookupError(label)


def supported(connection) -> bool:
    """Whether ``connection`` is a SQLite with the FTS5 trigram tokenizer."""
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= MIN_TRIGRAM_VERSION


def _statements(apps, app: str, model_name: str, fields: list[str], fts: str) -> tuple[list[str], list[str]]:
    """(table DDL, trigger DDL) for one source, every statement idempotent."""
    model = apps.get_model(app, model_name)
    source = model._meta.db_table
    pk = model._meta.pk.column
    columns = [model._meta.get_field(f).column for f in fields]
    cols = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    # Names from the models, no user input:
    delete = f'INSERT INTO "{fts}"("{fts}", rowid, {cols}) VALUES (\'delete\', old."{pk}", {old});'  # noqa: S608
    insert = f'INSERT INTO "{fts}"(rowid, {cols}) VALUES (new."{pk}", {new});'  # noqa: S608
    table = [
        f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5({cols}, '
        f"content='{source}', content_rowid='{pk}', tokenize='trigram')"
    ]
    triggers = [
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ai" AFTER INSERT ON "{source}" BEGIN {insert} END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ad" AFTER DELETE ON "{source}" BEGIN {delete} END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_au" AFTER UPDATE ON "{source}" BEGIN {delete} {insert} END',
    ]
    return table, triggers


def trigger_names() -> list[str]:
    return [f"{fts}_{suffix}" for *_rest, fts in SOURCES for suffix in ("ai", "ad", "au")]


def install(connection, apps) -> None:
    """Create the FTS tables and triggers that are missing and rebuild every index from its table."""
    if connection.vendor != "sqlite":
        return
    if not supported(connection):
        raise RuntimeError(
            f"site search needs SQLite ≥ 3.34 (FTS5 trigram tokenizer); this is {sqlite3.sqlite_version}"
        )
    with connection.cursor() as cursor:
        for app, model_name, fields, fts in SOURCES:
            table, triggers = _statements(apps, app, model_name, fields, fts)
            for statement in table + triggers:
                cursor.execute(statement)
            cursor.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')  # noqa: S608


def uninstall(connection) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in trigger_names():
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        for *_rest, fts in SOURCES:
            cursor.execute(f'DROP TABLE IF EXISTS "{fts}"')


def _present(connection, kind: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = %s", [kind])
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(connection) -> list[str]:
    """The index triggers the database lacks (a table rebuilt by a later migration drops its own)."""
    present = _present(connection, "trigger")
    return [name for name in trigger_names() if name not in present]


def ensure(connection, apps) -> None:
    """After ``migrate``: re-install what a table rebuild dropped (and rebuild the indexes then).

    Only where the indexes are installed (search migration 0002 applied): a database migrated back
    before it has no FTS table and gets none.
    """
    if connection.vendor != "sqlite":
        return
    if not {fts for *_rest, fts in SOURCES} <= _present(connection, "table"):
        return
    if missing_triggers(connection):
        install(connection, apps)


def match_expression(terms: list[str]) -> str:
    """An FTS5 query requiring every term (each a quoted string: no FTS5 syntax gets through)."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
