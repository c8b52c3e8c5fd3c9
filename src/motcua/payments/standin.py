"""A local stand-in of an online payment gateway (tests, the demo, `make run`).

It speaks the HTTP shape of payments/gateways.py: signed order creation, a payment page in
Vietnamese where the citizen pays or cancels, then a signed callback to the agency and the
citizen sent back to the agency's return address. Orders live in memory. Standard library only.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
import threading
import time
import urllib.parse
from typing import Any

from motcua.core.standin import StandinHandler, StandinServer, post_status
from motcua.payments.gateways import sign


class StandinGateway(StandinServer):
    """The gateway's state: merchants' secrets and the orders they created."""

    def __init__(self, *, secrets_by_merchant: dict[str, str]) -> None:
        self.secrets = dict(secrets_by_merchant)
        self.orders: dict[str, dict[str, Any]] = {}
        self.callbacks: list[dict[str, Any]] = []  # what was sent, and the agency's answer
        self.lock = threading.Lock()
        self.handler = _Handler
        # Tests of a slow gateway: `order_requests` counts order requests as they arrive, and
        # while `hold` is set and not released the answer waits (up to `hold_timeout`).
        self.order_requests = 0
        self.arrived = threading.Event()
        self.hold: threading.Event | None = None
        self.hold_timeout = 30.0

    def send_callback(self, order: dict[str, Any], *, success: bool) -> int:
        """Post the signed result to the agency; returns its HTTP status."""
        body = json.dumps(
            {
                "merchant_code": order["merchant_code"],
                "order_id": order["order_id"],
                "order_ref": order["order_ref"],
                "amount": order["amount"],
                "status": "success" if success else "failed",
                "transaction_id": order["transaction_id"],
                "timestamp": int(time.time()),
            }
        ).encode()
        if not order["callback_url"].startswith(("http://", "https://")):
            return 0
        status = post_status(
            order["callback_url"],
            body,
            {
                "Content-Type": "application/json",
                "X-Signature": sign(self.secrets[order["merchant_code"]], body),
            },
        )
        with self.lock:
            self.callbacks.append({"body": body, "status": status})
        return status


def _money(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " đồng"


PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Cổng thanh toán (mô phỏng)</title>
<style>body{{font-family:sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1.1rem;padding:.5rem 1.2rem;margin-right:.5rem}}</style></head><body>
<h1>Cổng thanh toán dịch vụ công (mô phỏng)</h1>
<p>Đơn hàng: <strong>{order_id}</strong></p>
<p>Nội dung: {description}</p>
<p>Số tiền: <strong id="amount">{amount}</strong></p>
<p>{state}</p>
<form method="post" action="/pay/{order_id}">
<button type="submit" name="action" value="pay">Thanh toán</button>
<button type="submit" name="action" value="cancel">Hủy giao dịch</button>
</form></body></html>"""


class _Handler(StandinHandler):
    state: StandinGateway
    server_version = "motcua-payment-standin"
    json_content_type = "application/json"
    json_ensure_ascii = True

    def do_POST(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path == "/api/orders":
            return self._create(self._body())
        if path.startswith("/pay/"):
            return self._pay(path.removeprefix("/pay/"), self._body())
        self._json(404, {"error": "not found"})

    def do_GET(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/pay/"):
            order = self.state.orders.get(path.removeprefix("/pay/"))
            if order is None:
                return self._send(404, "Không có đơn hàng.".encode(), "text/plain; charset=utf-8")
            state = {
                "new": "Chọn «Thanh toán» để trả tiền.",
                "paid": "Đơn hàng đã được thanh toán.",
                "cancelled": "Đơn hàng đã bị hủy.",
            }[order["status"]]
            page = PAGE.format(
                order_id=html.escape(order["order_id"]),
                description=html.escape(order["description"]),
                amount=_money(order["amount"]),
                state=state,
            )
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        if path.startswith("/api/orders/"):
            order = self.state.orders.get(path.removeprefix("/api/orders/"))
            if order is None:
                return self._json(404, {"error": "not found"})
            return self._json(200, {k: v for k, v in order.items() if k != "callback_url"})
        self._json(404, {"error": "not found"})

    def _create(self, body: bytes) -> None:
        try:
            data = json.loads(body)
            secret = self.state.secrets[data["merchant_code"]]
        except (ValueError, KeyError):
            return self._json(400, {"error": "unknown merchant or bad body"})
        if not hmac.compare_digest(self.headers.get("X-Signature", ""), sign(secret, body)):
            return self._json(401, {"error": "bad signature"})
        with self.state.lock:
            self.state.order_requests += 1
        self.state.arrived.set()
        if self.state.hold is not None:
            self.state.hold.wait(self.state.hold_timeout)
        with self.state.lock:  # one order per merchant and order reference (idempotent)
            same = next(
                (
                    o
                    for o in self.state.orders.values()
                    if o["merchant_code"] == data["merchant_code"]
                    and o["order_ref"] == str(data["order_ref"])
                ),
                None,
            )
        if same is not None:
            if same["amount"] != int(data["amount"]):
                return self._json(409, {"error": "order_ref reused with another amount"})
            return self._json(
                200,
                {
                    "order_id": same["order_id"],
                    "payment_url": f"{self.state.base_url}/pay/{same['order_id']}",
                },
            )
        order_id = "GW" + secrets.token_hex(8).upper()
        order = {
            "order_id": order_id,
            "merchant_code": data["merchant_code"],
            "order_ref": str(data["order_ref"]),
            "amount": int(data["amount"]),
            "description": str(data.get("description", "")),
            "return_url": str(data["return_url"]),
            "callback_url": str(data["callback_url"]),
            "status": "new",
            "transaction_id": "",
        }
        with self.state.lock:
            self.state.orders[order_id] = order
        self._json(
            201, {"order_id": order_id, "payment_url": f"{self.state.base_url}/pay/{order_id}"}
        )

    def _pay(self, order_id: str, body: bytes) -> None:
        order = self.state.orders.get(order_id)
        if order is None:
            return self._send(404, "Không có đơn hàng.".encode(), "text/plain; charset=utf-8")
        action = urllib.parse.parse_qs(body.decode()).get("action", [""])[0]
        with self.state.lock:
            if order["status"] != "new":
                action = ""
            elif action == "pay":
                order["status"] = "paid"
                order["transaction_id"] = "TXN" + secrets.token_hex(6).upper()
            elif action == "cancel":
                order["status"] = "cancelled"
                order["transaction_id"] = "TXN" + secrets.token_hex(6).upper()
        if action in ("pay", "cancel"):
            self.state.send_callback(order, success=action == "pay")
        back = order["return_url"]
        sep = "&" if "?" in back else "?"
        query = urllib.parse.urlencode({"order": order_id, "status": order["status"]})
        self._send(303, b"", "text/plain", Location=f"{back}{sep}{query}")
