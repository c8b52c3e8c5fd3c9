"""Domain errors: a stable machine code plus a Vietnamese message for people.

Services raise these; the API and the views turn them into `{"code", "message"}` responses.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request."""

    code: str = "domain_error"
    status: int = 400
    message: str = "Yêu cầu không hợp lệ."

    def __init__(self, message: str | None = None, *, code: str | None = None, **extra: Any):
        self.message = message or self.message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422
    message = "Dữ liệu không hợp lệ."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "Không tìm thấy dữ liệu yêu cầu."


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    message = "Bạn không có quyền thực hiện thao tác này."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = "Thao tác xung đột với trạng thái hiện tại."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "Không thể chuyển sang trạng thái này."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "Bạn thao tác quá nhanh, vui lòng thử lại sau."
