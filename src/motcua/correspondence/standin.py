"""A local stand-in of the national document exchange platform (tests, the demo, `make run`).

It speaks the shape of correspondence/exchange.py: agencies post edXML packages (documents or
status messages) with their code and key; it checks the key, validates the package against our
schema (a platform refuses what it cannot read), keeps it in memory and answers a package id;
a status goes to the document's issuer unless the sender names the recipients (`X-To`). `forward()` hands a package on to
an agency's inbox (the demo: a package addressed to one of our own units comes back in).
Standard library plus lxml (through correspondence.edxml).
"""

from __future__ import annotations

import hmac
import itertools
import threading
import urllib.error
import urllib.request
from typing import Any

from motcua.core.standin import StandinHandler, StandinServer


class StandinExchange(StandinServer):
    """The platform's state: agencies' keys and the packages it took."""

    def __init__(self, *, keys_by_agency: dict[str, str]) -> None:
        self.keys = dict(keys_by_agency)
        self.packages: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.handler = _Handler

    def take(
        self, agency: str, key: str, body: bytes, to: list[str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        from motcua.core.errors import DomainError
        from motcua.correspondence import edxml

        expected = self.keys.get(agency)
        if not expected or not hmac.compare_digest(expected.encode(), key.encode()):
            return 401, {"code": "unauthorized", "message": "Sai mã cơ quan hoặc khóa."}
        try:
            pkg = edxml.read_any(body)  # a document, or a status about one
        except DomainError as exc:
            return 422, exc.as_dict()
        if to:
            pass  # the sender named the recipients (X-To), as the platform's send call does
        elif isinstance(pkg, edxml.StatusPackage):
            to = [pkg.about.organ]  # a status goes back to the document's issuer
        else:
            to = [o.code for o in pkg.recipients]
        with self._lock:
            package_id = f"VXP-{next(self._ids):08d}"
            self.packages[package_id] = {
                "from": agency,
                "to": to,
                "body": body,
                "package": pkg,
            }
        return 202, {"package_id": package_id, "status": "accepted"}

    def forward(self, package_id: str, inbox_url: str, key: str) -> int:
        """Deliver a package to an agency's inbox, as the platform would; returns the status."""
        if not inbox_url.startswith(("http://", "https://")):
            raise ValueError("inbox_url must be http(s)")
        request = urllib.request.Request(  # noqa: S310 (http(s) only, checked)
            inbox_url,
            data=self.packages[package_id]["body"],
            method="POST",
            headers={"Content-Type": "application/xml", "X-Exchange-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


class _Handler(StandinHandler):
    state: StandinExchange
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        if self.path.rstrip("/") != "/packages":
            self._json(404, {"code": "not_found", "message": "Không có đường dẫn này."})
            return
        body = self._body()
        to = [c.strip() for c in self.headers.get("X-To", "").split(",") if c.strip()]
        status, data = self.state.take(
            self.headers.get("X-Agency-Code", ""),
            self.headers.get("X-Exchange-Key", ""),
            body,
            to=to or None,
        )
        self._json(status, data)

    def do_GET(self) -> None:  # noqa: N802
        ids = sorted(self.state.packages)
        self._json(200, {"packages": [{"id": i, "to": self.state.packages[i]["to"]} for i in ids]})
