"""pg_trgm and GIN trigram indexes for the site search (PostgreSQL only; nothing on SQLite).

Django writes ``icontains`` on PostgreSQL as ``UPPER(col::text) LIKE UPPER(%s)``: the indexes are on
that expression, so a substring search of three characters or more is served by the index.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (app label, model, field) of every searched column.
SEARCHED = [
    ("plan", "Measure", "name"),
    ("plan", "WorkItem", "title"),
    ("plan", "KPI", "full_term_text"),
    ("progress", "MeasureReport", "progress"),
    ("progress", "MeasureReport", "highlights"),
    ("progress", "MeasureReport", "next_quarter"),
    ("coordination", "CoordinationIssue", "title"),
    ("coordination", "CoordinationIssue", "description"),
]


def _indexes(apps):
    for app, model_name, field_name in SEARCHED:
        model = apps.get_model(app, model_name)
        table = model._meta.db_table
        column = model._meta.get_field(field_name).column
        yield f"search_{table}_{column}_trgm"[:63], table, column


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name, table, column in _indexes(apps):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in _indexes(apps):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("plan", "0001_initial"),
        ("progress", "0002_program_periods"),
        ("coordination", "0001_initial"),
    ]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
