"""The public postal operator behind one small interface, one class per provider.

The shape is that of a Vietnamese public postal operator's order and tracking API (the
VNPost kind that carries the one-stop offices' parcels under Decision 45/2016/QĐ-TTg): the
office creates an order (its reference, sender, receiver, weight) and gets the operator's
waybill number and the postage; the operator posts tracking events to the office's webhook.
The real operator's field names and signing rules are given to agencies under contract and
were not available on this machine: `PublicPostProvider` speaks the plain form below, which
the stand-in server (`motcua postal-standin`, delivery/standin.py) speaks too.

- create order: ``POST {base}/api/v1/orders`` JSON ``{customer_code, order_ref, direction,
  service, sender{name,phone,address}, receiver{name,phone,address}, weight_grams,
  content, callback_url}``; answer 201 ``{order_id, waybill, postage, status}``;
- track: ``GET {base}/api/v1/orders/{waybill}`` → ``{waybill, order_ref, status, events}``;
- tracking webhook: ``POST {callback_url}`` JSON ``{customer_code, event_id, waybill,
  order_ref, status, occurred_at, location, note}``;
- every call in both directions carries ``X-Customer-Code``, ``X-Timestamp`` (Unix seconds) and
  ``X-Signature: hex(HMAC-SHA256(secret, timestamp + "." + raw body))``: the timestamp is
  signed, so an old message cannot be resent with a fresh time.

Settings (environment, or settings.MOTCUA in tests): ``POSTAL_PROVIDER`` (dotted class path),
``POSTAL_URL`` (default the stand-in on http://127.0.0.1:8766), ``POSTAL_CUSTOMER_CODE``,
``POSTAL_SECRET``, ``POSTAL_WEBHOOK_WINDOW`` (seconds), ``POSTAL_TIMEOUT`` (seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS = {
    "POSTAL_PROVIDER": "motcua.delivery.postal.PublicPostProvider",
    "POSTAL_URL": "http://127.0.0.1:8766",
    "POSTAL_CUSTOMER_CODE": "MOTCUA-DEMO",
    # Only for the stand-in and the demo: a real office sets its own secret.
    "POSTAL_SECRET": "postal-standin-secret-not-for-production",
    # A webhook whose signed time is further than this (seconds) from ours is refused.
    "POSTAL_WEBHOOK_WINDOW": "600",
    # Seconds to wait for the operator's answer; a slow answer is retried by the outbox worker.
    "POSTAL_TIMEOUT": "15",
}

# Tracking statuses the operator reports, in the order a parcel lives them.
ACCEPTED = "accepted"  # the postman took the parcel (handed to the postal operator)
IN_TRANSIT = "in_transit"
DELIVERED = "delivered"
RETURNED = "returned"  # delivery failed; the parcel comes back to the sender
TRACKING_STATUSES = (ACCEPTED, IN_TRANSIT, DELIVERED, RETURNED)


def conf(name: str) -> str:
    """A postal setting: settings.MOTCUA (tests), else the environment, else the default."""
    value = getattr(settings, "MOTCUA", {}).get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over the timestamp and the raw body."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, customer: str, body: bytes, at: int | None = None) -> dict:
    ts = str(int(time.time()) if at is None else at)
    return {
        "Content-Type": "application/json",
        "X-Customer-Code": customer,
        "X-Timestamp": ts,
        "X-Signature": sign(secret, ts, body),
    }


class PostalError(Exception):
    """The operator could not be reached or refused the order."""


class WebhookRejected(Exception):
    """A webhook that must change nothing; `outcome` is what the log records."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(detail or outcome)
        self.outcome = outcome
        self.detail = detail


@dataclass(frozen=True)
class Party:
    name: str
    phone: str
    address: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "phone": self.phone, "address": self.address}


@dataclass(frozen=True)
class OrderIn:
    order_ref: str
    direction: str  # "out": the office sends a result; "in": the citizen sends a dossier
    sender: Party
    receiver: Party
    weight_grams: int = 200
    content: str = ""


@dataclass(frozen=True)
class Order:
    order_id: str
    waybill: str
    postage: int


@dataclass(frozen=True)
class TrackingEvent:
    event_id: str
    waybill: str
    order_ref: str
    status: str
    occurred_at: str
    location: str = ""
    note: str = ""
    timestamp: int = 0


@dataclass
class Tracking:
    waybill: str
    order_ref: str
    status: str
    events: list[dict[str, Any]] = field(default_factory=list)


class PostalProvider:
    """The interface every postal operator implements."""

    name = ""

    def create_order(self, order: OrderIn) -> Order:
        raise NotImplementedError

    def track(self, waybill: str) -> Tracking:
        raise NotImplementedError

    def parse_webhook(self, *, body: bytes, headers: Any) -> TrackingEvent:
        """Verify the webhook's signature and time, and read it; raises WebhookRejected."""
        raise NotImplementedError


class PublicPostProvider(PostalProvider):
    """A public postal operator's order/tracking API (HMAC-SHA256 over timestamp and body)."""

    name = "bccl"

    def __init__(self) -> None:
        self.base_url = conf("POSTAL_URL").rstrip("/")
        self.customer = conf("POSTAL_CUSTOMER_CODE")
        self.secret = conf("POSTAL_SECRET")
        self.window = int(conf("POSTAL_WEBHOOK_WINDOW"))
        self.timeout = float(conf("POSTAL_TIMEOUT"))

    def webhook_url(self) -> str:
        from motcua.core.links import public_url

        return public_url("/api/v1/postal/webhook")

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        if not self.base_url.startswith(("http://", "https://")):
            raise PostalError("địa chỉ dịch vụ bưu chính phải là http:// hoặc https://")
        body = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(  # noqa: S310  (scheme checked above)
            f"{self.base_url}{path}",
            data=body if payload is not None else None,
            method=method,
            headers=signed_headers(secret=self.secret, customer=self.customer, body=body),
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise PostalError(f"bưu chính trả lời {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PostalError(str(exc)) from exc

    def create_order(self, order: OrderIn) -> Order:
        answer = self._call(
            "POST",
            "/api/v1/orders",
            {
                "customer_code": self.customer,
                "order_ref": order.order_ref,
                "direction": order.direction,
                "service": "BCCI",  # public-utility postal service for administrative procedures
                "sender": order.sender.as_dict(),
                "receiver": order.receiver.as_dict(),
                "weight_grams": int(order.weight_grams),
                "content": order.content,
                "callback_url": self.webhook_url(),
            },
        )
        if not answer.get("waybill") or not answer.get("order_id"):
            raise PostalError("câu trả lời thiếu số vận đơn")
        return Order(
            order_id=str(answer["order_id"]),
            waybill=str(answer["waybill"]),
            postage=int(answer.get("postage") or 0),
        )

    def track(self, waybill: str) -> Tracking:
        answer = self._call("GET", f"/api/v1/orders/{waybill}")
        return Tracking(
            waybill=str(answer["waybill"]),
            order_ref=str(answer["order_ref"]),
            status=str(answer["status"]),
            events=list(answer.get("events") or []),
        )

    def parse_webhook(self, *, body: bytes, headers: Any) -> TrackingEvent:
        signature = str(headers.get("X-Signature", "") or "")
        ts = str(headers.get("X-Timestamp", "") or "")
        if not signature or not ts:
            raise WebhookRejected("unsigned", "thiếu chữ ký hoặc thời điểm ký")
        if not hmac.compare_digest(signature, sign(self.secret, ts, body)):
            raise WebhookRejected("forged", "chữ ký không hợp lệ")
        try:
            stamp = int(ts)
        except ValueError as exc:
            raise WebhookRejected("malformed", "thời điểm ký không hợp lệ") from exc
        from motcua.core import clock

        if abs(clock.now().timestamp() - stamp) > self.window:
            raise WebhookRejected("stale", "thông báo quá cũ hoặc sai giờ (có thể bị phát lại)")
        try:
            data = json.loads(body)
            event = TrackingEvent(
                event_id=str(data["event_id"]),
                waybill=str(data["waybill"]),
                order_ref=str(data.get("order_ref", "")),
                status=str(data["status"]),
                occurred_at=str(data["occurred_at"]),
                location=str(data.get("location", "")),
                note=str(data.get("note", "")),
                timestamp=stamp,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed", f"nội dung không đọc được: {exc}") from exc
        if data.get("customer_code") != self.customer:
            raise WebhookRejected("mismatch", "mã khách hàng khác")
        if event.status not in TRACKING_STATUSES:
            raise WebhookRejected("malformed", f"trạng thái «{event.status}» không biết")
        return event


def provider() -> PostalProvider:
    """The configured postal operator (POSTAL_PROVIDER)."""
    cls = import_string(conf("POSTAL_PROVIDER"))
    instance = cls()
    if not isinstance(instance, PostalProvider):
        raise TypeError(f"{cls!r} is not a PostalProvider")
    return instance


def s10_check_digit(serial: str) -> str:
    """The check digit of an 8-digit UPU S10 serial (the form of postal item numbers)."""
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    total = sum(int(d) * w for d, w in zip(serial, weights, strict=True))
    check = 11 - total % 11
    return "5" if check == 10 else "0" if check == 11 else str(check)
