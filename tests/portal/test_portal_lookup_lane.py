"""Issue 10: the public dossier lookup answered by the API lane (web.apilane) is Django's answer,
byte for byte: status, headers (but Date) and body, for a found dossier (by ID number, by phone,
by online reference, gzip), a wrong verifier, an unknown code, bad input, the per-client rate
limit and a locked code; and the lane counts the same limits (one count per request)."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest
from django.core.asgi import get_asgi_application

from async_helpers import run_async
from motcua.web.apilane import ApiLane
from motcua.web.bodylimit import BodyLimitASGI

pytestmark = pytest.mark.django_db(transaction=True)

LOOKUP = "/api/v1/public/dossiers/"


def _apps() -> tuple[ApiLane, Any, Any]:
    """The lane as asgi.py stacks it, and the reference: the same stack without it."""
    django = get_asgi_application()
    lane = ApiLane(django)
    return lane, BodyLimitASGI(lane), BodyLimitASGI(django)


def _call(
    app: Any, path: str, query: str = "", *, client: str = "127.0.0.1", packed: bool = False
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(b"host", b"testserver"), (b"user-agent", b"test")]
    if packed:
        headers.append((b"accept-encoding", b"gzip, deflate"))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode("utf-8", "surrogatepass"),
        "root_path": "", "query_string": query.encode(), "headers": headers,
        "client": (client, 40000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent: list[dict] = []
    received: list[int] = []

    async def receive() -> dict:
        if not received:
            received.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # Django stops listening for a disconnect once it answered
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    run_async(app, scope, receive, send)
    start = sent[0]
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _same(lane: ApiLane, mine: Any, ref: Any, *args: Any, lane_answers: bool = True, **kw: Any):
    """The request through the lane and through Django: the same status, headers, body bytes
    (gzip: the same body once unpacked; the packed length differs by design, BREACH padding)."""
    before = lane.stats["lane"]
    a = _call(mine, *args, **kw)
    b = _call(ref, *args, **kw)
    assert a[0] == b[0], (a, b)
    skip = {b"date", b"content-length"} if kw.get("packed") else {b"date"}
    assert [h for h in a[1] if h[0].lower() not in skip] == [
        h for h in b[1] if h[0].lower() not in skip
    ]
    if kw.get("packed") and (b"Content-Encoding", b"gzip") in a[1]:
        assert gzip.decompress(a[2]) == gzip.decompress(b[2])
        a = (a[0], a[1], gzip.decompress(a[2]))
    else:
        assert a[2] == b[2]
    assert lane.stats["lane"] == before + (1 if lane_answers else 0)
    return a


def _wrong(*dossiers: Any) -> str:
    """Four digits that verify none of these dossiers."""
    return next(
        w
        for w in ("1357", "2468", "9753")
        if all(not d.citizen_id_number.endswith(w) and d.citizen_phone_last4 != w for d in dossiers)
    )


def _learn(mine: Any) -> None:
    """The route's first answer in a process comes from Django (the lane learns its headers)."""
    _call(mine, LOOKUP + "NO-SUCH", "verify=1234", client="10.9.9.9")


def test_answers_through_the_lane_are_django_s(make_dossier, settings):
    settings.RATELIMIT_ENABLE = False
    dossier = make_dossier(status=2, paused_at=None)
    online = make_dossier(status=5, reference="TT-260115-ABC123", channel="online")
    from motcua.core import clock
    from motcua.dossiers.models import DossierEvent

    DossierEvent.objects.create(
        dossier=dossier, at=clock.now(), action="receive", from_status=0, to_status=2
    )
    lane, mine, ref = _apps()
    _learn(mine)
    assert lane.stats["learn"] == 1
    id4, phone4 = dossier.citizen_id_number[-4:], dossier.citizen_phone_last4
    wrong = _wrong(dossier)
    status, _h, body = _same(lane, mine, ref, LOOKUP + dossier.code, f"verify={id4}")
    assert status == 200 and b'"code": "' + dossier.code.encode() + b'"' in body
    assert _same(lane, mine, ref, LOOKUP + dossier.code, f"verify={phone4}")[0] == 200
    assert _same(lane, mine, ref, LOOKUP + dossier.code, f"verify={id4}", packed=True)[0] == 200
    status, _h, body = _same(
        lane, mine, ref, LOOKUP + online.reference, f"verify={online.citizen_id_number[-4:]}"
    )
    assert status == 200 and b'"official_code": null' not in body  # accepted: its own code
    for path, query in [
        (LOOKUP + dossier.code, f"verify={wrong}"),  # wrong verifier
        (LOOKUP + "000.00.20.H26-260115-9999", f"verify={id4}"),  # unknown code
        (LOOKUP + dossier.code, ""),  # no verifier
        (LOOKUP + dossier.code, "verify="),
        (LOOKUP + dossier.code, "verify=12ab"),
        (LOOKUP + dossier.code, "verify=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94"),  # fullwidth
        (LOOKUP + dossier.code, f"verify={id4}&verify={wrong}"),  # repeated: ninja's rule
        (LOOKUP + "%20" + dossier.code, f"verify={id4}"),  # spaces around the code
    ]:
        status, _h, body = _same(lane, mine, ref, path, query)
        assert status in (200, 404), (path, query, status, body)
    status, _h, body = _same(lane, mine, ref, LOOKUP + dossier.code, f"verify={wrong}")
    assert status == 404 and b'"code": "dossier_not_found"' in body


def test_lane_steps_aside_for_what_it_does_not_mirror(make_dossier, settings):
    settings.RATELIMIT_ENABLE = False
    dossier = make_dossier(status=2, paused_at=None)
    lane, mine, ref = _apps()
    _learn(mine)
    id4 = dossier.citizen_id_number[-4:]
    # A campaign's link (cd=...) sets a cookie in Django; a NUL is ApiRequestMiddleware's 422.
    _same(lane, mine, ref, LOOKUP + dossier.code, f"verify={id4}&cd=X.sms", lane_answers=False)
    status, _h, body = _same(
        lane, mine, ref, LOOKUP + dossier.code, "verify=12%00", lane_answers=False
    )
    assert status == 422


def test_rate_limit_and_code_lock_through_the_lane(make_dossier, settings):
    """Each request counts once in the client's window whichever way it is answered (the lane
    and Django share the window: alternate clients keep the comparisons in step); a code is
    locked after five wrong verifiers whoever sends them."""
    settings.RATELIMIT_ENABLE = True
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_LOOKUP_PER_MINUTE": 3}
    first = make_dossier(status=2, paused_at=None)
    second = make_dossier(status=2, paused_at=None)
    lane, mine, ref = _apps()
    _learn(mine)
    wrong = _wrong(first, second)
    for n in range(4):
        a = _call(
            mine, LOOKUP + first.code, f"verify={first.citizen_id_number[-4:]}", client="10.0.0.1"
        )
        b = _call(
            ref, LOOKUP + first.code, f"verify={first.citizen_id_number[-4:]}", client="10.0.0.2"
        )
        assert a[0] == b[0] == (200 if n < 3 else 429)
        assert a[2] == b[2]
        assert [h for h in a[1] if h[0].lower() != b"date"] == [
            h for h in b[1] if h[0].lower() != b"date"
        ]
    assert b'"code": "rate_limited"' in a[2]  # the 4th: each request counted once, not twice
    assert lane.stats["lane"] == 4
    # The code lock: five wrong verifiers (from many addresses), then even the right one waits.
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_LOOKUP_PER_MINUTE": 100}
    for i in range(5):
        a = _call(mine, LOOKUP + first.code, f"verify={wrong}", client=f"10.1.0.{i}")
        b = _call(ref, LOOKUP + second.code, f"verify={wrong}", client=f"10.2.0.{i}")
        assert a[0] == b[0] == 404 and a[2] == b[2]
    a = _call(
        mine, LOOKUP + first.code, f"verify={first.citizen_id_number[-4:]}", client="10.1.1.1"
    )
    b = _call(
        ref, LOOKUP + second.code, f"verify={second.citizen_id_number[-4:]}", client="10.2.1.1"
    )
    assert a[0] == b[0] == 429 and a[2] == b[2] and b'"code": "code_locked"' in a[2]
    assert [h for h in a[1] if h[0].lower() != b"date"] == [
        h for h in b[1] if h[0].lower() != b"date"
    ]


def test_the_lane_logs_refusals_as_django_does(make_dossier, settings):
    """A wrong verifier (404) and a rate-limited lookup (429) leave the same `django.request`
    warning through the lane as through Django (a server log of probing); a found one none."""
    import logging

    settings.RATELIMIT_ENABLE = True
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_LOOKUP_PER_MINUTE": 2}
    dossier = make_dossier(status=2, paused_at=None)
    lane, mine, ref = _apps()
    _learn(mine)
    wrong = _wrong(dossier)
    got: list[tuple[str, str]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            got.append((record.levelname, record.getMessage()))

    logger = logging.getLogger("django.request")
    keep = Keep()
    logger.addHandler(keep)
    try:
        seen = []
        for app, client in ((mine, "10.3.0.1"), (ref, "10.3.0.2")):
            got.clear()
            _call(
                app,
                LOOKUP + dossier.code,
                f"verify={dossier.citizen_id_number[-4:]}",
                client=client,
            )
            _call(app, LOOKUP + dossier.code, f"verify={wrong}", client=client)
            _call(app, LOOKUP + dossier.code, f"verify={wrong}", client=client)
            seen.append(list(got))
    finally:
        logger.removeHandler(keep)
    path = LOOKUP + dossier.code
    assert (
        seen[0]
        == seen[1]
        == [
            ("WARNING", f"Not Found: {path}"),
            ("WARNING", f"Too Many Requests: {path}"),
        ]
    )
    assert lane.stats["lane"] == 3
