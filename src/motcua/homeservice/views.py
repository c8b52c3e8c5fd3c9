"""Pages of home visits: public booking and status, the desk's booking, dispatch, the phone page."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.homeservice import selectors, services
from motcua.homeservice.forms import DeskVisitForm, PublicVisitForm, VisitForm, VisitLookupForm
from motcua.homeservice.models import HomeServiceRule, HomeVisit, VisitChannel
from motcua.notifications.forms import notify_choice_record
from motcua.org.models import Role, Unit

RATE_BOOK = "10/m"
RATE_LOOKUP = "20/m"


def _units() -> list[Unit]:
    return list(Unit.objects.filter(home_rule__enabled=True).order_by("name"))


def _procedures() -> list[Any]:
    """Current versions that some unit's rule lets be done at home."""
    from motcua.catalog.selectors import published_versions

    rules = list(HomeServiceRule.objects.filter(enabled=True))
    return [
        v
        for v in published_versions().select_related("procedure", "field").order_by("name")
        if any(services.home_capable(v, r) for r in rules)
    ]


def _too_fast(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/message.html",
        {
            "heading": "Thao tác quá nhanh",
            "message": "Bạn thao tác quá nhanh, vui lòng thử lại sau ít phút.",
        },  # fmt: skip
        status=429,
    )


def _book_from(form: VisitForm, procedures: list[Any], **kw: Any) -> HomeVisit:
    data = form.cleaned_data
    version = next(v for v in procedures if v.procedure.code == data["procedure"])
    return services.visit_book(
        unit=Unit.objects.get(code=data["unit"]),
        version=version,
        full_name=data["full_name"],
        id_number=data["id_number"],
        phone=data["phone"],
        address=data["address"],
        day=data["date"],
        half_day=data["half_day"],
        eligibility=data["eligibility"],
        needs=data["needs"],
        **kw,
    )


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Book a home visit (works without JavaScript except the automatic anti-robot check)."""
    units, procedures = _units(), _procedures()
    form = PublicVisitForm(request.POST or None, units=units, procedures=procedures)
    status = 200
    if request.method == "POST":
        if is_ratelimited(request, group="homeservice.book", key="ip", rate=RATE_BOOK,
                          increment=True):  # fmt: skip
            return _too_fast(request)
        if form.is_valid():
            try:
                with transaction.atomic():  # the visit and the citizen's choice of channels
                    visit = _book_from(form, procedures, channel=VisitChannel.PORTAL)
                    if form.cleaned_data.get("notify_consent"):
                        from motcua.notifications.services import contact_preference_record

                        contact_preference_record(
                            citizen=visit.citizen,
                            consent=True,
                            channels=list(form.cleaned_data.get("notify_channels") or []) or None,
                            phone=visit.phone,
                            email=form.cleaned_data.get("notify_email") or "",
                            source="booking",
                            if_absent=True,  # an anonymous form never changes a recorded choice
                        )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                return render(request, "homeservice/book_done.html", {"v": visit})
        else:
            status = 400
    return render(request, "homeservice/book.html", {"form": form, "units": units}, status=status)


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """The citizen's status page: who is coming and when; cancel with the code."""
    from motcua.core.throttle import verifier_guard
    from motcua.homeservice.api import public_view

    form = VisitLookupForm(request.POST or None, initial={"code": request.GET.get("ma", "")[:20]})
    visit, info, error, status = None, None, "", 200
    if request.method == "POST":
        if is_ratelimited(request, group="homeservice.lookup", key="ip", rate=RATE_LOOKUP,
                          increment=True):  # fmt: skip
            return _too_fast(request)
        if form.is_valid():
            code, proof = form.cleaned_data["code"], form.cleaned_data["verify"]
            try:
                with verifier_guard("home_visit", code, mismatch={"home_visit_not_found"}):
                    if request.POST.get("huy"):
                        visit = services.visit_cancel_by_citizen(code=code, proof=proof)
                    else:
                        visit = services.visit_verify(code=code, proof=proof)
            except DomainError as exc:
                error, status = exc.message, exc.status
        else:
            status = 400
    if visit is not None:
        info = public_view(visit)
        info["eta_at"] = datetime.fromisoformat(info["eta"]) if info["eta"] else None
    return render(
        request,
        "homeservice/lookup.html",
        {"form": form, "v": visit, "info": info, "error": error},
        status=status,
    )


def _staff_units(request: HttpRequest, roles: tuple[str, ...]) -> list[Unit]:
    units = selectors.staff_units(request.user, roles)
    if not units:
        raise Http404("Bạn không phụ trách lịch phục vụ tại nhà của đơn vị nào.")
    return units


def _pick_unit(request: HttpRequest, units: list[Unit]) -> Unit:
    wanted = request.GET.get("don-vi") or request.POST.get("don-vi")
    current = getattr(request, "current_unit", None)
    for u in units:
        if u.code == wanted:
            return u
    for u in units:
        if current is not None and u.pk == current.pk:
            return u
    return units[0]


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return clock.today()


@login_required
@require_http_methods(["GET", "POST"])
def dispatch(request: HttpRequest) -> HttpResponse:
    """The manager's page: requests and each officer's plan of a day; assign, reorder."""
    units = _staff_units(request, (Role.MANAGER,))
    unit = _pick_unit(request, units)
    day = _day(request.GET.get("ngay") or request.POST.get("ngay"))
    if request.method == "POST":
        visit = HomeVisit.objects.filter(code=request.POST.get("ma", ""), unit=unit).first()
        if visit is None:
            raise Http404
        try:
            if request.POST.get("thao-tac") in ("len", "xuong"):
                step = -1 if request.POST["thao-tac"] == "len" else 1
                services.visit_move(visit=visit, actor=request.user, step=step)
            else:
                services.visit_act(
                    code=visit.code,
                    action="assign",
                    key=request.POST.get("key") or secrets.token_hex(8),
                    actor=request.user,
                    params={"officer": request.POST.get("can-bo")},
                )
                messages.success(request, f"Đã phân công lịch {visit.code}.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('homeservice:dispatch')}?don-vi={unit.code}&ngay={day:%Y-%m-%d}")
    return render(
        request,
        "homeservice/dispatch.html",
        {
            "units": units,
            "unit": unit,
            "day": day,
            "plans": selectors.day_plan(unit, day),
            "officers": services.officers_of(unit),
            "form_key": secrets.token_hex(8),
        },
    )


@login_required
def day_sheet(request: HttpRequest) -> HttpResponse:
    """A printable day sheet (print stylesheet) of one unit, or one officer."""
    units = _staff_units(request, (Role.MANAGER, Role.HOME_SERVICE))
    unit = _pick_unit(request, units)
    day = _day(request.GET.get("ngay"))
    plans = selectors.day_plan(unit, day)
    who = request.GET.get("can-bo")
    if who:
        for plan in plans:
            plan.officers = [p for p in plan.officers if p.officer.username == who]
    return render(request, "homeservice/day_sheet.html", {"unit": unit, "day": day, "plans": plans})


@login_required
@require_http_methods(["GET", "POST"])
def desk_book(request: HttpRequest) -> HttpResponse:
    """The guidance desk books a home visit for a caller (no anti-robot check)."""
    units = _staff_units(request, services.DESK_ROLES)
    procedures = _procedures()
    form = DeskVisitForm(request.POST or None, units=units, procedures=procedures)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():  # the visit and the caller's choice of channels
                    visit = _book_from(form, procedures, channel=VisitChannel.DESK,
                                       created_by=request.user)  # fmt: skip
                    notify_choice_record(
                        form, citizen=visit.citizen, phone=visit.phone, actor=request.user
                    )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"Đã đặt lịch tại nhà {visit.code} cho {visit.full_name}, "
                    f"{visit.get_half_day_display().lower()} {visit.date:%d/%m/%Y}. "
                    "Hãy đọc mã lịch hẹn cho người gọi.",
                )
                return redirect("homeservice:desk_book")
        else:
            status = 400
    return render(request, "homeservice/desk_book.html", {"form": form}, status=status)


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """The officer's phone page: today's visits in order; actions work offline (homevisit.js)."""
    _staff_units(request, (Role.HOME_SERVICE,))
    day = clock.today()
    visits = selectors.officer_today(request.user, day)
    for v in visits:
        at = selectors.eta(v)
        v.eta_at = clock.local(at) if at else None  # type: ignore[attr-defined]
    return render(
        request,
        "homeservice/today.html",
        {"visits": visits, "day": day, "rendered_at": clock.local(clock.now())},
    )


@login_required
def service_worker(request: HttpRequest) -> HttpResponse:
    """The phone page's service worker (static code; served here so that its scope is
    /can-bo/tai-nha/). Not cached by the browser's HTTP cache: an update reaches phones at once."""
    from pathlib import Path

    code = (Path(__file__).parent / "static" / "homeservice" / "sw.js").read_bytes()
    response = HttpResponse(code, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
