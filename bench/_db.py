"""Shared by the benchmarks: start from a freshly created PostgreSQL database (never a reused one)."""

from __future__ import annotations

import urllib.parse


def recreate_postgres_database(url: str) -> None:
    """Empty the database named in ``url``, creating it if needed: a fresh database for each run.

    An existing database is emptied by dropping and re-creating its ``public`` schema rather than by
    DROP DATABASE, which waits for every backend of the server to absorb a barrier (a session of
    another job blocked in ``COPY … FROM STDIN`` held such drops for minutes on the shared machine).
    """
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum() or not name.startswith("bench"):
        raise SystemExit(f"refusing to recreate {name!r}: benchmark databases are named bench*")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute(
            "SELECT datconnlimit FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if found and found[0] == -2:  # left invalid by an interrupted DROP DATABASE: only a DROP helps
            print(f"dropping the invalid database {name} (may wait for other sessions)", flush=True)
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            found = None
        if not found:
            connection.execute(f'CREATE DATABASE "{name}"')
            return
    with psycopg.connect(url, autocommit=True) as connection:
        others = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        connection.execute(others, [name])
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def command_line(argv: list[str] | None = None) -> str:
    """The command that reproduces this run (``python bench/x.py …``), without ``--json PATH``."""
    import shlex
    import sys

    argv = list(sys.argv if argv is None else argv)
    script = argv[0]
    if "bench/" in script:
        script = "bench/" + script.rsplit("bench/", 1)[1]
    kept: list[str] = []
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
        elif arg == "--json":
            skip = True
        elif not arg.startswith("--json="):
            kept.append(arg)
    return " ".join(["python", shlex.quote(script), *map(shlex.quote, kept)])


def write_rows(path: str | None, rows: list[dict]) -> None:
    """Write the ``--json`` rows (a list of dicts, the suite's row format), if a path was given."""
    import json

    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, ensure_ascii=False, indent=1)
