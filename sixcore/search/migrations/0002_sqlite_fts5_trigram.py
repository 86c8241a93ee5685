"""SQLite FTS5 (trigram tokenizer) indexes of the searched texts, with the triggers keeping them
current (SQLite only; PostgreSQL has the pg_trgm indexes of 0001). The DDL is in ``search.fts``,
which ``post_migrate`` also uses to re-install triggers a later table rebuild drops."""

from django.db import migrations

from sixcore.search import fts


def create(apps, schema_editor):
    fts.install(schema_editor.connection, apps)


def drop(apps, schema_editor):
    fts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_trigram_indexes"),
        ("plan", "0002_reading_parts_inferred_footnotes"),
        ("progress", "0004_internal_review"),
        ("coordination", "0004_decision_tracking_in_follow_ups"),
    ]

    operations = [migrations.RunPython(create, drop)]
