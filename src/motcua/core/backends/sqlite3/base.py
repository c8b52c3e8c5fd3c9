"""SQLite with its writers queued by the operating system, not by SQLite's busy handler.

Every transaction on SQLite starts with `BEGIN IMMEDIATE` (settings: the write lock is taken at
the start, so two writers never fail half-way). A second writer that finds the lock taken is
left to SQLite's busy handler, which sleeps and retries on a fixed schedule: 1, 2, 5, 10, 15,
20, 25 … 100 ms. A queue transaction holds the lock for about a millisecond, so under a dozen
kiosks and counters at once the lock stood free most of the time while the waiters slept:
measured on 2 workers, the server used 1.2 of the 2 cores and the lane threads spent 87 % of
their time inside `BEGIN IMMEDIATE` (bench/README.md, "Sixth pass").

Here a writer first takes a lock of its own that wakes the next waiter as soon as it is let
go: one `threading.Lock` per process and database file (a thread waits at most the busy
timeout, as before, then gets "database is locked"), then an exclusive `flock` on a file
beside the database, `<database>.writer-lock`, between processes (the uvicorn workers, the
job worker, a management command). Only then `BEGIN IMMEDIATE`; SQLite's own lock is taken at
once and stays the guarantee. The locks are let go once the transaction has ended (commit or
rollback; a commit that failed and left the transaction open keeps them until its rollback) or
the connection closes. Reads outside a transaction take neither (WAL: readers never wait).

What does not change: the same statements, the same transactions, the same isolation; a write
outside any transaction (autocommit) still waits in SQLite's busy handler; an in-memory
database takes no lock. A process that dies holding the `flock` lets it go with its file.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_GUARD = threading.Lock()
_WRITERS: dict[str, _Writer] = {}


class _Writer:
    """The writer's turn on one database file, for this process: a thread lock, then the
    file lock on one descriptor of the process (the thread lock lets one thread at a time
    ask for it).

    A thread that ended holding the turn (a transaction opened by hand and never closed: its
    connection went with the thread, and SQLite rolled it back) would keep every other writer
    of the process out; a waiter checks every second and takes the turn back from it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd = -1
        self.holder: threading.Thread | None = None

    def take(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.thread_lock.acquire(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
            holder = self.holder
            if holder is not None and not holder.is_alive():
                self.holder = None
                self.let_go()
            elif time.monotonic() >= deadline:
                raise OperationalError("database is locked")
        try:
            if self.fd < 0:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.thread_lock.release()
            raise
        self.holder = threading.current_thread()

    def let_go(self) -> None:
        self.holder = None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.thread_lock.release()


def _writer(path: str) -> _Writer:
    with _GUARD:
        writer = _WRITERS.get(path)
        if writer is None:
            writer = _WRITERS[path] = _Writer(path)
        return writer


def _forget_in_child() -> None:
    """A forked child shares the parent's descriptors, hence its `flock`: it takes its own."""
    global _GUARD
    _GUARD = threading.Lock()
    _WRITERS.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_held: _Writer | None = None

    def _writer_take(self) -> None:
        if self.is_in_memory_db():
            return
        name = os.path.abspath(str(self.settings_dict["NAME"]))
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        writer = _writer(f"{name}.writer-lock")
        writer.take(timeout)
        self._writer_held = writer

    def _writer_let_go(self) -> None:
        writer, self._writer_held = self._writer_held, None
        if writer is not None:
            writer.let_go()

    def _transaction_ended(self) -> bool:
        return self.connection is None or not self.connection.in_transaction

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_take()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._writer_let_go()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            if self._writer_held is not None and self._transaction_ended():
                self._writer_let_go()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            if self._writer_held is not None and self._transaction_ended():
                self._writer_let_go()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._writer_let_go()
