"""The current unit of an official who works for several units (chosen with the unit switcher)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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


def _current_unit(request: HttpRequest):  # type: ignore[no-untyped-def]
    from motcua.org.models import Unit

    units = (
        Unit.objects.filter(staff_roles__user_id=int(request.user.pk or 0))
        .distinct()
        .order_by("level", "name")
    )
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        unit = units.filter(pk=chosen).first()
        if unit:
            return unit
    return units.first()
