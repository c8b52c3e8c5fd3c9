"""`motcua serve --standins` (what `make run` uses): the outside services' stand-ins start with the
office and stop with it, in demo mode only."""

from __future__ import annotations

import subprocess

import pytest
import uvicorn
from django.core.management import CommandError, call_command

from motcua.web.management.commands.serve import STANDINS


class _FakeProcess:
    started: list[list[str]] = []

    def __init__(self, args, **kwargs):  # type: ignore[no-untyped-def]
        self.args = list(args)
        self.stopped = False
        _FakeProcess.started.append(self.args)
        _FakeProcess.instances.append(self)

    instances: list[_FakeProcess] = []

    def terminate(self) -> None:
        self.stopped = True

    def send_signal(self, sig: int) -> None:
        self.stopped = True

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def kill(self) -> None:
        self.stopped = True


@pytest.fixture
def fake_processes(monkeypatch):  # type: ignore[no-untyped-def]
    _FakeProcess.started, _FakeProcess.instances = [], []
    monkeypatch.setattr(subprocess, "Popen", _FakeProcess)
    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    return served


@pytest.mark.django_db
def test_standins_start_with_the_office_and_stop_with_it(settings, fake_processes):
    settings.MOTCUA_DEMO = True
    call_command("serve", "--standins", "--no-worker", "--port", "0")
    commands = [args[3] for args in _FakeProcess.started]
    assert (
        commands
        == STANDINS
        == [
            "payments-standin",
            "postal-standin",
            "notify-doubles",
            "exchange-standin",
        ]
    )
    assert fake_processes == ["motcua.asgi:application"]
    assert all(p.stopped for p in _FakeProcess.instances)


@pytest.mark.django_db
def test_no_standins_without_the_flag(settings, fake_processes):
    settings.MOTCUA_DEMO = True
    call_command("serve", "--no-worker", "--port", "0")
    assert _FakeProcess.started == []


@pytest.mark.django_db
def test_standins_refused_outside_demo_mode(settings, fake_processes):
    settings.MOTCUA_DEMO = False
    settings.DEBUG = True  # not a production start either: the stand-in rule alone refuses
    with pytest.raises(CommandError, match="chế độ trình diễn"):
        call_command("serve", "--standins", "--no-worker", "--port", "0")
    assert _FakeProcess.started == [] and fake_processes == []
