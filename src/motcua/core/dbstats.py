"""The query planner's statistics on SQLite (PostgreSQL keeps its own: autovacuum runs ANALYZE).

Without statistics (`sqlite_stat1`) SQLite guesses every index alike and may pick a poor one
once tables grow. `sqlite_optimize()` runs at every `motcua migrate`, when `motcua serve` starts
and every hour in the job worker (`core.tasks.sqlite_optimize_periodic`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

# Rows read per index at most: statistics stay good enough and the run takes milliseconds even
# on a large database (it holds the write lock while it writes sqlite_stat1).
ANALYSIS_LIMIT = 1000


def sqlite_optimize(using: str = "default") -> bool:
    """Refresh SQLite's statistics (`PRAGMA optimize`); False, and no statement, elsewhere.

    SQLite before 3.46 only looks at the tables this connection has queried, so a fresh
    connection (the job's) would do nothing: there the bounded ANALYZE runs instead.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        if sqlite3.sqlite_version_info >= (3, 46, 0):
            cursor.execute("PRAGMA optimize=0x10002")  # every table, not only those used here
        else:
            cursor.execute("ANALYZE")
    return True


def optimize_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate of `migrate` (which passes its plan), not that of `flush` (tests' teardown)."""
    if kwargs.get("plan") is not None:
        sqlite_optimize(using)
