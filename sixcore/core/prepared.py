"""A lookup of one row whose SQL is compiled once per database connection.

Every signed-in request loads its session and user (an API request its token) before anything
else.  The ORM compiles such a ``select_related(...).get(...)`` anew each time, and compiling costs
about four times what sending the query does (0.55 ms of CPU against 0.12 ms on PostgreSQL,
measured with ``bench/bench_web.py``'s server).  ``PreparedGet`` compiles it once per connection
and then only executes it with the request's values; the row becomes instances through Django's own
converters and related-object populators, as ``QuerySet.get`` builds them (``ModelIterable``), so
the result is the same.  On PostgreSQL the statement is also prepared by the server
(``prepared_cursor``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


def _as_given(connection: Any, value: Any) -> Any:
    return value


class Param(NamedTuple):
    """A parameter of a ``PreparedGet``: ``probe``, a value no real row matches, marks its place among
    the compiled query's parameters; ``adapt(connection, value)`` makes a value the parameter the ORM
    would send (e.g. ``adapt_datetime``), the identity by default."""

    probe: Any
    adapt: Callable[[Any, Any], Any] = _as_given


def adapt_datetime(connection: Any, value: Any) -> Any:
    """A ``DateTimeField`` lookup's value as the ORM sends it (SQLite: naive text in UTC)."""
    return connection.ops.adapt_datetimefield_value(value)


class PreparedGet:
    """``make_queryset(*values).first()`` without ordering: the one row matching ``values`` (with its
    related objects and annotations, as the queryset gives them), or None.

    ``make_queryset`` builds the query (filters with its arguments, ``select_related``) and is
    called once per connection, with the probes of ``params``.  The filters must match at most one
    row (a primary key, a unique key)."""

    def __init__(self, make_queryset: Callable[..., QuerySet], *params: Param) -> None:
        self._make_queryset = make_queryset
        self._params = params
        self._attribute = f"_sixcore_prepared_{id(self)}"

    def get(self, *values: Any) -> Model | None:
        connection = self._connection()
        # Kept on the connection object: one per thread and alias, as a compiler is bound to one.
        prepared = connection.__dict__.get(self._attribute)
        if prepared is None:
            queryset = self._make_queryset(*(param.probe for param in self._params))
            prepared = connection.__dict__[self._attribute] = _Prepared(queryset, connection, self._params)
        return prepared.get(values)

    def _connection(self):
        alias = getattr(self, "_alias", None)
        if alias is None:
            queryset = self._make_queryset(*(param.probe for param in self._params))
            alias = self._alias = queryset.db
        return connections[alias]


class _Prepared:
    def __init__(self, queryset: QuerySet, connection, params: tuple[Param, ...]) -> None:
        compiler = queryset.order_by().query.get_compiler(connection=connection)
        self.sql, compiled = compiler.as_sql()  # also fills compiler.select and klass_info
        self.slots = []
        for param in params:
            marker = param.adapt(connection, param.probe)
            slots = [i for i, value in enumerate(compiled) if value == marker]
            if len(slots) != 1:
                raise ValueError(
                    f"the probe {param.probe!r} must be one parameter of the query, not {len(slots)}"
                )
            self.slots.append((slots[0], param.adapt))
        self.params = list(compiled)
        self.compiler, self.connection, self.alias = compiler, connection, queryset.db
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in compiler.select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, compiler.select, self.alias)
        self.annotations = list(compiler.annotation_col_map.items())
        # The field converters (e.g. SQLite's dates), found once: ``results_iter`` looks them up per call.
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )

    def get(self, values: tuple[Any, ...]) -> Model | None:
        params = self.params.copy()
        for (slot, adapt), value in zip(self.slots, values, strict=True):
            params[slot] = adapt(self.connection, value)
        with prepared_cursor(self.connection) as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        instance = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, instance)
        for name, column in self.annotations:
            setattr(instance, name, row[column])
        return instance


def prepared_cursor(connection):
    """A cursor of ``connection``: on PostgreSQL one whose statements the server prepares.

    Django sends every query as text with its values inlined (client-side binding), and PostgreSQL
    plans each anew: for the session query with its joins, planning took as long as all the rest
    (0.54 ms a query against 0.29 ms prepared, measured on the benchmark's database).  The few
    statements here run on every request: prepared once per connection (``CONN_MAX_AGE`` keeps
    connections), they are then only executed.  Every other query keeps Django's cursor and is never
    prepared.  A session-pooling PgBouncer keeps prepared statements; behind a transaction-pooling
    one (before 1.21), set ``SIXCORE_PREPARED_STATEMENTS=0``."""
    if connection.vendor != "postgresql" or not getattr(settings, "SIXCORE_PREPARED_STATEMENTS", True):
        return connection.cursor()
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    # The steps of Django's ``connection.cursor()``: a failed health check reconnects, a connection is
    # used by its own thread only, errors are Django's.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        if raw.prepare_threshold is None:  # Django's default: psycopg prepares nothing, even when asked
            raw.prepare_threshold = _ONLY_WHEN_ASKED
        inner = _preparing_cursor_class()(raw)
        # As Django's ``create_cursor``: the connection's time zone for timestamps.
        if connection.timezone != raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, inner)
    connection.validate_thread_sharing()
    # Django's wrapper: its checks, and the query log of ``CaptureQueriesContext`` and DEBUG.
    return _LoggedCursor(inner, connection) if connection.queries_logged else connection.make_cursor(inner)


# A threshold no statement reaches: psycopg prepares only what is executed with ``prepare=True``
# (Django's own cursors bind on the client and are never prepared whatever the threshold).
_ONLY_WHEN_ASKED = 2**31


class _LoggedCursor(CursorDebugWrapper):
    """Django's logging wrapper, which reads the SQL back from a client-binding cursor: a prepared
    statement's execution sends no text, so the log gets the statement with its values inlined."""

    def execute(self, sql, params=None):
        result = super().execute(sql, params)
        entry = self.db.queries_log[-1] if self.db.queries_log else None
        if entry is not None and entry["sql"] is None:
            entry["sql"] = self.db.ops.compose_sql(sql, params)
        return result


@functools.cache
def _preparing_cursor_class():
    """Django's server-binding psycopg cursor, asking the server to prepare each statement."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor
