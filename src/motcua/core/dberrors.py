"""A database that cannot be reached answers 503 with a code, never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("motcua.api")

DB_UNAVAILABLE = {
    "code": "db_unavailable",
    "message": "Hệ thống tạm thời không kết nối được cơ sở dữ liệu, vui lòng thử lại sau ít phút.",
}


def register_db_error_handlers(api: Any) -> None:
    """Answer a dropped or refused database connection with 503 `db_unavailable` + Retry-After.

    A client that sent an `Idempotency-Key` can retry safely: if the write had committed before
    the connection dropped, the retry replays its answer (core.idempotency).
    """

    def _db_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning("database unavailable: %s", exc)
        response = api.create_response(request, DB_UNAVAILABLE, status=503)
        response["Retry-After"] = "5"
        return response

    api.add_exception_handler(OperationalError, _db_unavailable)
    api.add_exception_handler(InterfaceError, _db_unavailable)
