"""A trigram index for substring search on the folded citizen name (PostgreSQL only).

See `motcua.dossiers.search_index`: without pg_trgm this does nothing, and the index is
tried again after every later `migrate`.
"""

from __future__ import annotations

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from motcua.dossiers.search_index import ensure_name_index

    ensure_name_index(schema_editor.connection)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from motcua.dossiers.search_index import INDEX

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
