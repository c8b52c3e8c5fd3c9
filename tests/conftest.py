"""Shared fixtures: a frozen clock, a small office (units, staff, procedures), API clients."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from motcua.core import clock

# Property tests check behaviour, never speed: no per-example deadline and no "too slow" health
# check, which fail on a loaded CI machine (speed is measured in bench/).
hypothesis_settings.register_profile(
    "motcua", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("motcua")

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop
# Not the stand-in's default: the payments system check refuses that outside the demo.
os.environ.setdefault("PAYMENT_GATEWAY_SECRET", "test-gateway-secret")


@pytest.fixture(autouse=True, scope="session")
def _receipt_signing_certificate(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Receipts are signed when issued: one test certificate for the session (never var/)."""
    from motcua.payments.xmlsign import create_test_certificate

    if os.environ.get("RECEIPT_SIGNING_KEY"):
        yield
        return
    key, cert = create_test_certificate(tmp_path_factory.mktemp("receipt-signing"))
    os.environ["RECEIPT_SIGNING_KEY"], os.environ["RECEIPT_SIGNING_CERT"] = str(key), str(cert)
    yield
    os.environ.pop("RECEIPT_SIGNING_KEY", None)
    os.environ.pop("RECEIPT_SIGNING_CERT", None)


@pytest.fixture(autouse=True, scope="session")
def _plain_static_storage():  # type: ignore[no-untyped-def]
    """Static files by their plain names, as the app folders hold them: a manifest left in var/
    by `make run` must not send the test server's pages to hashed names it cannot serve."""
    from django.test.utils import override_settings

    from motcua import settings as project

    plain = {
        **project.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain):
        yield


@pytest.fixture(autouse=True)
def _queue_listener_stopped():  # type: ignore[no-untyped-def]
    """Streams start one queue listener per process (a live board, a ticket page, the board's
    fast lane through the ASGI app, from any test folder); stop it after every test, before the
    test database goes away (a listener left polling a dropped database logged "lost its
    connection ... no such table" at the end of a run)."""
    yield
    from motcua.queueing import broker

    broker.stop_listener()


@pytest.fixture(autouse=True)
def _fresh_local_cache():  # type: ignore[no-untyped-def]
    """Rate-limit counters and cached figures start empty in every test (in-process cache only:
    never flush a Redis someone pointed the tests at)."""
    from django.conf import settings
    from django.core.cache import cache

    from motcua.core.cache import forget_local_pages
    from motcua.queueing import lookups

    if "locmem" in settings.CACHES["default"]["BACKEND"]:
        cache.clear()
    lookups.clear()  # offices, services, counters remembered per process (rows rolled back)
    forget_local_pages()  # public pages and their version memo kept per process


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache(request):  # type: ignore[no-untyped-def]
    """The shared rate-limit cache is a database table (without Redis): a test's transaction
    rolls its rows back, but tests on real transactions (live server, threads) keep them, so
    those start from an empty table."""
    from django.conf import settings

    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional or "DatabaseCache" not in settings.CACHES["ratelimit"]["BACKEND"]:
        return
    request.getfixturevalue("django_db_setup")  # the test database, never the real one
    from django.core.cache import caches

    with request.getfixturevalue("django_db_blocker").unblock():
        caches["ratelimit"].clear()


@pytest.fixture(autouse=True)
def _steady_rate_limit_window(monkeypatch):  # type: ignore[no-untyped-def]
    """django-ratelimit counts per wall-clock minute: a test that makes N requests must not
    see the count reset because it ran across a minute boundary."""
    import time
    import types

    import django_ratelimit.core as ratelimit_core

    started = time.time()
    monkeypatch.setattr(ratelimit_core, "time", types.SimpleNamespace(time=lambda: started))


@pytest.fixture
def freeze():
    """Call `freeze(datetime)` to move `clock.now()`; released after the test."""

    def _freeze(at: datetime) -> None:
        clock.set_frozen(at)

    yield _freeze
    clock.set_frozen(None)


# Without the networking flags the system Chromium keeps dialling out on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
]


BROWSER_WAIT_MS = 20_000


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless system Chromium; skipped with a visible reason when none is installed (CI requires it)."""
    path = chromium_path()
    if not path:
        if os.environ.get("MOTCUA_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (MOTCUA_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("no system Chromium: apt-get install -y chromium to run browser tests")
    from playwright.sync_api import expect, sync_playwright

    # Generous waits: CI shares two cores between two test workers and Chromium. A passing
    # test never waits for these; only a failing one takes longer to report.
    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path,
            args=CHROMIUM_ARGS,
        )
        yield b
        b.close()


@pytest.fixture
def launch_chromium(browser):  # type: ignore[no-untyped-def]
    """Launch another Chromium with extra flags (e.g. a fake camera); closed after the test."""
    launched = []

    def _launch(*extra_args: str):  # type: ignore[no-untyped-def]
        b = browser.browser_type.launch(
            executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args]
        )
        launched.append(b)
        return b

    yield _launch
    for b in launched:
        b.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    pg = context.new_page()
    pg.set_default_timeout(BROWSER_WAIT_MS)
    yield pg
    context.close()


@pytest.fixture(autouse=True)
def _small_challenges(settings):  # type: ignore[no-untyped-def]
    """Proof-of-work challenges of 200 numbers at most: solved at once by tests (and browsers)."""
    settings.MOTCUA = {**settings.MOTCUA, "CHALLENGE_MAX_NUMBER": 200}


@pytest.fixture
def solve_challenge():  # type: ignore[no-untyped-def]
    """A function giving a fresh solution of a new challenge (what the browser would send)."""
    from challenge_helpers import solved

    return solved
