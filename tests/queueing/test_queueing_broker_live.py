"""The listener's live mark, which the board lane trusts (review finding)."""

from __future__ import annotations

from motcua.queueing import broker


def test_an_ending_listener_does_not_clear_the_next_listeners_session(monkeypatch):
    """broker._Listener.run() ends with an unconditional _set_live(False): when a listener that
    decided to stop (its _should_stop() set broker._listener = None) finishes after hold() has
    started the next listener and that one went live, `_live` drops to 0 although the new
    listener listens. The board lane then answers every request via `_read` (one SQL read,
    maybe a build) until the new listener itself reconnects or stops."""
    monkeypatch.setattr(broker, "_live", 0)
    monkeypatch.setattr(broker, "_sessions", 0)
    old = broker._Listener("local")
    checks = iter([False, True])
    monkeypatch.setattr(old, "_should_stop", lambda: next(checks))

    def run_local() -> None:
        old._session = broker._set_live(True)  # the old listener is live
        broker._set_live(True)  # meanwhile hold() started a new listener, now live
        # the old loop's _should_stop() is now True: it returns

    monkeypatch.setattr(old, "_run_local", run_local)
    old.run()  # in this thread
    assert broker.listening() != 0, "the live listener's session was cleared by the old one"
