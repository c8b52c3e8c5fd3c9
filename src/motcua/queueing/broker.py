"""Board events: the TicketEvent rows are the durable log; this wakes local streams early.

A stream polls `TicketEvent.id > last_id` every ~300 ms, which works across processes and on
both databases. Within one process, `notify()` (called on commit) wakes waiting streams at once
so a call reaches the board in well under a second even between polls.
"""

from __future__ import annotations

import threading

_cond = threading.Condition()
_version = 0


def notify(office_id: int | None = None) -> None:
    """Wake every stream waiting in this process (they re-read the database)."""
    global _version
    with _cond:
        _version += 1
        _cond.notify_all()


def version() -> int:
    return _version


def wait(since: int, timeout: float) -> int:
    """Block until notify() was called after `since` or `timeout` seconds passed; new version."""
    with _cond:
        if _version == since:
            _cond.wait(timeout)
        return _version
