"""Database triggers that count every change to an office's face templates.

Every insert or delete of a template, and every update of a column the in-memory gallery holds
(id, citizen, office, model, vector, expiry; not `last_seen_at`, which every check-in writes),
adds to `changes` of the office's GalleryVersion row, in the writing transaction. A process
then knows its cached gallery is current from one primary-key read, whatever wrote the table:
the services, a CASCADE from a deleted citizen, raw SQL.

Dropped before every `migrate` and created after it (the app's pre_migrate and post_migrate;
migration 0004 adds the column and leaves the triggers to post_migrate), never in the middle of
one: on SQLite Django rebuilds a table to alter it (copy into a new table, drop, rename), which
drops the templates table's triggers, and a rename of the versions table fails while a trigger
names it; on PostgreSQL a column named in the update trigger cannot change its type. Meanwhile
the services' own `version` bump still tells every process about their writes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

TEMPLATES = "biometrics_facetemplate"
VERSIONS = "biometrics_galleryversion"
# Written out (no string building): the columns the gallery holds are
# id, citizen_id, office_id, model_id, vector, expires_at.
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS facetemplate_gallery_insert
    AFTER INSERT ON biometrics_facetemplate
    BEGIN
        UPDATE biometrics_galleryversion SET changes = changes + 1 WHERE office_id = NEW.office_id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS facetemplate_gallery_delete
    AFTER DELETE ON biometrics_facetemplate
    BEGIN
        UPDATE biometrics_galleryversion SET changes = changes + 1 WHERE office_id = OLD.office_id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS facetemplate_gallery_update
    AFTER UPDATE OF id, citizen_id, office_id, model_id, vector, expires_at
    ON biometrics_facetemplate
    WHEN OLD.id IS NOT NEW.id OR OLD.citizen_id IS NOT NEW.citizen_id
        OR OLD.office_id IS NOT NEW.office_id OR OLD.model_id IS NOT NEW.model_id
        OR OLD.vector IS NOT NEW.vector OR OLD.expires_at IS NOT NEW.expires_at
    BEGIN
        UPDATE biometrics_galleryversion SET changes = changes + 1
        WHERE office_id IN (OLD.office_id, NEW.office_id);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS facetemplate_gallery_insert",
    "DROP TRIGGER IF EXISTS facetemplate_gallery_delete",
    "DROP TRIGGER IF EXISTS facetemplate_gallery_update",
]

# PostgreSQL: inserts and deletes once per statement (a purge of 100,000 rows bumps each office
# once), through transition tables; updates per row, only when a held column really changed.
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION facetemplate_gallery_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE biometrics_galleryversion SET changes = changes + 1
        WHERE office_id IN (SELECT DISTINCT office_id FROM new_rows);
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION facetemplate_gallery_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE biometrics_galleryversion SET changes = changes + 1
        WHERE office_id IN (SELECT DISTINCT office_id FROM old_rows);
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION facetemplate_gallery_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE biometrics_galleryversion SET changes = changes + 1
        WHERE office_id IN (OLD.office_id, NEW.office_id);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER facetemplate_gallery_insert AFTER INSERT ON biometrics_facetemplate
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION facetemplate_gallery_inserted()""",
    """CREATE TRIGGER facetemplate_gallery_delete AFTER DELETE ON biometrics_facetemplate
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION facetemplate_gallery_deleted()""",
    """CREATE TRIGGER facetemplate_gallery_update
    AFTER UPDATE OF id, citizen_id, office_id, model_id, vector, expires_at
    ON biometrics_facetemplate FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.citizen_id IS DISTINCT FROM NEW.citizen_id
        OR OLD.office_id IS DISTINCT FROM NEW.office_id OR OLD.model_id IS DISTINCT FROM NEW.model_id
        OR OLD.vector IS DISTINCT FROM NEW.vector OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
    EXECUTE FUNCTION facetemplate_gallery_updated()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS facetemplate_gallery_insert ON biometrics_facetemplate",
    "DROP TRIGGER IF EXISTS facetemplate_gallery_delete ON biometrics_facetemplate",
    "DROP TRIGGER IF EXISTS facetemplate_gallery_update ON biometrics_facetemplate",
    "DROP FUNCTION IF EXISTS facetemplate_gallery_inserted()",
    "DROP FUNCTION IF EXISTS facetemplate_gallery_deleted()",
    "DROP FUNCTION IF EXISTS facetemplate_gallery_updated()",
]

TRIGGERS = (
    "facetemplate_gallery_insert",
    "facetemplate_gallery_delete",
    "facetemplate_gallery_update",
)


def _ready(connection: Any, cur: Any) -> bool:
    """Both tables exist and the versions table has `changes` (migration 0004 applied)."""
    tables = set(connection.introspection.table_names(cur))
    if TEMPLATES not in tables or VERSIONS not in tables:
        return False
    columns = {c.name for c in connection.introspection.get_table_description(cur, VERSIONS)}
    return "changes" in columns


def installed_triggers(connection: Any) -> set[str]:
    """Names of the gallery triggers present in the database."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TEMPLATES],
            )
        else:
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
                [TEMPLATES],
            )
        return {row[0] for row in cur.fetchall()} & set(TRIGGERS)


def ensure_gallery_triggers(connection: Any) -> None:
    """Create the triggers that are missing (SQLite and PostgreSQL)."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no gallery triggers for database {vendor}")
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        if not _ready(connection, cur):
            return  # a partial migrate (or one back to before 0004)
        if vendor == "sqlite":
            for sql in SQLITE_UP:
                cur.execute(sql)
            return
        present = installed_triggers(connection)
        if present == set(TRIGGERS):
            return
        for sql in POSTGRES_UP:
            name = sql.split()[2]
            if sql.startswith("CREATE TRIGGER") and name in present:
                continue
            cur.execute(sql)


def drop_gallery_triggers(connection: Any) -> None:
    with connection.cursor() as cur:
        for sql in SQLITE_DOWN if connection.vendor == "sqlite" else POSTGRES_DOWN:
            cur.execute(sql)


def ensure_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    ensure_gallery_triggers(connections[using])


def drop_before_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    if connection.vendor in ("sqlite", "postgresql"):
        drop_gallery_triggers(connection)
