"""The JSON API under /api/v1: one NinjaAPI, one router per app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from motcua.core.auth import TokenAuth
from motcua.core.errors import DomainError
from motcua.web.apidocs import LocalSwagger

api = NinjaAPI(
    title="motcua API",
    version="1",
    description="API của hệ thống một cửa: thủ tục, hồ sơ, xếp hàng, cổng công khai.",
    urls_namespace="api",
    docs=LocalSwagger(),  # Swagger UI from our static files: works offline
)


def error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error(request, 422, "invalid", "Dữ liệu gửi lên không hợp lệ.", errors=exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(
        request, 401, "unauthorized", "Cần đăng nhập (mã truy cập Bearer) để dùng chức năng này."
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {
        404: ("not_found", "Không tìm thấy dữ liệu yêu cầu."),
        405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
        429: ("rate_limited", "Bạn thao tác quá nhanh, vui lòng thử lại sau."),
    }
    code, message = messages.get(exc.status_code, ("error", str(exc.message)))
    return error(request, exc.status_code, code, message)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    from django.http import Http404

    if isinstance(exc, Http404):
        return error(request, 404, "not_found", "Không tìm thấy dữ liệu yêu cầu.")
    import logging

    logging.getLogger("motcua.api").exception("unhandled API error")
    return error(request, 500, "server_error", "Hệ thống gặp lỗi, vui lòng thử lại sau.")


def _register_db_errors() -> None:
    from motcua.core.dberrors import register_db_error_handlers

    register_db_error_handlers(api)


_register_db_errors()


def _mount() -> None:
    from motcua.biometrics.api import router as biometrics_router
    from motcua.catalog.api import router as catalog_router
    from motcua.core.api import router as core_router
    from motcua.correspondence.api import router as correspondence_router
    from motcua.delivery.api import router as delivery_router
    from motcua.documents.api import router as documents_router
    from motcua.dossiers.api import router as dossiers_router
    from motcua.homeservice.api import router as homeservice_router
    from motcua.org.api import router as org_router
    from motcua.payments.api import router as payments_router
    from motcua.portal.api import router as portal_router
    from motcua.queueing.api import router as queueing_router
    from motcua.reports.api import router as reports_router
    from motcua.worktime.api import router as worktime_router

    api.add_router("/", core_router)
    api.add_router("/", org_router)
    api.add_router("/", catalog_router)
    api.add_router("/", worktime_router)
    api.add_router("/", dossiers_router)
    api.add_router("/", documents_router)
    api.add_router("/", queueing_router)
    api.add_router("/", biometrics_router)
    api.add_router("/", portal_router)
    api.add_router("/", reports_router)
    api.add_router("/", payments_router)
    api.add_router("/", delivery_router)
    api.add_router("/", homeservice_router)
    api.add_router("/", correspondence_router)


_mount()

__all__ = ["api", "TokenAuth", "error"]
