"""Running async code from a synchronous test.

A browser test's Playwright session (tests/conftest.py, session scope) keeps an asyncio event
loop running in the main thread of its xdist worker; every later test in that worker then sees
a running loop, where `asyncio.run` and asgiref's `async_to_sync` refuse to start. `run_async`
uses `async_to_sync` in this thread when no loop runs here (thread-sensitive `sync_to_async`
calls then share the test's database connection and transaction), else in a new thread, which
has no loop (the test must then use `django_db(transaction=True)` to share rows).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from django.db import connections


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_async(fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` run to completion; its result (or its exception raised here)."""
    if not _loop_running():
        return async_to_sync(fn)(*args, **kwargs)
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = async_to_sync(fn)(*args, **kwargs)
        except BaseException as exc:  # re-raised in the test's thread
            out["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=target, name="run_async")
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")
