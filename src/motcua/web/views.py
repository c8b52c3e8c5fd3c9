"""Back-office shell: login, home, unit switcher, catalogue view; health check."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from motcua.web.forms import LoginForm
from motcua.web.middleware import SESSION_KEY


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and bookmarks ask for at the site root."""
    from django.contrib.staticfiles import finders

    path = finders.find("web/favicon.ico")
    if not path:  # pragma: no cover - the file ships with the app
        raise Http404("favicon")
    with open(path, "rb") as fh:
        response = HttpResponse(fh.read(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"  # a week: the name has no hash
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: `{"code", "message"}` under /api/ (an unknown route too), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": "Không tìm thấy địa chỉ hoặc dữ liệu yêu cầu."},
            status=404,
        )
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def ratelimited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    body = {
        "code": "rate_limited",
        "message": "Bạn thao tác quá nhanh, vui lòng thử lại sau ít phút.",
    }
    if request.path.startswith("/api/") or request.headers.get("accept", "").startswith(
        "application/json"
    ):
        return JsonResponse(body, status=429)
    return render(request, "web/error.html", {"message": body["message"]}, status=429)


class LogoutView(auth_views.LogoutView):
    """Logout that also tells the browser to drop its HTTP cache of our pages (Clear-Site-Data):
    pages such as the home-service officer's day list hold citizens' addresses and phones. The
    officer page's service worker drops its own kept copy when the page next answers with the
    login page (homeservice/static/homeservice/sw.js). Storage is not cleared: the officer's
    unsent offline actions wait there."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache"'
        return response


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Password spraying (many usernames from one address) counts with the token API's.
        from motcua.core.errors import DomainError
        from motcua.core.throttle import login_failed, login_spray_check

        try:
            login_spray_check(request)
        except DomainError as exc:
            return render(request, "web/error.html", {"message": exc.message}, status=429)
        response = super().post(request, *args, **kwargs)
        if not request.user.is_authenticated:
            login_failed(request)
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from motcua.web.selectors import home_summary

    unit = getattr(request, "current_unit", None)
    return render(request, "web/home.html", home_summary(user=request.user, unit=unit))


@login_required
@require_POST
def switch_unit(request: HttpRequest) -> HttpResponse:
    from motcua.org.models import Unit

    unit = Unit.objects.filter(
        pk=str(request.POST.get("unit") or 0), staff_roles__user_id=int(request.user.pk or 0)
    ).first()
    if unit is None:
        messages.error(request, "Bạn không thuộc đơn vị này.")
    else:
        request.session[SESSION_KEY] = unit.pk
        messages.success(request, f"Đang làm việc tại: {unit.name}")
    return redirect(local_next(request, request.POST.get("next")) or "web:home")


def local_next(request: HttpRequest, target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never an open redirect
    (`https://evil.example`, `//evil.example`, `/\\evil.example`, `javascript:`...)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    from motcua.catalog.selectors import procedure_search

    q = request.GET.get("q", "")
    versions = procedure_search(q=q)[:200]
    return render(request, "web/catalog.html", {"versions": versions, "q": q})
