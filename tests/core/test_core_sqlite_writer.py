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


def test_a_waiter_gives_up_after_the_busy_timeout_as_sqlite_did(tmp_path: Path):
    writer = writer_queue._Writer(str(tmp_path / "db.writer-lock"))
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


def test_the_turn_of_a_thread_that_ended_holding_it_is_taken_back(tmp_path: Path):
    writer = writer_queue._Writer(str(tmp_path / "db.writer-lock"))
    t = threading.Thread(target=writer.take, args=(5,))
    t.start()
    t.join(10)
    assert writer.holder is t and not t.is_alive()
    writer.take(10)  # checked every second: the dead holder's turn is let go
    assert writer.holder is threading.current_thread()
    writer.let_go()


HOLDER = r"""
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(0.5)
open(sys.argv[2], "w").write("letting go")
fcntl.flock(fd, fcntl.LOCK_UN)
"""


def test_another_process_holding_the_turn_is_waited_for(tmp_path: Path):
    """Between processes (the uvicorn workers, the job worker) the flock queues the writers:
    the turn comes only after the other process let it go."""
    path, marker = tmp_path / "db.writer-lock", tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(marker)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        writer = writer_queue._Writer(str(path))
        writer.take(20)
        assert marker.read_text() == "letting go"
        writer.let_go()
    finally:
        child.wait(20)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_does_not_share_the_parents_turn(tmp_path: Path):
    """A child shares its parent's descriptors, and a flock belongs to the descriptor: the
    child drops the parent's writers and, asking on its own descriptor, finds the turn taken."""
    path = str(tmp_path / "db.writer-lock")
    parent_writer = writer_queue._writer(path)
    parent_writer.take(5)
    try:
        pid = os.fork()
        if pid == 0:  # the child: report through the exit code only
            code = 1
            try:
                fresh = writer_queue._writer(path)
                if fresh is not parent_writer and fresh.fd < 0:
                    import fcntl

                    fd = os.open(path, os.O_RDWR)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        code = 0  # the parent's turn is seen from the child
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        parent_writer.let_go()
        writer_queue._WRITERS.pop(path, None)
