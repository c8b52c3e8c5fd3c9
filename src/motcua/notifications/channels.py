"""The channels that carry a notification, each behind one small interface, one class per provider.

Every message carries an idempotency key (the notification's id). Gateways that take a request
id (brand-name SMS gateways, Zalo ZNS's ``tracking_id``) answer a repeated key with the first
message's id instead of sending again; for e-mail the key is the ``Message-ID``, which the
stand-in (and receiving mail systems) use to drop a duplicate. That is what makes a retry after a
worker died mid-send safe.

- SMS (brand-name gateway): ``POST {base}/api/v1/sms/send`` JSON ``{brandname, phone, message,
  unicode, request_id}``, header ``X-Signature: hex(HMAC-SHA256(secret, raw body))``; answer 200
  ``{"code": "00", "message_id", "duplicate"}``; ``code`` other than ``00`` is an error (``"10"``
  invalid phone number: permanent).
- Zalo ZNS: ``POST {base}/message/template`` JSON ``{phone, template_id, template_data,
  tracking_id}``, header ``access_token``; answer ``{"error": 0, "data": {"msg_id"}}``; a negative
  ``error`` is a refusal (``-108`` invalid phone number: permanent).
- Zalo Official Account (API v3.0, to a follower of the office's OA): ``POST
  {base}/v3.0/oa/message/transaction`` JSON ``{recipient: {user_id}, message: {attachment:
  {type: "template", payload: {template_type, language, elements, buttons}}}}``, header
  ``access_token``; answer ``{"error": 0, "message": "Success", "data": {"message_id",
  "user_id"}}``. The API documents no request id: a message is not re-sent after a worker died
  mid-send (``idempotent = False``, see services.notification_send). The ``template_type`` values
  (``transaction_booking``, ``transaction_billing``, ``transaction_order``) follow the published
  SDK examples; check them against the OA's approved transaction types.
- E-mail: SMTP to ``NOTIFY_SMTP_HOST``:``NOTIFY_SMTP_PORT`` (STARTTLS and login when set).

Settings (environment, or settings.MOTCUA in tests): ``NOTIFY_SMS_URL``, ``NOTIFY_SMS_BRANDNAME``,
``NOTIFY_SMS_SECRET``, ``NOTIFY_ZALO_URL``, ``NOTIFY_ZALO_TOKEN``, ``NOTIFY_ZALO_TEMPLATES``
(JSON: kind → template id), ``NOTIFY_SMTP_HOST``, ``NOTIFY_SMTP_PORT``, ``NOTIFY_SMTP_USER``,
``NOTIFY_SMTP_PASSWORD``, ``NOTIFY_SMTP_STARTTLS``, ``NOTIFY_EMAIL_FROM``, ``NOTIFY_ZALO_OA_URL``,
``NOTIFY_ZALO_OA_TOKEN``, ``NOTIFY_ZALO_OA_APP_ID``, ``NOTIFY_ZALO_OA_SECRET`` (the OA's secret key
that signs its webhook events); the defaults point at
the stand-ins of ``motcua notify-doubles``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from django.conf import settings

DEFAULTS = {
    "NOTIFY_SMS_URL": "http://127.0.0.1:8771",
    "NOTIFY_SMS_BRANDNAME": "MOTCUA",
    # Only for the stand-ins and the demo: a real office sets its own secrets.
    "NOTIFY_SMS_SECRET": "standin-sms-secret-not-for-production",
    "NOTIFY_ZALO_URL": "http://127.0.0.1:8772",
    "NOTIFY_ZALO_TOKEN": "standin-zalo-token-not-for-production",
    "NOTIFY_ZALO_TEMPLATES": "{}",
    "NOTIFY_ZALO_OA_URL": "http://127.0.0.1:8772",
    "NOTIFY_ZALO_OA_TOKEN": "standin-zalo-oa-token-not-for-production",
    "NOTIFY_ZALO_OA_APP_ID": "1234567890",
    "NOTIFY_ZALO_OA_SECRET": "standin-zalo-oa-secret-not-for-production",
    "NOTIFY_SMTP_HOST": "127.0.0.1",
    "NOTIFY_SMTP_PORT": "8025",
    "NOTIFY_SMTP_USER": "",
    "NOTIFY_SMTP_PASSWORD": "",
    "NOTIFY_SMTP_STARTTLS": "0",
    "NOTIFY_EMAIL_FROM": "motcua@localhost",
    "NOTIFY_TIMEOUT": "10",
    # How many days a preferences link may show the citizen's data (unsubscribing never expires).
    "NOTIFY_PREFERENCES_MAX_AGE_DAYS": "90",
}

# Zalo ZNS template ids per kind of message (each is registered and approved on Zalo's side);
# the stand-in accepts these, a real office names its own in NOTIFY_ZALO_TEMPLATES.
DEFAULT_ZALO_TEMPLATES = {
    "dossier_received": "301001",
    "supplement_needed": "301002",
    "result_ready": "301003",
    "result_delivered": "301004",
    "queue_near": "301005",
    "queue_called": "301006",
    "overdue_apology": "301007",
    "payment_due": "301008",
    "receipt_issued": "301009",
    "booking_reminder": "301010",
    "visit_reminder": "301011",
}

# OA transaction message type per kind (see the module docstring).
OA_TEMPLATE_TYPES = {
    "booking_reminder": "transaction_booking",
    "visit_reminder": "transaction_booking",
    "payment_due": "transaction_billing",
    "receipt_issued": "transaction_billing",
}


def conf(name: str) -> str:
    """A notification setting: settings.MOTCUA (tests), else the environment, else the default."""
    value = getattr(settings, "MOTCUA", {}).get(name)
    if value in (None, ""):
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)


def zalo_template(kind: str) -> str:
    custom = json.loads(conf("NOTIFY_ZALO_TEMPLATES") or "{}")
    return str(custom.get(kind) or DEFAULT_ZALO_TEMPLATES[kind])


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def phone_international(phone: str) -> str:
    """0912345678 → 84912345678 (the form ZNS and most gateways take)."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


class ChannelError(Exception):
    """The message did not go out. `permanent`: trying again will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    key: str  # the idempotency key: the notification's id
    kind: str
    recipient: str
    text: str
    subject: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    unsubscribe_url: str = ""


@dataclass(frozen=True)
class Sent:
    provider_id: str
    duplicate: bool = False


class Channel:
    """The interface every channel implements."""

    name = ""
    # The provider honours our key (a repeated request is answered, not delivered again).
    idempotent = True

    def send(self, message: Message) -> Sent:
        raise NotImplementedError


def _post_json(
    url: str, payload: dict[str, Any], headers: Callable[[bytes], dict[str, str]]
) -> dict[str, Any]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    if not url.startswith(("http://", "https://")):
        raise ChannelError(f"Địa chỉ cổng không hợp lệ: {url}", permanent=True)
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers(body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=float(conf("NOTIFY_TIMEOUT"))) as response:  # noqa: S310
            return dict(json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        raise ChannelError(f"HTTP {exc.code}", permanent=permanent) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ChannelError(f"Không kết nối được: {exc}") from exc


class BrandnameSms(Channel):
    """A brand-name SMS gateway (HMAC-signed JSON, request id honoured)."""

    name = "sms"

    def send(self, message: Message) -> Sent:
        from motcua.notifications.rules import is_gsm7

        payload = {
            "brandname": conf("NOTIFY_SMS_BRANDNAME"),
            "phone": phone_international(message.recipient),
            "message": message.text,
            "unicode": 0 if is_gsm7(message.text) else 1,
            "request_id": message.key,
        }
        secret = conf("NOTIFY_SMS_SECRET")
        answer = _post_json(
            conf("NOTIFY_SMS_URL").rstrip("/") + "/api/v1/sms/send",
            payload,
            lambda body: {"X-Signature": sign(secret, body)},
        )
        code = str(answer.get("code", ""))
        if code != "00":
            raise ChannelError(
                f"Cổng SMS từ chối ({code}): {answer.get('message', '')}",
                permanent=code in {"10", "11", "12"},
            )
        return Sent(str(answer.get("message_id", "")), bool(answer.get("duplicate")))


class ZaloZns(Channel):
    """Zalo Notification Service: an approved template, its parameters, a phone number."""

    name = "zalo"

    def send(self, message: Message) -> Sent:
        payload = {
            "phone": phone_international(message.recipient),
            "template_id": zalo_template(message.kind),
            "template_data": message.params,
            "tracking_id": message.key,
        }
        answer = _post_json(
            conf("NOTIFY_ZALO_URL").rstrip("/") + "/message/template",
            payload,
            lambda body: {"access_token": conf("NOTIFY_ZALO_TOKEN")},
        )
        error = int(answer.get("error", -1))
        if error != 0:
            raise ChannelError(
                f"Zalo từ chối ({error}): {answer.get('message', '')}",
                permanent=error in {-108, -118, -124, -1124},
            )
        data = answer.get("data") or {}
        return Sent(str(data.get("msg_id", "")), bool(data.get("duplicate")))


class ZaloOa(Channel):
    """A transaction message of the office's Official Account to one of its followers."""

    name = "zalo_oa"
    idempotent = False

    def send(self, message: Message) -> Sent:
        lines = [ln for ln in message.text.split("\n") if ln.strip()]
        link = message.unsubscribe_url
        # A campaign to a subscriber is not a transaction: the OA's promotion message (same
        # shape, template type "promotion"; taken from the published SDK examples, unchecked
        # against a contract). Everything else is a transaction message.
        promotion = message.kind == "campaign"
        path = "/v3.0/oa/message/promotion" if promotion else "/v3.0/oa/message/transaction"
        payload = {
            "recipient": {"user_id": message.recipient},
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": OA_TEMPLATE_TYPES.get(
                            message.kind,
                            "promotion" if promotion else "transaction_order",
                        ),
                        "language": "VI",
                        "elements": [
                            {"type": "header", "align": "left", "content": message.subject[:100]},
                            {"type": "text", "align": "left", "content": "<br>".join(lines)},
                            {
                                "type": "table",
                                "content": [
                                    {"key": k, "value": str(v)[:100]}
                                    for k, v in message.params.items()
                                    if k != "huy_dang_ky"
                                ][:5],
                            },
                        ],
                        "buttons": (
                            [
                                {
                                    "title": "Ngừng nhận tin",
                                    "type": "oa.open.url",
                                    "payload": {"url": link},
                                }
                            ]
                            if link
                            else []
                        ),
                    },
                }
            },
        }
        answer = _post_json(
            conf("NOTIFY_ZALO_OA_URL").rstrip("/") + path,
            payload,
            lambda body: {"access_token": conf("NOTIFY_ZALO_OA_TOKEN")},
        )
        error = int(answer.get("error", -1))
        if error != 0:
            raise ChannelError(
                f"Zalo OA từ chối ({error}): {answer.get('message', '')}",
                # -213: the user does not follow the OA (any more); -216, -124: bad access token.
                permanent=error in {-213, -216, -124, -201},
            )
        data = answer.get("data") or {}
        return Sent(str(data.get("message_id", "")))


def zalo_oa_signature(*, app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The OA webhook's `X-ZEvent-Signature`: "mac=" + sha256(app id + body + timestamp + secret)."""
    raw = app_id.encode() + body + timestamp.encode() + secret.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()


class SmtpEmail(Channel):
    """E-mail over SMTP; the Message-ID is built from the key so a re-send is recognisable."""

    name = "email"

    def send(self, message: Message) -> Sent:
        mail = EmailMessage()
        mail["From"] = formataddr(("Bộ phận một cửa", conf("NOTIFY_EMAIL_FROM")))
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or "Thông báo của bộ phận một cửa"
        message_id = f"<{message.key}@motcua>"
        mail["Message-ID"] = message_id
        if message.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(
                conf("NOTIFY_SMTP_HOST"),
                int(conf("NOTIFY_SMTP_PORT")),
                timeout=float(conf("NOTIFY_TIMEOUT")),
            ) as smtp:
                if conf("NOTIFY_SMTP_STARTTLS") == "1":
                    smtp.starttls()
                if conf("NOTIFY_SMTP_USER"):
                    smtp.login(conf("NOTIFY_SMTP_USER"), conf("NOTIFY_SMTP_PASSWORD"))
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"Địa chỉ thư bị từ chối: {exc}", permanent=True) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"Máy chủ thư: {exc}") from exc
        return Sent(message_id)


CHANNELS: dict[str, type[Channel]] = {
    "sms": BrandnameSms,
    "zalo": ZaloZns,
    "zalo_oa": ZaloOa,
    "email": SmtpEmail,
}


def channel_for(name: str) -> Channel:
    return CHANNELS[name]()
