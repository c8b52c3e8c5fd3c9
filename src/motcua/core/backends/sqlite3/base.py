"""SQLite with its writers queued by the operating system, not by SQLite's busy handler.

Every transaction on SQLite starts with `BEGIN IMMEDIATE` (settings: the write lock is taken at
the start, so two writers never fail half-way). A second writer that finds the lock taken is
left to SQLite's busy handler, which sleeps and retries on a fixed schedule: 1, 2, 5, 10, 15,
20, 25 … 100 ms. A queue transaction holds the lock for one to three milliseconds, so under a
dozen kiosks and counters at once the lock stood free most of the time while the waiters
slept: measured on 2 workers, the server used 1.2 of the 2 cores and its lane threads spent
most of their time waiting at `BEGIN IMMEDIATE` (bench/README.md, "Sixth pass").

Here a writer first takes a turn that is handed on as soon as it is let go:
- a `threading.Lock` per process and database file: one thread of the process at a time;
- then an exclusive `flock` on a file beside the database, `<database>.writer-lock`, between
  processes (the uvicorn workers, the job worker, a management command). It is tried at once;
  when another process holds it, the process's waiter thread blocks on it (the kernel wakes it
  the moment it is free) while the writer waits for that thread with its timeout.
Only then `BEGIN IMMEDIATE`, which gets SQLite's own lock at once; SQLite's lock stays the
guarantee. A writer waits at most the busy timeout in all (OPTIONS["timeout"], 30 s), then gets
"database is locked" as before. The turn is let go once the transaction has ended (commit or
rollback; a commit that failed and left the transaction open keeps it until its rollback) or
the connection closes. Reads outside a transaction take no turn (WAL: readers never wait).

What does not change: the same statements, transactions and isolation; a write outside any
transaction (autocommit) still waits in SQLite's busy handler; an in-memory or URI-named
database, or a lock file that can't be opened (another user's, a read-only folder), takes no
turn (SQLite's busy handler alone, as before; logged once). A process that dies lets its
`flock` go with its descriptors; a thread that ended holding the turn (a transaction opened by
hand and never closed) has it taken back by the next waiter of its process within a second
(SQLite's own lock goes when that thread's connection is collected).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base, creation
from django.db.utils import OperationalError

log = logging.getLogger(__name__)

_GUARD = threading.Lock()
_WRITERS: dict[str, _Writer | None] = {}  # None: the lock file could not be opened
_LOCK_PATHS: dict[str, str] = {}  # database name → its lock file's real path


class _Writer:
    """The writer's turn on one database file, for this process."""

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.pid = os.getpid()
        self.thread_lock = threading.Lock()  # one thread of the process at a time
        self.holder: threading.Thread | None = None
        # The file lock's state, under `state`: `held` by this process (a thread has it, or
        # the waiter thread got it and hands it over: `granted`); a thread `wanted` it from the
        # waiter thread, which is `pending` (blocked in flock) until it gets it.
        self.state = threading.Condition()
        self.held = self.granted = self.wanted = self.pending = False
        self.waiter: threading.Thread | None = None

    def take(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._take_thread_lock(deadline)
        try:
            self._take_file_lock(deadline)
        except BaseException:
            self.thread_lock.release()
            raise
        self.holder = threading.current_thread()

    def let_go(self) -> None:
        with self.state:
            self.holder = None
            if os.getpid() == self.pid:  # never the parent's lock from a forked child
                self.held = False
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                if self.wanted:  # else nobody waits on `held`: the waiter thread sleeps on
                    self.state.notify_all()
        self.thread_lock.release()

    def _take_thread_lock(self, deadline: float) -> None:
        while not self.thread_lock.acquire(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
            with self.state:  # checked and let go at once: one waiter takes it back
                holder = self.holder
                if holder is not None and not holder.is_alive():
                    self.let_go()  # `state` is re-entrant
                    continue
            if time.monotonic() >= deadline:
                raise OperationalError("database is locked")

    def _take_file_lock(self, deadline: float) -> None:
        with self.state:
            if self.granted:  # got by the waiter thread for a writer that gave up meanwhile
                self.granted = False
                return
            if not self.pending:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass
                else:
                    self.held = True
                    return
            self.wanted = True
            if self.waiter is None:
                self.waiter = threading.Thread(
                    target=self._wait_for_file_lock, name="sqlite-writer-lock", daemon=True
                )
                self.waiter.start()
            self.state.notify_all()
            got = self.state.wait_for(
                lambda: self.granted, timeout=max(0.0, deadline - time.monotonic())
            )
            self.wanted = False
            if got:
                self.granted = False
                return
        raise OperationalError("database is locked")

    def _wait_for_file_lock(self) -> None:
        """The process's waiter thread: blocks on the file lock when a writer wants it, hands
        it over, or lets it go again when the writer gave up meanwhile."""
        while True:
            with self.state:
                self.state.wait_for(lambda: self.wanted and not self.held)
                self.pending = True
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except OSError:  # pragma: no cover (a closed descriptor: the process is ending)
                log.exception("SQLite writer lock: waiting on %s failed", self.path)
                with self.state:
                    self.pending = False
                return
            with self.state:
                self.pending = False
                if self.wanted:
                    self.held = self.granted = True
                    self.state.notify_all()
                else:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)


def _lock_path(name: str) -> str:
    """The lock file of the database file `name`: beside it, by its real path."""
    path = _LOCK_PATHS.get(name)
    if path is None:
        path = _LOCK_PATHS[name] = f"{os.path.realpath(name)}.writer-lock"
    return path


def _writer(path: str) -> _Writer | None:
    with _GUARD:
        if path in _WRITERS:
            return _WRITERS[path]
        try:
            # Read-only is enough for flock; a file others can read, so that the workers, the
            # job worker and a command run by another account all queue on it.
            fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            log.warning(
                "SQLite writer lock %s can't be opened (%s): writers wait in SQLite's busy "
                "handler instead",
                path,
                exc,
            )
            _WRITERS[path] = None
            return None
        writer = _WRITERS[path] = _Writer(path, fd)
        return writer


def _forget_in_child() -> None:
    """A forked child shares the parent's descriptors, hence its `flock`: it drops them (the
    parent's lock stays the parent's) and takes its own turns on new ones."""
    global _GUARD
    _GUARD = threading.Lock()
    for writer in _WRITERS.values():
        if writer is not None:
            with contextlib.suppress(OSError):
                os.close(writer.fd)
    _WRITERS.clear()


os.register_at_fork(after_in_child=_forget_in_child)


# Statements whose conversion from Django's "%s" placeholders to sqlite3's "?" is remembered
# (`_Cursor`): a regular-expression pass over the text of every statement run was 3-5 % of
# a call-next's CPU, and a process runs the same few hundred statement texts over and over.
# Bounded: forgotten wholesale when full; long texts (bulk inserts) are converted each time.
_CONVERTED: dict[str, str] = {}
_CONVERTED_MAX = 4096
_CONVERTED_LONGEST = 8192


class _Cursor(base.SQLiteCursorWrapper):
    """Django's cursor, its placeholder conversion remembered per statement text (the
    conversion is a function of the text alone; the "pyformat" style is left as it was)."""

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is not None or len(query) > _CONVERTED_LONGEST:
            return super().convert_query(query, param_names=param_names)  # type: ignore[no-any-return]
        converted = _CONVERTED.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(_CONVERTED) >= _CONVERTED_MAX:
                _CONVERTED.clear()
            _CONVERTED[query] = converted
        return converted


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        """The test database's lock file goes with it."""
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]  # private in the stubs
        if test_database_name and not self.is_in_memory_db(test_database_name):
            path = _lock_path(test_database_name)
            with _GUARD:
                writer = _WRITERS.pop(path, None)
            with contextlib.suppress(OSError):
                if writer is not None and writer.waiter is None:  # else its thread keeps it
                    os.close(writer.fd)
                os.remove(path)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_held: _Writer | None = None

    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=_Cursor)

    def _writer_take(self) -> None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or name.startswith("file:"):
            return
        writer = _writer(_lock_path(name))
        if writer is None:
            return
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        writer.take(timeout)
        self._writer_held = writer

    def _writer_let_go(self) -> None:
        writer, self._writer_held = self._writer_held, None
        if writer is not None:
            writer.let_go()

    def _let_go_if_ended(self) -> None:
        """After a commit or a rollback: the turn goes once the transaction is over (a COMMIT
        that failed leaves it open until the rollback that follows)."""
        if self._writer_held is not None and (
            self.connection is None or not self.connection.in_transaction
        ):
            self._writer_let_go()

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._writer_let_go()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._let_go_if_ended()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._let_go_if_ended()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._writer_let_go()
