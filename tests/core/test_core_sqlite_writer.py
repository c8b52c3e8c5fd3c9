"""SQLite's writers take turns through the writer queue (core/backends/sqlite3/base.py): a thread lock per
process and database, then a `flock` between processes, taken before `BEGIN IMMEDIATE` and let
go when the transaction ends."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction

from motcua.core.backends.sqlite3 import base as writer_queue
from motcua.org.models import Unit

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def _unit(code: str) -> Unit:
    return Unit.objects.create(code=code, name=f"Phường {code}", level="ward")


@on_sqlite
def test_the_settings_use_the_writer_queue():
    assert isinstance(connections["default"], writer_queue.DatabaseWrapper)


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_to_commit_then_writes():
    """The second thread's transaction starts only once the first one committed (its write is
    seen), and both writes land."""
    first_in = threading.Event()
    let_first_commit = threading.Event()
    seen_by_second: list[bool] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                _unit("WQ1")
                first_in.set()
                let_first_commit.wait(10)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_in.wait(10)
            with transaction.atomic():
                seen_by_second.append(Unit.objects.filter(code="WQ1").exists())
                _unit("WQ2")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    first_in.wait(10)
    let_first_commit.set()
    a.join(20)
    b.join(20)
    assert errors == []
    assert seen_by_second == [True]
    assert set(Unit.objects.filter(code__in=["WQ1", "WQ2"]).values_list("code", flat=True)) == {
        "WQ1",
        "WQ2",
    }


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_the_turn_is_let_go_after_a_rollback_and_after_a_commit():
    with pytest.raises(RuntimeError), transaction.atomic():
        _unit("WQ3")
        assert connection._writer_held is not None
        raise RuntimeError("boom")
    assert connection._writer_held is None
    assert not Unit.objects.filter(code="WQ3").exists()
    with transaction.atomic():
        _unit("WQ4")
    assert connection._writer_held is None
    # another thread writes at once: nothing is left held
    done: list[bool] = []

    def write() -> None:
        with transaction.atomic():
            _unit("WQ5")
        done.append(True)
        connection.close()

    t = threading.Thread(target=write)
    t.start()
    t.join(20)
    assert done == [True]


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_closing_the_connection_inside_a_transaction_lets_the_turn_go():
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    assert connection._writer_held is not None
    connection.close()
    assert connection._writer_held is None
    with transaction.atomic():
        _unit("WQ6")


@pytest.fixture
def writer_at(tmp_path: Path):
    """A writer's turn on a lock file of its own; forgotten after the test."""
    made: list[str] = []

    def make(name: str = "db.writer-lock") -> writer_queue._Writer:
        path = str(tmp_path / name)
        made.append(path)
        writer = writer_queue._writer(path)
        assert writer is not None
        return writer

    yield make
    for path in made:
        writer_queue._WRITERS.pop(path, None)


def test_a_waiter_gives_up_after_the_busy_timeout_as_sqlite_did(writer_at):
    writer = writer_at()
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        writer.take(5)
        holding.set()
        release.wait(10)
        writer.let_go()

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(10)
    with pytest.raises(OperationalError, match="database is locked"):
        writer.take(0.2)
    release.set()
    t.join(10)
    writer.take(5)  # free again
    writer.let_go()


def test_the_turn_of_a_thread_that_ended_holding_it_is_taken_back_by_one_waiter(writer_at):
    """Several waiters find the holder dead: one takes the turn back, and the turn is never
    held by two at once."""
    writer = writer_at()
    t = threading.Thread(target=writer.take, args=(5,))
    t.start()
    t.join(10)
    assert writer.holder is t and not t.is_alive()
    inside, most, errors = [0], [0], []
    guard = threading.Lock()

    def write() -> None:
        try:
            writer.take(20)
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            threading.Event().wait(0.01)
            with guard:
                inside[0] -= 1
            writer.let_go()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    waiters = [threading.Thread(target=write) for _ in range(4)]
    for w in waiters:
        w.start()
    for w in waiters:
        w.join(30)
    assert errors == [] and most == [1]
    writer.take(1)  # and nothing is left held
    writer.let_go()


def test_a_lock_file_that_cannot_be_opened_leaves_sqlite_s_own_waiting(tmp_path: Path):
    path = str(tmp_path / "no-such-folder" / "db.writer-lock")
    try:
        assert writer_queue._writer(path) is None
    finally:
        writer_queue._WRITERS.pop(path, None)


HOLDER = r"""
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[3]))
open(sys.argv[2], "w").write("letting go")
fcntl.flock(fd, fcntl.LOCK_UN)
"""


def _holder(path: Path, marker: Path, seconds: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(marker), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_another_process_holding_the_turn_is_waited_for(tmp_path: Path, writer_at):
    """Between processes (the uvicorn workers, the job worker) the flock queues the writers:
    the turn comes only after the other process let it go."""
    writer = writer_at()
    marker = tmp_path / "marker"
    child = _holder(tmp_path / "db.writer-lock", marker, 0.5)
    try:
        writer.take(20)
        assert marker.read_text() == "letting go"
        writer.let_go()
    finally:
        child.wait(20)


def test_a_wait_on_another_process_ends_at_the_busy_timeout_too(tmp_path: Path, writer_at):
    """Another process holding the turn too long (a long migration, a stopped process): the
    writer gets "database is locked" at its timeout, as from SQLite; the process's next writer
    gets the turn once the other lets it go."""
    writer = writer_at()
    marker = tmp_path / "marker"
    child = _holder(tmp_path / "db.writer-lock", marker, 3)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            writer.take(0.3)
        assert not marker.exists()  # still held by the other process
        writer.take(20)
        assert marker.read_text() == "letting go"
        writer.let_go()
    finally:
        child.wait(20)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_neither_shares_nor_lets_go_the_parents_turn(writer_at):
    """A child shares its parent's descriptors, and a flock belongs to the descriptor: the
    child drops the parent's writers; letting go of an inherited turn (a connection it
    inherited, closed) leaves the parent's lock alone; its own writers find the turn taken."""
    import fcntl

    parent_writer = writer_at()
    path = parent_writer.path
    parent_writer.take(5)
    try:
        pid = os.fork()
        if pid == 0:  # the child: report through the exit code only
            code = 1
            try:
                parent_writer.let_go()  # must not unlock the parent's flock
                fresh = writer_queue._writer(path)
                if fresh is not None and fresh is not parent_writer:
                    try:
                        fcntl.flock(fresh.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        code = 0  # the parent's turn is still the parent's
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        parent_writer.let_go()
