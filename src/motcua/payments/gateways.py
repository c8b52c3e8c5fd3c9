"""Online payment gateways behind one small interface, one class per provider.

The shape is that of the national public-service payment platform class (the payment
platform of the National Public Service Portal and the banks' and intermediaries' gateways
that follow it): the agency creates an order (its reference, the amount, where to send the
citizen back, where to send the result), the citizen is redirected to the gateway's page and
pays there, and the gateway posts a signed result to the agency's callback address. The real
platform's message fields and signing rules are given to agencies when they connect and were
not available on this machine: `PublicServiceGateway` speaks the plain form below, which the
stand-in server (`motcua payments-standin`, payments/standin.py) speaks too.

- create order: ``POST {base}/api/orders`` JSON ``{merchant_code, order_ref, amount,
  currency, description, return_url, callback_url, timestamp}`` with header
  ``X-Signature: hex(HMAC-SHA256(secret, raw body))``; answer 201 ``{order_id, payment_url}``;
  the same ``order_ref`` again gets the same order (200), so a retry never makes a second one;
- callback: ``POST {callback_url}`` JSON ``{merchant_code, order_id, order_ref, amount,
  status: "success"|"failed", transaction_id, timestamp}`` signed the same way.

Settings (environment): ``PAYMENT_GATEWAY`` (a dotted class path, default this module's
``PublicServiceGateway``), ``PAYMENT_GATEWAY_URL`` (default the stand-in on
http://127.0.0.1:8765), ``PAYMENT_GATEWAY_MERCHANT``, ``PAYMENT_GATEWAY_SECRET``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS = {
    "PAYMENT_GATEWAY": "motcua.payments.gateways.PublicServiceGateway",
    "PAYMENT_GATEWAY_URL": "http://127.0.0.1:8765",
    "PAYMENT_GATEWAY_MERCHANT": "MOTCUA-DEMO",
    # Only for the stand-in and the demo: a real office sets its own secret.
    "PAYMENT_GATEWAY_SECRET": "standin-secret-not-for-production",
    # A callback older or newer than this (seconds) is refused as a replay.
    "PAYMENT_CALLBACK_WINDOW": "600",
}


def conf(name: str) -> str:
    """A payment setting: settings.MOTCUA (tests), else the environment, else the default."""
    value = getattr(settings, "MOTCUA", {}).get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GatewayError(Exception):
    """The gateway could not be reached or refused the order."""


class CallbackRejected(Exception):
    """A callback that must change nothing; `outcome` is what the log records."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(detail or outcome)
        self.outcome = outcome
        self.detail = detail


@dataclass(frozen=True)
class GatewayOrder:
    order_id: str
    redirect_url: str


@dataclass(frozen=True)
class CallbackData:
    order_id: str
    order_ref: str
    amount: int
    success: bool
    transaction_id: str
    timestamp: int


class PaymentGateway:
    """The interface every provider implements."""

    name = ""

    def create_order(self, *, payment: Any, return_path: str) -> GatewayOrder:
        raise NotImplementedError

    def parse_callback(self, *, body: bytes, headers: Any) -> CallbackData:
        """Verify the callback's signature and read it; raises CallbackRejected."""
        raise NotImplementedError


class PublicServiceGateway(PaymentGateway):
    """A gateway of the public-service payment platform class (HMAC-SHA256 signed JSON)."""

    name = "dvc"

    def __init__(self) -> None:
        self.base_url = conf("PAYMENT_GATEWAY_URL").rstrip("/")
        self.merchant = conf("PAYMENT_GATEWAY_MERCHANT")
        self.secret = conf("PAYMENT_GATEWAY_SECRET")

    def callback_url(self) -> str:
        from motcua.core.links import public_url

        return public_url(f"/api/v1/payments/callback/{self.name}")

    def create_order(self, *, payment: Any, return_path: str) -> GatewayOrder:
        from motcua.core.links import public_url

        body = json.dumps(
            {
                "merchant_code": self.merchant,
                "order_ref": payment.reference,
                "amount": int(payment.amount),
                "currency": "VND",
                "description": f"Phi, le phi ho so {payment.dossier.code}",
                "return_url": public_url(return_path or "/tra-cuu/"),
                "callback_url": self.callback_url(),
                "timestamp": int(time.time()),
            }
        ).encode()
        if not self.base_url.startswith(("http://", "https://")):
            raise GatewayError("địa chỉ cổng thanh toán phải là http:// hoặc https://")
        request = urllib.request.Request(  # noqa: S310  (scheme checked above)
            f"{self.base_url}/api/orders",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Signature": sign(self.secret, body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GatewayError(str(exc)) from exc
        if (
            not isinstance(answer, dict)
            or not answer.get("order_id")
            or not answer.get("payment_url")
        ):
            raise GatewayError("câu trả lời thiếu mã đơn hoặc địa chỉ thanh toán")
        return GatewayOrder(order_id=str(answer["order_id"]), redirect_url=answer["payment_url"])

    def parse_callback(self, *, body: bytes, headers: Any) -> CallbackData:
        signature = str(headers.get("X-Signature", "") or "")
        if not hmac.compare_digest(signature, sign(self.secret, body)):
            raise CallbackRejected("forged", "chữ ký không hợp lệ")
        try:
            data = json.loads(body)
            parsed = CallbackData(
                order_id=str(data["order_id"]),
                order_ref=str(data["order_ref"]),
                amount=int(data["amount"]),
                success=data["status"] == "success",
                transaction_id=str(data["transaction_id"]),
                timestamp=int(data["timestamp"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRejected("malformed", f"nội dung không đọc được: {exc}") from exc
        if data.get("merchant_code") != self.merchant:
            raise CallbackRejected("mismatch", "mã đơn vị chấp nhận thanh toán khác")
        return parsed


def gateway() -> PaymentGateway:
    """The configured provider (PAYMENT_GATEWAY)."""
    cls = import_string(conf("PAYMENT_GATEWAY"))
    instance = cls()
    if not isinstance(instance, PaymentGateway):
        raise TypeError(f"{cls!r} is not a PaymentGateway")
    return instance
