"""Issue 10: the API lane (web.apilane) answers the queue's write API as Django does: the same
status, body (but for the ticket's number and token, different by design) and headers (but for
Date and Content-Length), through the lane and through Django (the lane off), for success, each
error, an idempotent retry, auth failures, 204, rate limits and bad input; and it steps aside
where it could not be sure."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import pytest
from django.core.asgi import get_asgi_application
from queueing_helpers import QR_A, QR_B, unrandom_headers

from async_helpers import run_async
from factories import OfficeFactory, StaffRoleFactory
from motcua.core.services import api_token_issue
from motcua.org.models import Role
from motcua.queueing.models import Status, Ticket
from motcua.web.apilane import ApiLane
from motcua.web.bodylimit import BodyLimitASGI

pytestmark = pytest.mark.django_db(transaction=True)

CHECK_IN = "/api/v1/kiosk/check-in"
QR_C = QR_A.replace("001085012345", "001085012399")
QR_D = QR_A.replace("001085012345", "001085012388")


def _apps() -> tuple[ApiLane, Any, Any]:
    """The lane as asgi.py stacks it, and the reference: the same stack without it."""
    django = get_asgi_application()
    lane = ApiLane(django)
    return lane, BodyLimitASGI(lane), BodyLimitASGI(django)


def call_asgi(
    app: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    *,
    query: bytes = b"",
    scheme: str = "http",
    client: str = "127.0.0.1",
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [
            *(
                []
                if any(k.lower() == "host" for k, _v in headers or [])
                else [(b"host", b"testserver")]
            ),
            (b"content-length", str(len(body)).encode()),
            *[(k.lower().encode(), v.encode()) for k, v in headers or []],
        ],
        "client": (client, 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []
    received: list[int] = []

    async def receive() -> dict:
        if not received:
            received.append(1)
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # Django stops listening for a disconnect once it answered
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    run_async(app, scope, receive, send)
    start = sent[0]
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """But Date and Content-Length, and the CSRF cookie's random parts (`unrandom_headers`)."""
    return unrandom_headers(
        [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"date")]
    )


_BY_DESIGN = ("ticket", "token", "url", "people_ahead", "estimated_wait_s")


def _body(raw: bytes, headers: list[tuple[bytes, bytes]]) -> Any:
    if (b"Content-Encoding", b"gzip") in headers:
        raw = gzip.decompress(raw)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return raw  # an HTML page of Django's (a host it refuses)
    if isinstance(data, dict):
        for key in _BY_DESIGN:
            if key in data:
                data[key] = "?"
    return data


def alike(mine: tuple, theirs: tuple) -> tuple[int, list[tuple[bytes, bytes]], Any]:
    """Two answers are the same: status, headers (but Date, Content-Length), body (but the
    ticket's number and token)."""
    assert mine[0] == theirs[0], (mine, theirs)
    assert _headers(mine[1]) == _headers(theirs[1])
    assert _body(mine[2], mine[1]) == _body(theirs[2], theirs[1])
    return mine[0], mine[1], _body(mine[2], mine[1])


class Pair:
    """The lane's stack and Django's; `same` sends a request (or two that differ by design)
    through each and checks the answers are alike, and that the lane answered (or not)."""

    def __init__(self) -> None:
        self.lane, self.mine, self.ref = _apps()

    def same(
        self, mine_req: tuple, ref_req: tuple | None = None, *, by: str = "lane", **kw: Any
    ) -> tuple[int, list[tuple[bytes, bytes]], Any]:
        before = dict(self.lane.stats)
        mine = call_asgi(self.mine, *mine_req, **kw)
        theirs = call_asgi(self.ref, *(ref_req or mine_req), **kw)
        answered = {k: v - before.get(k, 0) for k, v in self.lane.stats.items()}
        assert answered[by] == 1, (by, answered)
        return alike(mine, theirs)

    def learn(self, *req: Any, **kw: Any) -> None:
        before = self.lane.stats["learn"]
        _status, headers, _body = call_asgi(self.mine, *req, **kw)
        assert self.lane.stats["learn"] == before + 1
        assert not [k for k, _v in headers if k.lower() == b"x-motcua-api-lane"]  # stripped


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


JSON = [("Content-Type", "application/json")]


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


JSON = [("Content-Type", "application/json")]


@pytest.fixture
def fixed_gzip(monkeypatch):
    """gzip pads with random bytes against BREACH: the same bytes in both answers."""
    from django.utils import text

    monkeypatch.setattr(text, "_get_random_filename", lambda n: b"x" * 7)


@pytest.fixture
def limits(settings):
    def set_limits(**values: int) -> None:
        settings.MOTCUA = {**settings.MOTCUA, **values}

    set_limits(KIOSK_CHECK_IN_PER_MINUTE=100_000, KIOSK_IDENTIFY_PER_MINUTE=100_000)
    return set_limits


def _multipart(fields: dict[str, str], boundary: str = "lane-boundary") -> tuple[bytes, str]:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return (
        "".join(parts) + f"--{boundary}--\r\n"
    ).encode(), f"multipart/form-data; boundary={boundary}"


def test_check_in_answers_are_django_s(at, office, counters, svc_a, svc_b, limits, fixed_gzip):
    pair = Pair()
    pair.learn("POST", CHECK_IN, b"{", JSON)  # the route's first answer: Django's, learnt
    body = {"office": office.code, "service": "A"}
    # Refusals, each with its code.
    for raw in (b"{", b"[]", b"\xff", _json({}), _json({**body, "office": "nowhere"})):
        pair.same(("POST", CHECK_IN, raw, JSON))
    for wrong in ({"service": "Z"}, {"phone": "9" * 30}, {"qr": "abc"}, {"consent": "x"}, {}):
        pair.same(("POST", CHECK_IN, _json({**body, **wrong}), JSON))
    pair.same(("POST", CHECK_IN, _json({**body, "office": 2**40, "qr": QR_A}), JSON))
    # A ticket, then the same citizen again: the ticket reused.
    for expected in (201, 200):
        status, _headers, data = pair.same(
            ("POST", CHECK_IN, _json({**body, "qr": QR_A}), JSON),
            ("POST", CHECK_IN, _json({**body, "qr": QR_B}), JSON),
        )
        assert status == expected and data["reused"] is (expected == 200)
    # gzip when accepted (and the body long enough), as CompressionMiddleware gives it.
    gz = [*JSON, ("Accept-Encoding", "gzip, deflate")]
    pair.same(
        ("POST", CHECK_IN, _json({**body, "service": "B", "qr": QR_A}), gz),
        ("POST", CHECK_IN, _json({**body, "service": "B", "qr": QR_B}), gz),
    )
    # A form and a multipart body (the kiosk's, here without an image), X-Kiosk-Device.
    form = [("Content-Type", "application/x-www-form-urlencoded"), ("X-Kiosk-Device", "k-1")]
    pair.same(
        ("POST", CHECK_IN, f"office={office.pk}&service=A&qr=abc".encode(), form),
    )
    raw, ctype = _multipart({"office": office.code, "service": "A", "qr": "abc"})
    pair.same(("POST", CHECK_IN, raw, [("Content-Type", ctype)]))
    broken = [("Content-Type", "multipart/form-data")]  # no boundary: 400 bad_request
    pair.same(("POST", CHECK_IN, b"--x\r\n", broken))
    assert Ticket.objects.count() == 4


def test_a_face_check_in_by_multipart_is_django_s(at, office, svc_a, limits, fake_engine):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
    from queueing_helpers import face_jpeg

    pair = Pair()
    pair.learn("POST", CHECK_IN, b"{", JSON)
    ctype = [("Content-Type", MULTIPART_CONTENT)]

    def form(colour: tuple[int, int, int], **fields: str) -> bytes:
        image = SimpleUploadedFile("f.jpg", face_jpeg(colour), "image/jpeg")
        data = {"office": office.code, "service": "A", "image": image, **fields}
        return encode_multipart(BOUNDARY, data)

    status, _h, data = pair.same(("POST", CHECK_IN, form((40, 60, 200)), ctype))
    assert status == 404 and data["code"] == "face_unknown"
    status, _h, data = pair.same(
        ("POST", CHECK_IN, form((40, 60, 200), qr=QR_A, consent="remember"), ctype),
        ("POST", CHECK_IN, form((200, 60, 40), qr=QR_B, consent="remember"), ctype),
    )
    assert status == 201 and Ticket.objects.count() == 2


def test_an_idempotent_retry_answers_the_first_answer(at, office, counters, svc_a, limits):
    pair = Pair()
    pair.learn("POST", CHECK_IN, b"{", JSON)
    body = {"office": office.code, "service": "A"}
    first = pair.same(
        ("POST", CHECK_IN, _json({**body, "qr": QR_C}), [*JSON, ("Idempotency-Key", "k-lane")]),
        ("POST", CHECK_IN, _json({**body, "qr": QR_D}), [*JSON, ("Idempotency-Key", "k-ref")]),
    )
    again = pair.same(
        ("POST", CHECK_IN, _json({**body, "qr": QR_C}), [*JSON, ("Idempotency-Key", "k-lane")]),
        ("POST", CHECK_IN, _json({**body, "qr": QR_D}), [*JSON, ("Idempotency-Key", "k-ref")]),
    )
    assert first[0] == 201 and again[0] == 201
    assert (b"Idempotent-Replayed", b"true") in again[1]
    assert Ticket.objects.count() == 2
    keyed = [*JSON, ("Idempotency-Key", "k-lane")]
    one = call_asgi(pair.mine, "POST", CHECK_IN, _json({**body, "qr": QR_C}), keyed)
    two = call_asgi(pair.mine, "POST", CHECK_IN, _json({**body, "qr": QR_C}), keyed)
    assert one[2] == two[2] and json.loads(one[2])["reused"] is False
    # The same key with another body; a malformed key.
    pair.same(
        ("POST", CHECK_IN, _json({**body, "qr": QR_D}), [*JSON, ("Idempotency-Key", "k-lane")]),
        ("POST", CHECK_IN, _json({**body, "qr": QR_C}), [*JSON, ("Idempotency-Key", "k-ref")]),
    )
    pair.same(
        ("POST", CHECK_IN, _json({**body, "qr": QR_A}), [*JSON, ("Idempotency-Key", "x" * 300)])
    )
    assert Ticket.objects.count() == 2


def test_rate_limits_answer_429_as_django(at, office, counters, svc_a, limits):
    pair = Pair()
    pair.learn("POST", CHECK_IN, b"{", JSON)
    limits(KIOSK_CHECK_IN_PER_MINUTE=0)
    status, _h, data = pair.same(
        ("POST", CHECK_IN, _json({"office": office.code, "service": "A", "qr": QR_A}), JSON)
    )
    assert status == 429 and data["code"] == "rate_limited"
    limits(KIOSK_CHECK_IN_PER_MINUTE=1000, KIOSK_IDENTIFY_PER_MINUTE=0)
    status, _h, data = pair.same(
        ("POST", CHECK_IN, _json({"office": office.code, "service": "A", "qr": QR_A}), JSON)
    )
    assert status == 429 and Ticket.objects.count() == 0


@pytest.fixture
def token(officer):
    return api_token_issue(user=officer)


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def test_call_next_and_counter_actions_are_django_s(
    at, office, counters, svc_a, officer, token, limits
):
    from motcua.queueing.models import Method
    from motcua.queueing.services import ticket_issue

    pair = Pair()
    c1 = counters[0]
    call = f"/api/v1/counters/{c1.pk}/call-next"
    finish = f"/api/v1/counters/{c1.pk}/tickets/current/finish"
    pair.learn("POST", call)  # 401, from Django
    pair.learn("POST", finish)
    # Auth: none, a wrong token, a token of an official of another office (403).
    pair.same(("POST", call))
    pair.same(("POST", call, b"", _bearer("nope")))
    stranger = StaffRoleFactory(unit=OfficeFactory().unit, role=Role.RECEPTION).user
    pair.same(("POST", call, b"", _bearer(api_token_issue(user=stranger))))
    pair.same(("POST", finish, b"", _bearer(api_token_issue(user=stranger))))
    auth = _bearer(token)
    # Unknown counter, a counter id that is not a number, nobody waiting (204), no ticket (409).
    pair.same(("POST", "/api/v1/counters/999999/call-next", b"", auth))
    pair.same(("POST", "/api/v1/counters/abc/call-next", b"", auth))
    pair.same(("POST", f"/api/v1/counters/{2**70}/call-next", b"", auth))
    status, headers, _data = pair.same(("POST", call, b"", auth))
    assert status == 204
    pair.same(("POST", finish, b"", auth))
    pair.same(("POST", f"/api/v1/counters/{c1.pk}/tickets/current/fly", b"", auth))
    pair.same(("POST", "/api/v1/counters/999999/tickets/current/finish", b"", auth))
    pair.same(("POST", finish, b"{", [*auth, *JSON]))
    for _ in range(4):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    # Call, finish: through the lane, then through Django, on the same counter.
    mine = call_asgi(pair.mine, "POST", call, b"", auth)
    mine_done = call_asgi(pair.mine, "POST", finish, b"{}", [*auth, *JSON])
    theirs = call_asgi(pair.ref, "POST", call, b"", auth)
    theirs_done = call_asgi(pair.ref, "POST", finish, b"{}", [*auth, *JSON])
    assert alike(mine, theirs)[0] == 200 and alike(mine_done, theirs_done)[0] == 200
    # An idempotent call-next: the retry answers the same ticket, nothing more is called.
    keyed = [*auth, ("Idempotency-Key", "call-1")]
    first = call_asgi(pair.mine, "POST", call, b"", keyed)
    again = call_asgi(pair.mine, "POST", call, b"", keyed)
    assert first[0] == again[0] == 200 and json.loads(first[2]) == json.loads(again[2])
    assert (b"Idempotent-Replayed", b"true") in again[1]
    assert Ticket.objects.filter(status=Status.CALLED).count() == 1
    # The other actions on the current ticket: a recall through each alike, then start, park,
    # resume (the parked ticket back in line), a transfer refused without a target.
    recall = f"/api/v1/counters/{c1.pk}/tickets/current/recall"
    assert pair.same(("POST", recall, b"", auth))[0] == 200
    for action in ("start", "park", "resume"):
        url = f"/api/v1/counters/{c1.pk}/tickets/current/{action}"
        assert call_asgi(pair.mine, "POST", url, b"", auth)[0] == 200
    transfer = f"/api/v1/counters/{c1.pk}/tickets/current/transfer"
    pair.same(("POST", transfer, b"{}", [*auth, *JSON]))
    assert pair.lane.stats["django"] == 0


def test_the_lane_steps_aside_where_it_could_differ(
    at, office, counters, svc_a, limits, monkeypatch
):
    pair = Pair()
    pair.learn("POST", CHECK_IN, b"{", JSON)
    body = _json({"office": office.code, "service": "A", "qr": "abc"})
    pair.same(("POST", CHECK_IN, body, [*JSON, ("Cookie", "sessionid=abc")]), by="django")
    pair.same(("POST", CHECK_IN, body, [*JSON, ("Cookie", "csrftoken=short")]), by="django")
    pair.same(("POST", CHECK_IN, body, JSON), query=b"x=1", by="django")
    pair.same(("POST", CHECK_IN, body, [*JSON, ("Host", "evil.example")]), by="django")
    pair.same(("POST", "/api/v1/counters/1\x00/call-next", b"", []), by="django")
    # A well-formed CSRF cookie and a campaign's cookie change nothing: the lane answers.
    pair.same(("POST", CHECK_IN, body, [*JSON, ("Cookie", "csrftoken=" + "a" * 32)]))
    # https is learnt apart (HSTS); through a trusted proxy only.
    pair.learn("POST", CHECK_IN, body, JSON, scheme="https")
    pair.same(("POST", CHECK_IN, body, JSON), scheme="https")
    # Switched off.
    monkeypatch.setenv("MOTCUA_API_LANE", "0")
    off = Pair()
    status = call_asgi(off.mine, "POST", CHECK_IN, body, JSON)[0]
    assert status == 422 and off.lane.stats == {"lane": 0, "django": 0, "learn": 0}
