"""Request bodies over the cap are refused before they are read.

Django reads a request body lazily, but its ASGI handler first spools the whole body to a
temporary file: a client could push gigabytes before any view says no. `BodyLimitASGI` wraps
the ASGI application and answers 413 from the Content-Length header alone, or stops reading a
chunked body at the cap. `BodyLimitMiddleware` does the same check under WSGI and in tests.
The cap is MOTCUA["MAX_REQUEST_BYTES"] (25 MB: a reception form carries several scans of at
most 10 MB each); Django's DATA_UPLOAD_MAX_MEMORY_SIZE still bounds non-file data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGE = "Dữ liệu gửi lên vượt quá dung lượng cho phép."
CODE = "payload_too_large"


def max_request_bytes() -> int:
    return int(settings.MOTCUA.get("MAX_REQUEST_BYTES", 25 * 1024 * 1024))


def _wants_json(path: str, accept: str) -> bool:
    return path.startswith("/api/") or accept.startswith("application/json")


class BodyLimitMiddleware:
    """413 with a code when Content-Length exceeds the cap (before anything reads the body)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_request_bytes():
            if _wants_json(request.path, request.headers.get("accept", "")):
                response: HttpResponse = JsonResponse(
                    {"code": CODE, "message": MESSAGE}, status=413
                )
            else:
                from django.shortcuts import render

                response = render(request, "web/error.html", {"message": MESSAGE}, status=413)
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class BodyLimitASGI:
    """ASGI wrapper: refuse an oversized body from its headers, or cut a chunked one at the cap."""

    def __init__(self, app: Any, limit: Callable[[], int] = max_request_bytes):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.limit()
        headers = {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope["headers"]}
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > cap:
            await self._refuse(scope, headers, send)
            return
        seen = 0
        too_big = False
        started = False

        async def limited_receive() -> dict:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    too_big = True
                    return {"type": "http.disconnect"}  # Django stops reading and gives up
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if too_big and not started:
            await self._refuse(scope, headers, send)

    async def _refuse(self, scope: dict, headers: dict[str, str], send: Callable) -> None:
        if _wants_json(scope.get("path", ""), headers.get("accept", "")):
            body = json.dumps({"code": CODE, "message": MESSAGE}, ensure_ascii=False).encode()
            ctype = b"application/json; charset=utf-8"
        else:
            body = f"<!doctype html><meta charset=utf-8><title>413</title><p>{MESSAGE}</p>".encode()
            ctype = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
