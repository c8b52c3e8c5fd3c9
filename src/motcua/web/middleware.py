"""The current unit of an official who works for several units (chosen with the unit switcher)."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

SESSION_KEY = "motcua_unit_id"


class CurrentUnitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current_unit = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            request.current_unit = _current_unit(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class ApiRequestMiddleware:
    """Two guards of the API (/api/), after AuthenticationMiddleware:

    - a write with a logged-in session but no valid CSRF token is anonymous: operations for
      officials then answer 403 `csrf_failed`, those open to everyone run as an anonymous
      caller (motcua.core.auth);
    - a path or query holding a NUL byte or a lone surrogate answers 422 `invalid_text`
      (request bodies are checked by the input schemas, motcua.core.schemas);
    - a method an operation does not have answers 405 with `{"code", "message"}` too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            from motcua.core.auth import drop_session_without_csrf
            from motcua.core.schemas import TEXT_ERROR
            from motcua.core.text import unstorable

            texts = [request.path, *request.GET.keys()]
            texts += [v for values in request.GET.lists() for v in values[1]]
            if any(unstorable(t) for t in texts):
                return JsonResponse({"code": "invalid_text", "message": TEXT_ERROR}, status=422)
            drop_session_without_csrf(request)
            response = self.get_response(request)
            if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
                allowed = response.get("Allow", "")
                response = JsonResponse(
                    {"code": "method_not_allowed", "message": "Phương thức không được hỗ trợ."},
                    status=405,
                )
                response["Allow"] = allowed
            return response
        return self.get_response(request)


def _current_unit(request: HttpRequest):  # type: ignore[no-untyped-def]
    from motcua.org.models import StaffRole, Unit

    user_id = int(request.user.pk or 0)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        unit = Unit.objects.filter(pk=chosen, staff_roles__user_id=user_id).first()
        if unit:
            return unit
    # Without a choice, the unit of the official's first-assigned role (their main post),
    # unless their work waits in another of their units: then they land where it is.
    unit_ids = list(
        dict.fromkeys(
            StaffRole.objects.filter(user_id=user_id)
            .order_by("pk")
            .values_list("unit_id", flat=True)
        )
    )
    if not unit_ids:
        return None
    landing = unit_ids[0]
    if len(unit_ids) > 1:
        from motcua.dossiers.selectors import waiting_by_unit

        waiting = waiting_by_unit(user=request.user, unit_ids=unit_ids)
        busiest = max(unit_ids, key=lambda pk: waiting.get(pk, 0))  # first wins a tie
        if waiting.get(busiest, 0) > waiting.get(landing, 0):
            landing = busiest
        # Remember the landing for the session: the unit must not change under the official's
        # feet while they work (the switcher still changes it).
        request.session[SESSION_KEY] = landing
    return Unit.objects.filter(pk=landing).first()


class CompressionMiddleware(GZipMiddleware):
    """gzip for HTML and JSON answers; streams (server-sent events, files) pass untouched.

    Django's GZipMiddleware pads every compressed body with random bytes against BREACH
    since 4.2 and CSRF tokens are masked per response, so compressing pages that carry
    secrets is safe. Streams are skipped: an event stream must reach the board at once,
    and PDFs, spreadsheets and images are compressed already.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.streaming:
            return response
        return super().process_response(request, response)


def tile_origin() -> str:
    """The map tile server's scheme://host[:port] (settings.MOTCUA["MAP_TILE_URL"]), or ""."""
    from urllib.parse import urlsplit

    from django.conf import settings

    url = settings.MOTCUA.get("MAP_TILE_URL") or ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def payment_gateway_origin() -> str:
    """The online payment gateway's origin (scheme://host:port), where citizens are sent to pay."""
    from urllib.parse import urlsplit

    from motcua.payments.gateways import conf

    parts = urlsplit(conf("PAYMENT_GATEWAY_URL"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's header (settings.CONTENT_SECURITY_POLICY) with the configured map tile
    server allowed as an image source. PDFs shown in the browser's own viewer get no policy:
    Chromium's viewer is embedded into the PDF's document, which `object-src 'none'` blocks."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = tile_origin()
        if origin and not report_only:
            parts.update = {**(parts.update or {}), "img-src": [origin]}
        gateway = payment_gateway_origin()
        if gateway and not report_only:
            # «Thanh toán trực tuyến» posts to our page, which redirects to the gateway: the
            # browser checks form-action on that redirect too.
            parts.update = {**(parts.update or {}), "form-action": [gateway]}
        return parts

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.get("Content-Type", "").startswith("application/pdf"):
            response._csp_exempt = True  # type: ignore[attr-defined]
        return super().process_response(request, response)
