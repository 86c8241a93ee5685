"""Shared by the benchmarks: start from a freshly created PostgreSQL database (never a reused one)."""

from __future__ import annotations

import urllib.parse


def recreate_postgres_database(url: str) -> None:
    """DROP and CREATE the database named in ``url`` (connecting to the server's ``postgres`` database)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum() or not name.startswith("bench"):
        raise SystemExit(f"refusing to recreate {name!r}: benchmark databases are named bench*")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
