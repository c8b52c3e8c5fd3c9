"""Local stand-ins of the notification channels (tests, the demo, `motcua notify-doubles`).

Each records what it was asked to deliver and honours the idempotency key the way the real
gateways do: a repeated SMS `request_id`, ZNS `tracking_id` or e-mail `Message-ID` gets the first
answer again and is not delivered a second time. The Zalo stand-in also plays the Official
Account API v3.0 (transaction messages to followers; the API documents no request id, so every
request is delivered, as it would be) and sends the OA's signed webhook events to the office.
State lives in memory.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

from motcua.core.standin import StandinHandler, StandinServer
from motcua.notifications.channels import sign


class _Recorder:
    def __init__(self) -> None:
        self.delivered: list[dict[str, Any]] = []  # what reached a person, once per key
        self.requests = 0  # every request, repeats included
        self.by_key: dict[str, str] = {}  # key → provider id
        self.lock = threading.Lock()
        # Phone numbers or addresses the stand-in refuses (to play a permanent failure).
        self.refuse: set[str] = set()
        # How many next requests fail with a gateway error (to play a temporary failure).
        self.fail_next = 0

    def record(self, key: str, item: dict[str, Any]) -> tuple[str, bool]:
        with self.lock:
            self.requests += 1
            if key in self.by_key:
                return self.by_key[key], True
            provider_id = secrets.token_hex(8)
            self.by_key[key] = provider_id
            self.delivered.append({**item, "key": key, "provider_id": provider_id})
            return provider_id, False

    def take_failure(self) -> bool:
        with self.lock:
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            self.requests -= 1
            return False


class _Handler(StandinHandler):
    state: _HttpStandin
    json_content_type = "application/json"
    json_ensure_ascii = True

    def do_POST(self) -> None:  # noqa: N802
        status, answer = self.state.handle(self.path, self._body(), self.headers)
        self._json(status, answer)


class _HttpStandin(_Recorder, StandinServer):
    handler = _Handler

    def handle(self, path: str, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


class SmsStandin(_HttpStandin):
    """A brand-name SMS gateway: checks the signature, the brand name and the request id."""

    def __init__(self, *, secret: str, brandname: str) -> None:
        super().__init__()
        self.secret = secret
        self.brandname = brandname

    def handle(self, path: str, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        if path != "/api/v1/sms/send":
            return 404, {"code": "404", "message": "not found"}
        if not hmac.compare_digest(headers.get("X-Signature") or "", sign(self.secret, body)):
            return 401, {"code": "01", "message": "bad signature"}
        data = json.loads(body or b"{}")
        if data.get("brandname") != self.brandname:
            return 200, {"code": "02", "message": "unknown brandname"}
        if not data.get("request_id"):
            return 200, {"code": "03", "message": "request_id required"}
        phone = str(data.get("phone") or "")
        if phone in self.refuse or not (phone.isdigit() and 10 <= len(phone) <= 12):
            return 200, {"code": "10", "message": "invalid phone"}
        if self.take_failure():
            return 503, {"code": "99", "message": "busy"}
        message_id, duplicate = self.record(
            str(data["request_id"]),
            {"phone": phone, "message": data.get("message", ""), "unicode": data.get("unicode")},
        )
        return 200, {"code": "00", "message_id": message_id, "duplicate": duplicate}


class ZaloStandin(_HttpStandin):
    """Zalo ZNS (the access token, a known template, its parameters and the tracking id) and the
    Official Account's transaction messages (`oa_token`, a follower's `recipient.user_id`)."""

    OA_PATHS = (
        "/v3.0/oa/message/transaction",
        "/v3.0/oa/message/cs",
        "/v3.0/oa/message/promotion",
    )

    def __init__(
        self,
        *,
        token: str,
        templates: set[str],
        oa_token: str = "",
        oa_app_id: str = "",
        oa_secret: str = "",
    ) -> None:
        super().__init__()
        self.token = token
        self.templates = set(templates)
        self.oa_token = oa_token
        self.oa_app_id = oa_app_id
        self.oa_secret = oa_secret
        self.followers: set[str] = set()  # user ids that follow the OA
        self.oa_delivered: list[dict[str, Any]] = []  # OA messages, one per request

    def handle(self, path: str, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        if path in self.OA_PATHS:
            return self.handle_oa(path, body, headers)
        if path != "/message/template":
            return 404, {"error": -404, "message": "not found"}
        if not hmac.compare_digest(headers.get("access_token") or "", self.token):
            return 200, {"error": -124, "message": "Access token is invalid"}
        data = json.loads(body or b"{}")
        if str(data.get("template_id")) not in self.templates:
            return 200, {"error": -1124, "message": "Template not found"}
        phone = str(data.get("phone") or "")
        if phone in self.refuse or not (phone.startswith("84") and phone.isdigit()):
            return 200, {"error": -108, "message": "Phone number is invalid"}
        if self.take_failure():
            return 200, {"error": -32, "message": "Out of quota"}
        msg_id, duplicate = self.record(
            str(data.get("tracking_id") or secrets.token_hex(8)),
            {
                "phone": phone,
                "template_id": str(data.get("template_id")),
                "template_data": data.get("template_data") or {},
            },
        )
        return 200, {
            "error": 0,
            "message": "Success",
            "data": {"msg_id": msg_id, "duplicate": duplicate},
        }

    def handle_oa(self, path: str, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        if not self.oa_token or not hmac.compare_digest(
            headers.get("access_token") or "", self.oa_token
        ):
            return 200, {"error": -216, "message": "Access token is invalid"}
        data = json.loads(body or b"{}")
        user_id = str((data.get("recipient") or {}).get("user_id") or "")
        message = data.get("message") or {}
        payload = (message.get("attachment") or {}).get("payload") or {}
        if not message.get("text") and not payload.get("elements"):
            return 200, {"error": -201, "message": "Message is empty"}
        if user_id not in self.followers:
            return 200, {"error": -213, "message": "User has not followed OA"}
        if self.take_failure():
            return 200, {"error": -32, "message": "Out of quota"}
        with self.lock:
            self.requests += 1
            message_id = secrets.token_hex(10)
            self.oa_delivered.append(
                {
                    "user_id": user_id,
                    "type": path.rsplit("/", 1)[1],
                    "template_type": payload.get("template_type", ""),
                    "elements": payload.get("elements", []),
                    "buttons": payload.get("buttons", []),
                    "text": message.get("text", ""),
                    "message_id": message_id,
                }
            )
        return 200, {
            "error": 0,
            "message": "Success",
            "data": {"message_id": message_id, "user_id": user_id},
        }

    def oa_event(self, webhook_url: str, event: dict[str, Any], *, timestamp: str = "") -> int:
        """Send the office a signed OA webhook event (a follow, a message, an unfollow)."""
        import time

        from motcua.core.standin import post_status
        from motcua.notifications.channels import zalo_oa_signature

        stamp = timestamp or str(int(time.time() * 1000))
        body = json.dumps(
            {"app_id": self.oa_app_id, "timestamp": stamp, **event}, ensure_ascii=False
        ).encode()
        mac = zalo_oa_signature(
            app_id=self.oa_app_id, body=body, timestamp=stamp, secret=self.oa_secret
        )
        if event.get("event_name") == "follow":
            self.followers.add(str((event.get("follower") or {}).get("id") or ""))
        elif event.get("event_name") == "unfollow":
            self.followers.discard(str((event.get("follower") or {}).get("id") or ""))
        return post_status(
            webhook_url,
            body,
            {"Content-Type": "application/json", "X-ZEvent-Signature": mac},
            timeout=10,
        )


class SmtpStandin(_Recorder):
    """A real SMTP server (aiosmtpd) in this process; a repeated Message-ID is not delivered again."""

    def __init__(self) -> None:
        super().__init__()
        self.controller: Any = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> SmtpStandin:
        from aiosmtpd.controller import Controller

        state = self

        class Handler:
            async def handle_RCPT(  # noqa: N802
                self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
            ) -> str:
                if address in state.refuse:
                    return "550 5.1.1 No such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                mail = message_from_bytes(envelope.content)
                payload = mail.get_payload(decode=True) if not mail.is_multipart() else b""
                body = payload if isinstance(payload, bytes) else b""
                state.record(
                    str(mail.get("Message-ID") or secrets.token_hex(8)),
                    {
                        "to": list(envelope.rcpt_tos),
                        "subject": str(make_header(decode_header(mail.get("Subject", "")))),
                        "text": (body or b"").decode(mail.get_content_charset() or "utf-8"),
                        "unsubscribe": str(mail.get("List-Unsubscribe") or ""),
                    },
                )
                return "250 Message accepted for delivery"

        if port == 0:
            import socket

            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname=host, port=port)
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def host(self) -> str:
        return str(self.controller.hostname)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
