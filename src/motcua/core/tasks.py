"""Background jobs of the shared kernel (Huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="17"))
def idempotency_keys_expire_periodic() -> int:
    """Every hour: forget Idempotency-Key answers older than their time to live."""
    from motcua.core.idempotency import idempotency_keys_expire

    return idempotency_keys_expire()


@db_periodic_task(crontab(minute="43"))
def sqlite_optimize_periodic() -> bool:
    """Every hour on SQLite: refresh the query planner's statistics; nothing on PostgreSQL."""
    from motcua.core.dbstats import sqlite_optimize

    return sqlite_optimize()
