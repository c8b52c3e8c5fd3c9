"""Django's test client's calls (`get`, `post`), sent through an ASGI application instead.

The request is built by Django's RequestFactory (the same encoding of JSON, forms and multipart
files as `client.post`), turned into an ASGI scope and body, and sent through the application
(e.g. `motcua.asgi.application`: the lanes in front of Django); the answer is an HttpResponse
with `json()` like the test client's. Views may then run in other threads than the test's: use
it with `django_db(transaction=True)`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.http import HttpResponse
from django.test import RequestFactory

from async_helpers import run_async


class AsgiResponse(HttpResponse):
    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def streaming_content(self) -> list[bytes]:  # an event stream, read to its end
        return [self.content]


class AsgiClient:
    def __init__(self, app: Any, *, client_addr: str = "127.0.0.1") -> None:
        self.app = app
        self.client_addr = client_addr
        self.factory = RequestFactory()

    def get(self, path: str, data: Any = None, **extra: Any) -> AsgiResponse:
        return self._send(self.factory.get(path, data, **extra))

    def post(
        self, path: str, data: Any = None, content_type: str | None = None, **extra: Any
    ) -> AsgiResponse:
        kwargs = {"content_type": content_type} if content_type else {}
        return self._send(self.factory.post(path, data, **kwargs, **extra))

    def _send(self, request: Any) -> AsgiResponse:
        environ = request.environ
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = [(b"host", b"testserver")]
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers.append((key[5:].lower().replace("_", "-").encode(), str(value).encode()))
        if environ.get("CONTENT_TYPE"):
            headers.append((b"content-type", environ["CONTENT_TYPE"].encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": environ["REQUEST_METHOD"],
            "scheme": "http",
            "path": environ["PATH_INFO"],
            "raw_path": environ["PATH_INFO"].encode(),
            "root_path": "",
            "query_string": environ.get("QUERY_STRING", "").encode(),
            "headers": headers,
            "client": (self.client_addr, 40000),
            "server": ("testserver", 80),
        }
        sent: list[dict[str, Any]] = []
        state = {"read": False}

        async def receive() -> dict[str, Any]:
            if not state["read"]:
                state["read"] = True
                return {"type": "http.request", "body": body, "more_body": False}
            while not sent or sent[-1].get("more_body", False) or len(sent) < 2:
                await asyncio.sleep(0.01)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        run_async(self.app, scope, receive, send)
        start = sent[0]
        response = AsgiResponse(
            b"".join(m.get("body", b"") for m in sent[1:]), status=start["status"]
        )
        for key in list(response.headers):
            del response.headers[key]
        for key, value in start["headers"]:
            response.headers[key.decode("latin-1")] = value.decode("latin-1")
        return response
