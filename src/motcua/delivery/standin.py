"""A local stand-in of the public postal operator (tests, the demo, `make run`).

It speaks the HTTP shape of delivery/postal.py: signed order creation that issues a waybill
number (UPU S10 form, e.g. EB12345678 5VN without the space) and the postage, tracking by
waybill, and signed tracking events posted back to the office's webhook. A parcel is moved
along by `emit()` (tests) or by ``POST /standin/orders/{waybill}/events {"status": ...}``
(the demo, a person playing the postman). Orders live in memory. Standard library only.
"""

from __future__ import annotations

import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

from motcua.core.standin import StandinHandler, StandinServer, post_status
from motcua.core.text import ascii_digits
from motcua.delivery.postal import TRACKING_STATUSES, s10_check_digit, sign, signed_headers

VN = timezone(timedelta(hours=7))


def postage_for(weight_grams: int) -> int:
    """The stand-in's tariff: 22.000 đ up to 500 g, 5.000 đ per further 500 g (illustrative)."""
    extra = max(0, (int(weight_grams) - 1) // 500)
    return 22000 + 5000 * extra


class StandinPostal(StandinServer):
    """The operator's state: customers' secrets, orders, and the events it sent."""

    def __init__(self, *, secrets_by_customer: dict[str, str], window: int = 600) -> None:
        self.secrets = dict(secrets_by_customer)
        self.window = window
        self.orders: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []  # every webhook sent, with the office's answer
        self.lock = threading.Lock()
        self.serials = itertools.count(10000001 + secrets.randbelow(80000000))
        # Faults to play in tests and the demo: the next N order calls answered 503 without an
        # order; and an operator that records the order, then answers after `slow_seconds`.
        self.fail_orders = 0
        self.slow_seconds = 0.0
        self.order_calls = 0
        # Parcels moving by themselves (the demo): each result parcel goes one step further
        # (accepted, in transit, delivered) every `progress_seconds`; 0 = moved by hand only.
        self.progress_seconds = 0.0
        self._stopping = threading.Event()
        self.handler = _Handler

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    def _waybill(self, direction: str) -> str:
        serial = f"{next(self.serials) % 100000000:08d}"
        prefix = "EB" if direction == "out" else "RB"
        return f"{prefix}{serial}{s10_check_digit(serial)}VN"

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            # One order per reference: a retried request gets the same waybill, not a second parcel.
            for existing in self.orders.values():
                if (existing["customer_code"], existing["order_ref"]) == (
                    data["customer_code"],
                    str(data["order_ref"]),
                ):
                    return existing
            waybill = self._waybill(str(data.get("direction", "out")))
            order = {
                "order_id": "VP" + secrets.token_hex(6).upper(),
                "waybill": waybill,
                "customer_code": data["customer_code"],
                "order_ref": str(data["order_ref"]),
                "direction": str(data.get("direction", "out")),
                "receiver": data.get("receiver") or {},
                "sender": data.get("sender") or {},
                "weight_grams": int(data.get("weight_grams") or 0),
                "postage": postage_for(int(data.get("weight_grams") or 0)),
                "callback_url": str(data.get("callback_url") or ""),
                "status": "created",
                "events": [],
                # When the parcel moves on by itself (monotonic seconds), and a tracking event the
                # office did not acknowledge yet (sent again until it answers 2xx).
                "next_at": (time.monotonic() + self.progress_seconds)
                if self.progress_seconds and str(data.get("direction", "out")) == "out"
                else None,
                "unsent": None,
            }
            self.orders[waybill] = order
        return order

    def event_body(
        self,
        waybill: str,
        status: str,
        *,
        location: str = "",
        note: str = "",
        at: datetime | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        """Record a tracking event on the order and return (order, the webhook's body)."""
        if status not in TRACKING_STATUSES:
            raise ValueError(status)
        with self.lock:
            order = self.orders[waybill]
            event = {
                "event_id": "EV" + secrets.token_hex(8).upper(),
                "status": status,
                "occurred_at": (at or datetime.now(VN)).isoformat(),
                "location": location,
                "note": note,
            }
            order["status"] = status
            order["events"].append(event)
        body = json.dumps(
            {
                "customer_code": order["customer_code"],
                "waybill": waybill,
                "order_ref": order["order_ref"],
                **event,
            }
        ).encode()
        return order, body

    def emit(
        self,
        waybill: str,
        status: str,
        *,
        location: str = "",
        note: str = "",
        at: datetime | None = None,
    ) -> int:
        """Post a signed tracking event to the office's webhook; returns its HTTP status."""
        order, body = self.event_body(waybill, status, location=location, note=note, at=at)
        return self.post(order, body)

    def post(self, order: dict[str, Any], body: bytes, *, timestamp: int | None = None) -> int:
        url = order["callback_url"]
        if not url.startswith(("http://", "https://")):
            return 0
        headers = signed_headers(
            secret=self.secrets[order["customer_code"]],
            customer=order["customer_code"],
            body=body,
            at=timestamp,
        )
        status = post_status(url, body, headers)
        with self.lock:
            self.sent.append({"body": body, "headers": headers, "status": status})
        return status


# The journey of a result parcel when it moves by itself; a receiver address holding
# RETURN_MARKER is not found by the postman (the parcel comes back), to show a failed delivery.
JOURNEY = {"created": "accepted", "accepted": "in_transit", "in_transit": "delivered"}
RETURN_MARKER = "(phát không thành công)"
LOCATIONS = {"accepted": "Bưu cục giao dịch", "in_transit": "Trung tâm khai thác", "delivered": ""}


def _next_status(order: dict[str, Any]) -> str | None:
    status = JOURNEY.get(order["status"])
    receiver = order.get("receiver") or {}
    if status == "delivered" and RETURN_MARKER in str(receiver.get("address", "")):
        return "returned"
    return status


def progress_due(postal: StandinPostal, now: float | None = None) -> list[tuple[str, str, int]]:
    """Move every parcel whose step is due one step on, posting the signed event to the office;
    an event the office did not acknowledge is sent again (same event id) before any new step.
    Returns (waybill, status, the office's HTTP answer) for each event sent."""
    now = time.monotonic() if now is None else now
    sent: list[tuple[str, str, int]] = []
    with postal.lock:
        due = [
            (w, o)
            for w, o in postal.orders.items()
            if o.get("next_at") is not None and o["next_at"] <= now
        ]
    for waybill, order in due:
        if order.get("unsent") is not None:
            status, body = order["unsent"]
        else:
            status = _next_status(order)
            if status is None:
                order["next_at"] = None
                continue
            _order, body = postal.event_body(waybill, status, location=LOCATIONS.get(status, ""))
        answer = postal.post(order, body)
        sent.append((waybill, status, answer))
        with postal.lock:
            if 200 <= answer < 300:
                order["unsent"] = None
                more = status in JOURNEY
                order["next_at"] = now + postal.progress_seconds if more else None
            else:  # the office is down or refused: the same event again at the next step
                order["unsent"] = (status, body)
                order["next_at"] = now + postal.progress_seconds
    return sent


def start_progress(postal: StandinPostal, seconds: float) -> threading.Thread:
    """Parcels move by themselves every `seconds` (a daemon thread; `stop()` ends it)."""
    postal.progress_seconds = float(seconds)

    def loop() -> None:
        while not postal._stopping.wait(max(0.2, postal.progress_seconds / 5)):
            progress_due(postal)

    thread = threading.Thread(target=loop, daemon=True, name="postal-standin-progress")
    thread.start()
    return thread


class _Handler(StandinHandler):
    state: StandinPostal
    server_version = "motcua-postal-standin"

    def _verified(self, body: bytes) -> str | None:
        """The customer code of a correctly signed, fresh request, or None (answered 401)."""
        customer = self.headers.get("X-Customer-Code", "")
        secret = self.state.secrets.get(customer)
        ts = self.headers.get("X-Timestamp", "")
        good = (
            secret is not None
            and ascii_digits(ts)
            and abs(time.time() - int(ts)) <= self.state.window
            and hmac.compare_digest(self.headers.get("X-Signature", ""), sign(secret, ts, body))
        )
        if not good:
            self._json(401, {"error": "bad signature"})
            return None
        return customer

    def do_POST(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        body = self._body()
        if path == "/api/v1/orders":
            customer = self._verified(body)
            if customer is None:
                return None
            try:
                data = json.loads(body)
                if data.get("customer_code") != customer:
                    raise ValueError("customer")
                with self.state.lock:
                    self.state.order_calls += 1
                    failing = self.state.fail_orders > 0
                    self.state.fail_orders -= int(failing)
                if failing:
                    return self._json(503, {"error": "service unavailable"})
                order = self.state.create(data)
                if self.state.slow_seconds:
                    time.sleep(self.state.slow_seconds)  # the order exists; the answer is late
            except (ValueError, KeyError, TypeError):
                return self._json(400, {"error": "bad body"})
            return self._json(
                201,
                {k: order[k] for k in ("order_id", "waybill", "postage", "status")},
            )
        if path.startswith("/standin/orders/") and path.endswith("/events"):
            waybill = path.removeprefix("/standin/orders/").removesuffix("/events")
            if waybill not in self.state.orders:
                return self._json(404, {"error": "not found"})
            try:
                data = json.loads(body or b"{}")
                answer = self.state.emit(
                    waybill, str(data["status"]), location=str(data.get("location", ""))
                )
            except (ValueError, KeyError):
                return self._json(400, {"error": "bad status"})
            return self._json(200, {"waybill": waybill, "webhook_status": answer})
        self._json(404, {"error": "not found"})

    def do_GET(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/api/v1/orders/"):
            if self._verified(b"") is None:
                return None
            order = self.state.orders.get(path.removeprefix("/api/v1/orders/"))
            if order is None:
                return self._json(404, {"error": "not found"})
            keys = ("order_id", "waybill", "order_ref", "status", "postage", "events")
            return self._json(200, {k: order[k] for k in keys})
        self._json(404, {"error": "not found"})
