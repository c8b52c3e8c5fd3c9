"""The JSON API under /api/v1: one NinjaAPI, one router per app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from motcua.core.auth import TokenAuth
from motcua.core.errors import DomainError
from motcua.web.apidocs import LocalSwagger

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "Lỗi: mã ổn định (code) và thông báo tiếng Việt (message).",
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    "required": ["code", "message"],
}
# Answers any operation may give, whatever it declares itself: a body that cannot be read (400),
# a missing object (404), a body over the cap (413), invalid input (422), a rate limit (429),
# the database out of reach (503); and, where a token or session is accepted, 401 and 403.
COMMON_ERRORS = {
    "400": "Yêu cầu không đọc được",
    "404": "Không tìm thấy",
    "413": "Dữ liệu quá lớn",
    "422": "Dữ liệu không hợp lệ",
    "429": "Quá nhiều yêu cầu",
    "503": "Cơ sở dữ liệu tạm thời không truy cập được",
}
AUTH_ERRORS = {"401": "Chưa xác thực", "403": "Không có quyền hoặc thiếu mã CSRF"}


# Text in a request never holds a NUL byte (refused by core.schemas and web.middleware).
NO_NUL = "^[^\\x00]*$"


def _declare_no_nul(node: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Add the NUL-free pattern to every plain text of a request schema (following $refs)."""
    if isinstance(node, list):
        for item in node:
            _declare_no_nul(item, components, seen)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _declare_no_nul(components.get(name), components, seen)
    if node.get("type") == "string" and not {"format", "enum", "pattern", "const"} & set(node):
        node["pattern"] = NO_NUL
    for key, value in node.items():
        if key == "propertyNames" and isinstance(value, dict) and "$ref" not in value:
            value.setdefault("type", "string")  # an object's keys are text: NUL-free as well
        if key != "$ref":
            _declare_no_nul(value, components, seen)


class MotcuaAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document declares every error answer with the {code, message}
    schema, so clients (and schemathesis) know each status an operation can give."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        components = schema["components"]["schemas"]
        seen: set[str] = set()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                _declare_no_nul(operation.get("parameters"), components, seen)
                _declare_no_nul(operation.get("requestBody"), components, seen)
                errors = dict(COMMON_ERRORS)
                if operation.get("security"):
                    errors.update(AUTH_ERRORS)
                responses = operation["responses"]
                for status, description in errors.items():
                    current = responses.get(status) or responses.get(int(status))
                    if current is None:
                        responses[status] = {
                            "description": description,
                            "content": {"application/json": {"schema": ref}},
                        }
        return schema


api = MotcuaAPI(
    title="motcua API",
    version="1",
    description="API của hệ thống một cửa: thủ tục, hồ sơ, xếp hàng, cổng công khai.",
    urls_namespace="api",
    docs=LocalSwagger(),  # Swagger UI from our static files: works offline
)


def _add_lane_marker() -> None:
    # On a request the API lane learns from (web.apilane: a flag in the ASGI scope), the view's
    # own headers are named in a marker header the lane strips; otherwise nothing.
    from motcua.web.apilane import lane_marker

    api.add_decorator(lane_marker, mode="view")


_add_lane_marker()


def error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    from motcua.core.schemas import CODED_ERRORS

    codes = {str(e.get("type")) for e in exc.errors if isinstance(e, dict)}
    if len(codes) == 1 and (code := codes.pop()) in CODED_ERRORS:  # a field's own stable code
        return error(request, 422, code, str(exc.errors[0].get("msg")), errors=exc.errors)
    return error(request, 422, "invalid", "Dữ liệu gửi lên không hợp lệ.", errors=exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(
        request, 401, "unauthorized", "Cần đăng nhập (mã truy cập Bearer) để dùng chức năng này."
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", "Không tìm thấy dữ liệu yêu cầu.")


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(
        request,
        400,
        "bad_request",
        "Dữ liệu gửi lên (multipart) không đọc được: thiếu hoặc sai ranh giới.",
    )


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        from motcua.web.bodylimit import CODE, MESSAGE

        return error(request, 413, CODE, MESSAGE)
    return error(request, 400, "bad_request", "Yêu cầu không hợp lệ.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {
        400: ("bad_request", "Dữ liệu gửi lên không đọc được (cần JSON hợp lệ, mã hóa UTF-8)."),
        404: ("not_found", "Không tìm thấy dữ liệu yêu cầu."),
        405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
        429: ("rate_limited", "Bạn thao tác quá nhanh, vui lòng thử lại sau."),
    }
    code, message = messages.get(exc.status_code, ("error", str(exc.message)))
    return error(request, exc.status_code, code, message)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    import logging

    logging.getLogger("motcua.api").exception("unhandled API error")
    return error(request, 500, "server_error", "Hệ thống gặp lỗi, vui lòng thử lại sau.")


def _register_db_errors() -> None:
    from motcua.core.dberrors import register_db_error_handlers

    register_db_error_handlers(api)


_register_db_errors()


def _mount() -> None:
    from motcua.biometrics.api import router as biometrics_router
    from motcua.campaigns.api import router as campaigns_router
    from motcua.catalog.api import router as catalog_router
    from motcua.core.api import router as core_router
    from motcua.correspondence.api import router as correspondence_router
    from motcua.delivery.api import router as delivery_router
    from motcua.documents.api import router as documents_router
    from motcua.dossiers.api import router as dossiers_router
    from motcua.homeservice.api import router as homeservice_router
    from motcua.notifications.api import router as notifications_router
    from motcua.org.api import router as org_router
    from motcua.payments.api import router as payments_router
    from motcua.portal.api import router as portal_router
    from motcua.queueing.api import router as queueing_router
    from motcua.queueing.counter_api import router as counter_router
    from motcua.reports.api import router as reports_router
    from motcua.worktime.api import router as worktime_router

    api.add_router("/", core_router)
    api.add_router("/", org_router)
    api.add_router("/", catalog_router)
    api.add_router("/", worktime_router)
    api.add_router("/", dossiers_router)
    api.add_router("/", documents_router)
    api.add_router("/", queueing_router)
    api.add_router("/", counter_router)
    api.add_router("/", biometrics_router)
    api.add_router("/", portal_router)
    api.add_router("/", reports_router)
    api.add_router("/", payments_router)
    api.add_router("/", delivery_router)
    api.add_router("/", homeservice_router)
    api.add_router("/", notifications_router)
    api.add_router("/", correspondence_router)
    api.add_router("/", campaigns_router)


_mount()

__all__ = ["api", "TokenAuth", "error"]
