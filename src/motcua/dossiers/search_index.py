"""The trigram index behind name search, on PostgreSQL when pg_trgm can be installed.

`citizen_name_folded__contains` is `LIKE '%…%'`, which a B-tree cannot serve; pg_trgm's GIN
index can. Created by migration 0002 and checked again after every `migrate`, so a database
where the extension arrives later gets the index then. Elsewhere nothing happens and search
still works with a sequential scan.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

INDEX = "dossier_name_folded_trgm"
TABLE = "dossiers_dossier"


def ensure_name_index(connection: Any) -> bool:
    """Create the extension and the index if missing; True when the index exists afterwards."""
    if connection.vendor != "postgresql":
        return False
    try:
        # A savepoint: a refusal aborts nothing around it.
        with transaction.atomic(using=connection.alias), connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [INDEX])
            if cur.fetchone():
                return True
            cur.execute("SELECT to_regclass(%s)", [TABLE])
            if cur.fetchone()[0] is None:
                return False  # before the table exists (a partial migrate)
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cur.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} "
                "USING gin (citizen_name_folded gin_trgm_ops)"
            )
        return True
    except Exception as exc:  # no pg_trgm package, or no right to create the extension
        log.warning("pg_trgm unavailable (%s): name search stays a sequential scan", exc)
        return False


def ensure_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    ensure_name_index(connections[using])
