"""The national document exchange platform behind one small interface, one class per provider.

The real platform (the national "trục liên thông văn bản") gives agencies its connection
details and SDK under agreement; they were not available on this machine. `PlatformProvider`
speaks the plain shape below, which the stand-in server (`motcua exchange-standin`,
correspondence/standin.py) speaks too; an adapter to the real SDK is a new class here.

- send a package: ``POST {base}/packages`` with the edXML bytes as the body
  (``Content-Type: application/xml``) and the headers ``X-Agency-Code`` (our identifier) and
  ``X-Exchange-Key`` (the key the platform issued us), and ``X-To`` (recipients' codes, comma
  separated) where the package does not name them (a status package: a recall goes to the
  recipient, not back to the issuer); answer 202 ``{"package_id", "status"}``;
- the platform delivers packages for us to ``POST /api/v1/exchange/inbox`` with the key we gave
  it (``MOTCUA["EXCHANGE_INBOX_KEY"]``).

Settings (environment, or settings.MOTCUA in tests): ``EXCHANGE_PROVIDER`` (dotted class path),
``EXCHANGE_URL`` (default the stand-in on http://127.0.0.1:8767), ``EXCHANGE_AGENCY_CODE``,
``EXCHANGE_KEY``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS = {
    "EXCHANGE_PROVIDER": "motcua.correspondence.exchange.PlatformProvider",
    "EXCHANGE_URL": "http://127.0.0.1:8767",
    "EXCHANGE_AGENCY_CODE": "000.00.00.H26",
    # Only for the stand-in and the demo: a real office uses the key the platform issues.
    "EXCHANGE_KEY": "exchange-standin-key-not-for-production",
}


def conf(name: str) -> str:
    """An exchange setting: settings.MOTCUA (tests), else the environment, else the default."""
    value = settings.MOTCUA.get(name) or os.environ.get(name) or DEFAULTS[name]
    return str(value)


class ExchangeError(Exception):
    """The platform could not take the package (network, refusal): the dispatch stays queued."""


@dataclass(frozen=True)
class Sent:
    package_id: str
    status: str


class PlatformProvider:
    """HTTP client of the platform's plain shape (see the module docstring)."""

    timeout = 20

    def send(self, package: bytes, to: list[str] | None = None) -> Sent:
        base = conf("EXCHANGE_URL")
        if not base.startswith(("http://", "https://")):
            raise ExchangeError("EXCHANGE_URL phải là địa chỉ http(s)")
        request = urllib.request.Request(  # noqa: S310 (http(s) only, checked)
            base.rstrip("/") + "/packages",
            data=package,
            method="POST",
            headers={
                "Content-Type": "application/xml; charset=utf-8",
                "X-Agency-Code": conf("EXCHANGE_AGENCY_CODE"),
                "X-Exchange-Key": conf("EXCHANGE_KEY"),
                **({"X-To": ",".join(to)} if to else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise ExchangeError(f"trục trả lời {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ExchangeError(f"không kết nối được trục: {exc}") from None
        if not answer.get("package_id"):
            raise ExchangeError("trục không trả mã gói tin")
        return Sent(package_id=str(answer["package_id"]), status=str(answer.get("status", "")))


def provider() -> PlatformProvider:
    return import_string(conf("EXCHANGE_PROVIDER"))()
