"""A trigram index for substring search on the folded citizen name, on PostgreSQL only.

`citizen_name_folded__contains` is `LIKE '%…%'`, which a B-tree cannot serve; pg_trgm's GIN
index can. SQLite (and a PostgreSQL where the extension is unavailable or not allowed) keeps
the sequential scan: the migration then does nothing and search still works.
"""

from __future__ import annotations

import logging

from django.db import migrations, transaction

log = logging.getLogger(__name__)

INDEX = "dossier_name_folded_trgm"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    table = apps.get_model("dossiers", "Dossier")._meta.db_table
    try:
        with transaction.atomic(using=conn.alias):  # a savepoint: a refusal must not abort the rest
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} "
                "USING gin (citizen_name_folded gin_trgm_ops)"
            )
    except Exception as exc:  # no pg_trgm package, or no right to create the extension
        log.warning("pg_trgm unavailable (%s): name search stays a sequential scan", exc)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
