"""Pages of the queue: kiosk, live ticket, counter, display board, voice, manager report."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError, PermissionDenied, ValidationFailed
from motcua.core.links import public_url
from motcua.core.spreadsheet import SafeCsvWriter, append_row
from motcua.core.text import ascii_digits
from motcua.notifications.forms import NotifyChoiceForm, notify_choice_record
from motcua.org.models import Citizen, Counter, Office, Role
from motcua.queueing import bookings as booking_rules
from motcua.queueing import selectors, services, voice
from motcua.queueing.api import resolve_office
from motcua.queueing.models import (
    CURRENT_STATUSES,
    Authorisation,
    Booking,
    BookingChannel,
    Method,
    PriorityGroup,
    Service,
    Status,
    Ticket,
)

MANAGER_ROLES = (Role.MANAGER, Role.LEADER, Role.SYSADMIN)


def _offices_for(user: Any) -> list[Office]:
    qs = Office.objects.filter(is_active=True).order_by("code")
    if user.is_superuser:
        return list(qs)
    from motcua.org.permissions import visible_unit_ids

    return list(qs.filter(unit_id__in=visible_unit_ids(user)))


def _office(value: str) -> Office:
    try:
        return resolve_office(value)
    except DomainError:
        raise Http404("office") from None


def _pk(value: Any) -> int:
    """A primary key from a form field; garbage becomes 0, which matches nothing (→ 404)."""
    text = str(value or "").strip()
    return int(text) if ascii_digits(text) and len(text) < 19 else 0


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"message": message}, status=403)


# ---------------------------------------------------------------- public devices


@require_GET
def kiosk(request: HttpRequest, office: str) -> HttpResponse:
    """The check-in kiosk of an office (touch screen, camera)."""
    obj = _office(office)
    return render(
        request,
        "queueing/kiosk.html",
        {
            "office": obj,
            "services": Service.objects.filter(office=obj, active=True).order_by("sort", "code"),
            "priorities": PriorityGroup.objects.all(),
            "device": request.GET.get("device", "kiosk"),
            "server_voice": voice.available(),
        },
    )


@require_GET
def ticket_live(request: HttpRequest, token: str) -> HttpResponse:
    """A ticket's live page (opened from the QR on the slip): position, people ahead, wait."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("service", "office", "counter"), token=token
    )
    return render(
        request, "queueing/ticket.html", {"ticket": ticket, "view": selectors.ticket_view(ticket)}
    )


@require_GET
def ticket_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The slip's QR code (SVG) pointing at the ticket's live page."""
    import segno

    ticket = get_object_or_404(Ticket, token=token)
    url = public_url(reverse("queueing:ticket_live", args=[ticket.token]))
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@require_GET
def board(request: HttpRequest, office: str) -> HttpResponse:
    """The display board of an office (live over server-sent events)."""
    obj = _office(office)
    return render(
        request,
        "queueing/board.html",
        {
            "office": obj,
            "snapshot": selectors.board_snapshot(office=obj),
            "server_voice": voice.available(),
            # Shorter streams (tests, flaky networks); EventSource reconnects and resumes.
            "sse_max": request.GET.get("sse_max", "")
            if ascii_digits(request.GET.get("sse_max") or "")
            else "",
        },
    )


_DISPLAY_RE = re.compile(r"[A-Z]{0,2}\d{1,5}")


@require_GET
def voice_call(request: HttpRequest) -> HttpResponse:
    """WAV of 'Mời công dân có số thứ tự … đến quầy số …' (espeak-ng), 404 when no server voice."""
    display = (request.GET.get("so") or "").upper()
    counter = request.GET.get("quay") or ""
    if not _DISPLAY_RE.fullmatch(display) or not ascii_digits(counter) or int(counter) > 999:
        raise Http404("bad call")
    if not voice.available():
        raise Http404("no server voice")
    response = HttpResponse(voice.call_audio(display, int(counter)), content_type="audio/wav")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def kiosk_voice(request: HttpRequest, office: str) -> HttpResponse:
    """A kiosk screen read aloud: WAV in the board's voice (espeak-ng), or its words as JSON
    (`?dang=chu`, for the browser's speech when the server has no voice)."""
    from motcua.queueing.kiosk_speech import SCREENS, kiosk_phrase_parts

    obj = _office(office)
    screen = request.GET.get("man-hinh", "")
    ticket = (request.GET.get("so") or "").upper()
    if screen not in SCREENS or (ticket and not _DISPLAY_RE.fullmatch(ticket)):
        raise Http404("bad screen")

    def count(name: str) -> int | None:
        value = request.GET.get(name) or ""
        return min(int(value), 9999) if ascii_digits(value) else None

    services = Service.objects.filter(office=obj, active=True).order_by("sort", "code")
    service = services.filter(code=request.GET.get("dich-vu") or "").first()
    try:
        parts = kiosk_phrase_parts(
            screen,
            services=[s.name for s in services],
            ticket=ticket or None,
            service=service.name if service else None,
            ahead=count("truoc"),
            wait_minutes=count("phut"),
            booking=request.GET.get("hen") == "1",
        )
    except ValueError:
        raise Http404("bad screen") from None
    if request.GET.get("dang") == "chu" or not voice.available():
        return JsonResponse({"text": " ".join(parts), "server_voice": voice.available()})
    response = HttpResponse(
        voice.join_wavs([voice.part_wav(p) for p in parts]), content_type="audio/wav"
    )
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- staff


@login_required
def counter_select(request: HttpRequest) -> HttpResponse:
    """Choose the counter you sit at."""
    offices = _offices_for(request.user)
    counters = (
        Counter.objects.filter(office__in=offices, is_active=True)
        .select_related("office")
        .order_by("office__code", "number")
    )
    return render(
        request,
        "queueing/counter_select.html",
        {"counters": counters, "offices": offices, "may_report": _may_report(request.user)},
    )


@login_required
def board_select(request: HttpRequest) -> HttpResponse:
    """Links to the boards and kiosks of your offices."""
    return render(request, "queueing/board_select.html", {"offices": _offices_for(request.user)})


def _counter_for(request: HttpRequest, counter_id: int) -> Counter:
    counter = get_object_or_404(Counter.objects.select_related("office"), pk=counter_id)
    services._require_staff(request.user, counter.office)
    return counter


@login_required
def counter_page(request: HttpRequest, counter_id: int) -> HttpResponse:
    """The counter: call next, recall, no-show, transfer, park, start, finish; face check; receive a dossier."""
    try:
        counter = _counter_for(request, counter_id)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    current = (  # the latest called, as the API's buttons and the press take it
        Ticket.objects.filter(counter=counter, status__in=CURRENT_STATUSES)
        .select_related("service", "citizen", "priority")
        .order_by("-called_at", "-id")
        .first()
    )
    parked = Ticket.objects.filter(
        counter=counter, status=Status.PARKED, service_date=clock.today()
    ).select_related("service")
    my_services = Service.objects.filter(counter_links__counter=counter, active=True)
    waiting = [
        {
            "service": s,
            "line": len(ids),
            "next": list(Ticket.objects.filter(pk__in=ids[:3]).values_list("display", flat=True)),
        }
        for s in my_services
        for ids in [selectors.line_for_service(office=counter.office_id, service=s.pk)]
    ]
    receive_url = ""
    if current and current.citizen is not None:
        try:
            base = reverse("dossiers:receive")
        except Exception:
            base = "/can-bo/ho-so/tiep-nhan/"
        receive_url = f"{base}?citizen={current.citizen.id_number}&ticket={current.pk}"
    today = clock.today()
    served_today = Ticket.objects.filter(
        counter=counter, service_date=today, status=Status.DONE
    ).count()
    ctx = {
        "counter": counter,
        "current": current,
        "waited_s": int((current.called_at - current.waiting_since).total_seconds())
        if current and current.called_at
        else None,
        "parked": parked,
        "waiting": waiting,
        "all_services": Service.objects.filter(office=counter.office, active=True),
        "other_counters": Counter.objects.filter(office=counter.office, is_active=True).exclude(
            pk=counter.pk
        ),
        "receive_url": receive_url,
        "served_today": served_today,
    }
    return render(request, "queueing/counter.html", ctx)


# The counter page's one-press buttons (the API's call-next with `end`): the ending of each.
_PRESS_ENDINGS = {
    "finish-next": ("finish", "Đã kết thúc"),
    "no-show-next": ("no-show", "Đã báo vắng mặt"),
}


@login_required
@require_POST
def counter_action(request: HttpRequest, counter_id: int, action: str) -> HttpResponse:
    """One button of the counter page (POST, then back to the page)."""
    try:
        counter = _counter_for(request, counter_id)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    user = request.user
    ticket = None
    if request.POST.get("ticket"):
        ticket = get_object_or_404(Ticket, pk=_pk(request.POST["ticket"]), office=counter.office)
    try:
        if action == "call-next":
            called = services.ticket_call_next(counter=counter, officer=user)
            if called is None:
                messages.info(request, "Hiện không có công dân nào đang chờ.")
            else:
                messages.success(request, f"Đã gọi số {called.display}.")
        elif ticket is None:
            messages.error(request, "Chưa chọn số thứ tự.")
        elif action == "recall":
            services.ticket_recall(ticket=ticket, officer=user)
        elif action == "no-show":
            services.ticket_no_show(ticket=ticket, officer=user)
        elif action == "start":
            services.ticket_start(ticket=ticket, officer=user)
        elif action == "finish":
            services.ticket_finish(ticket=ticket, officer=user)
        elif action in _PRESS_ENDINGS:  # one press: end this ticket and call the next
            end, done = _PRESS_ENDINGS[action]
            # A stale page (the ticket parked, moved or ended since) is refused by the press:
            # it must end the counter's current ticket, the one named.
            called = services.ticket_call_next_ending(
                counter=counter, officer=user, end=end, display=ticket.display, must_end=True
            )
            if called is None:
                messages.info(
                    request,
                    f"{done} số {ticket.display}. Hiện không có công dân nào đang chờ.",
                )
            else:
                messages.success(request, f"{done} số {ticket.display} và gọi số {called.display}.")
        elif action == "park":
            services.ticket_park(ticket=ticket, officer=user)
        elif action == "resume":
            services.ticket_resume(ticket=ticket, officer=user)
        elif action == "transfer":
            to_service = Service.objects.filter(
                pk=_pk(request.POST.get("to_service")), office=counter.office
            ).first()
            to_counter = Counter.objects.filter(
                pk=_pk(request.POST.get("to_counter")), office=counter.office
            ).first()
            services.ticket_transfer(
                ticket=ticket, to_service=to_service, to_counter=to_counter, officer=user
            )
            messages.success(request, f"Đã chuyển số {ticket.display}.")
        else:
            raise Http404("action")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("queueing:counter", counter_id=counter.pk)


@login_required
@require_POST
def counter_face_check(request: HttpRequest, counter_id: int) -> JsonResponse:
    """Optional 1:1 check that the person at the counter holds the current ticket."""
    from motcua.biometrics import services as bio

    try:
        counter = _counter_for(request, counter_id)
        ticket = get_object_or_404(Ticket, pk=_pk(request.POST.get("ticket")), counter=counter)
        upload = request.FILES.get("image")
        if upload is None or ticket.citizen is None:
            return JsonResponse(
                {"code": "image_required", "message": "Cần ảnh chụp và số đã xác định công dân."},
                status=400,
            )
        probe = bio.face_analyse(image=upload.read())
        result = bio.face_verify(
            citizen=ticket.citizen,
            office=counter.office,
            probe=probe,
            device=f"counter:{counter.number}",
            actor=request.user,  # type: ignore[arg-type]
        )
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    if result.score is None:
        message = "Công dân chưa đăng ký khuôn mặt; hãy đối chiếu giấy tờ."
    elif result.matched:
        message = "Khớp: người tại quầy là chủ số thứ tự."
    else:
        message = "Không khớp: hãy kiểm tra giấy tờ tùy thân."
    return JsonResponse({"matched": result.matched, "score": result.score, "message": message})


# ---------------------------------------------------------------- guidance desk

DESK_ROLES = services.DESK_ROLES


def _desk_office(request: HttpRequest) -> Office | None:
    offices = _offices_for(request.user)
    wanted = request.POST.get("office") or request.GET.get("office") or ""
    for office in offices:
        if wanted in (office.code, str(office.pk)):
            return office
    return offices[0] if offices else None


def _known_or_new_citizen(id_number: str, full_name: str, officer: Any) -> Citizen:
    """The person whose ID card the officer holds: the saved record (names must agree) or a new one."""
    from motcua.core.text import fold
    from motcua.org.services import citizen_upsert

    id_number = (id_number or "").strip()
    found = Citizen.objects.filter(id_number=id_number).first()
    if found is None or not found.verified:
        # New, or known only from what was typed online: the card in the officer's hand decides.
        return citizen_upsert(id_number=id_number, full_name=full_name, actor=officer)
    if full_name.strip() and fold(full_name) != fold(found.full_name):
        raise ValidationFailed(
            f"Họ tên “{full_name.strip()}” không khớp với số định danh {id_number} đã lưu. "
            "Kiểm tra lại thẻ căn cước.",
            code="citizen_name_mismatch",
        )
    return found


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """Guidance desk: tickets for authorised proxies, priority confirmed on proof, today's bookings."""
    office = _desk_office(request)
    if office is None:
        return _forbidden(request, "Bạn chưa thuộc bộ phận một cửa nào.")
    try:
        services._require_staff(request.user, office, roles=DESK_ROLES)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    today = clock.today()
    waiting = (
        Ticket.objects.filter(office=office, service_date=today, status=Status.WAITING)
        .select_related("service", "citizen", "priority", "on_behalf_of")
        .order_by("waiting_since")
    )
    authorisations = (
        Authorisation.objects.filter(
            office=office, valid_to__gte=today, valid_from__lte=today, revoked_at__isnull=True
        )
        .select_related("principal", "agent")
        .order_by("-recorded_at")
    )
    bookings = (
        Booking.objects.filter(office=office, slot_start__date=today)
        .select_related("service", "citizen")
        .order_by("slot_start")
    )
    # Booking on someone's behalf (a phone call, an elderly visitor): pick service and day, then a slot.
    services_list = list(Service.objects.filter(office=office, active=True))
    book_service = next((x for x in services_list if str(x.pk) == request.GET.get("dv", "")), None)
    book_days = (
        booking_rules.booking_days(office=office, service=book_service) if book_service else []
    )
    book_day: date | None
    try:
        book_day = date.fromisoformat(request.GET.get("ngay", ""))
    except ValueError:
        book_day = book_days[0] if book_days else None
    book_slots = (
        booking_rules.booking_slots(office=office, service=book_service, day=book_day)
        if book_service and book_day
        else []
    )
    ctx = {
        "book_service": book_service,
        "book_days": book_days,
        "book_day": book_day,
        "book_slots": book_slots,
        "form": NotifyChoiceForm(),
        "office": office,
        "offices": _offices_for(request.user),
        "waiting": waiting,
        "groups": PriorityGroup.objects.all(),
        "authorisations": authorisations,
        "bookings": bookings,
        "services_list": services_list,
        "issued": Ticket.objects.filter(pk=_pk(request.GET.get("cap")), office=office)
        .select_related("service", "citizen", "on_behalf_of")
        .first(),
    }
    return render(request, "queueing/desk.html", ctx)


@login_required
@require_POST
def desk_action(request: HttpRequest, action: str) -> HttpResponse:
    office = _desk_office(request)
    if office is None:
        raise Http404("office")
    user = request.user
    try:
        services._require_staff(user, office, roles=DESK_ROLES)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    back = f"{reverse('queueing:desk')}?office={office.code}"
    try:
        if action == "uy-quyen":
            service = Service.objects.filter(
                pk=_pk(request.POST.get("service")), office=office, active=True
            ).first()
            if service is None:
                raise ValidationFailed("Chưa chọn dịch vụ.", code="service_required")
            agent = _known_or_new_citizen(
                request.POST.get("agent_id", ""), request.POST.get("agent_name", ""), user
            )
            principal = _known_or_new_citizen(
                request.POST.get("principal_id", ""), request.POST.get("principal_name", ""), user
            )
            valid_to = None
            if request.POST.get("valid_to"):
                from motcua.core.dates import parse_date

                try:
                    valid_to = parse_date(request.POST["valid_to"])
                except ValueError:
                    raise ValidationFailed(
                        "Ngày hết hiệu lực không hợp lệ: nhập theo dạng ngày/tháng/năm (dd/mm/yyyy).",
                        code="date_invalid",
                    ) from None
            result = services.ticket_issue_for_proxy(
                office=office, service=service, agent=agent, principal=principal, officer=user,
                document=request.POST.get("document", ""), valid_to=valid_to,
            )  # fmt: skip
            t = result.ticket
            if result.reused:
                messages.info(
                    request, f"{agent.full_name} đã có số {t.display} cho việc này hôm nay."
                )
            else:
                messages.success(
                    request,
                    f"Đã cấp số {t.display} cho {agent.full_name}, làm thay {principal.full_name}.",
                )
            return redirect(f"{back}&cap={t.pk}")
        if action == "uu-tien":
            ticket = get_object_or_404(Ticket, pk=_pk(request.POST.get("ticket")), office=office)
            code = request.POST.get("group") or ""
            group = PriorityGroup.objects.filter(code=code).first() if code else None
            if code and group is None:
                raise ValidationFailed("Nhóm ưu tiên không hợp lệ.", code="priority_invalid")
            services.ticket_set_priority(
                ticket=ticket, group=group, officer=user, note=request.POST.get("note", "")
            )
            messages.success(
                request,
                f"Số {ticket.display}: "
                + (f"ưu tiên “{group.name}”." if group else "bỏ diện ưu tiên."),
            )
        elif action == "dat-lich":
            service = get_object_or_404(
                Service, pk=_pk(request.POST.get("service")), office=office, active=True
            )
            try:
                slot_start = datetime.fromisoformat(request.POST.get("slot", ""))
            except ValueError:
                raise booking_rules.BookingSlotInvalid() from None
            choice = NotifyChoiceForm(request.POST)
            if not choice.is_valid():
                raise ValidationFailed(
                    " ".join(str(e) for errs in choice.errors.values() for e in errs),
                    code="notify_choice_invalid",
                )
            with transaction.atomic():  # the booking and the caller's choice of channels
                booking = booking_rules.booking_book(
                    office=office, service=service, slot_start=slot_start,
                    id_number=request.POST.get("id_number", ""),
                    full_name=request.POST.get("full_name", ""),
                    phone=request.POST.get("phone", ""),
                    channel=BookingChannel.STAFF, created_by=user,
                )  # fmt: skip
                notify_choice_record(
                    choice, citizen=booking.citizen, phone=booking.phone, actor=user
                )
            when = clock.local(booking.slot_start).strftime("%H:%M ngày %d/%m/%Y")
            messages.success(
                request,
                f"Đã đặt lịch hẹn {booking.code} lúc {when} cho {booking.citizen.full_name}.",
            )
        elif action == "huy-lich":
            booking = get_object_or_404(Booking, pk=_pk(request.POST.get("booking")), office=office)
            booking_rules.booking_cancel_by_staff(
                booking=booking, user=user, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"Đã hủy lịch hẹn {booking.code or ''}.")
        elif action == "thu-hoi":
            auth = get_object_or_404(
                Authorisation, pk=_pk(request.POST.get("authorisation")), office=office
            )
            services.authorisation_revoke(authorisation=auth, officer=user)
            messages.success(request, "Đã thu hồi ủy quyền.")
        else:
            raise Http404("action")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


# ---------------------------------------------------------------- manager report


def _report_params(request: HttpRequest) -> tuple[Office | None, date, date]:
    offices = _offices_for(request.user)
    office = next(
        (o for o in offices if str(o.pk) == request.GET.get("office")),
        offices[0] if offices else None,
    )
    today = clock.today()
    from motcua.core.dates import INVALID_MESSAGE, parse_date

    try:
        start = parse_date(request.GET.get("from")) or today - timedelta(days=6)
        end = parse_date(request.GET.get("to")) or today
    except ValueError:
        messages.error(request, INVALID_MESSAGE)
        start, end = today - timedelta(days=6), today
    if end < start:
        start, end = end, start
    return office, start, end


def _may_report(user: Any) -> bool:
    return bool(user.is_superuser or set(MANAGER_ROLES) & user.role_set())


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Manager figures: served per day, counter, officer and method; waits, service times, no-shows, blocked."""
    if not _may_report(request.user):
        return _forbidden(request, "Báo cáo xếp hàng dành cho cán bộ quản lý, lãnh đạo.")
    office, start, end = _report_params(request)
    ctx: dict[str, Any] = {
        "offices": _offices_for(request.user),
        "office": office,
        "start": start,
        "end": end,
    }
    if office is not None:
        ctx.update(
            totals=selectors.report_totals(office=office, start=start, end=end),
            rows=selectors.report_summary(office=office, start=start, end=end),
            blocked=selectors.report_blocked(office=office, start=start, end=end),
            served=selectors.report_served(office=office, start=start, end=end)[:500],
            methods=dict(Method.choices),
        )
        ctx["daily_chart"] = _daily_chart(ctx["rows"])
    return render(request, "queueing/report.html", ctx)


def _daily_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Served and no-shows per day (the summary rows are per day, counter, officer, method)."""
    from motcua.web import chartdata

    days: dict[date, dict[str, Any]] = {}
    for r in rows:
        day = days.setdefault(r["date"], {"label": r["date"], "served": 0, "no_shows": 0})
        day["served"] += r["served"]
        day["no_shows"] += r["no_shows"]
    if not days:
        return None
    return chartdata.count_bars(
        chart_id="luot-phuc-vu",
        title="Lượt phục vụ và vắng mặt theo ngày",
        rows=[days[d] for d in sorted(days)],
        series=[("served", "Đã phục vụ"), ("no_shows", "Vắng mặt khi gọi")],
        group_label="Ngày",
        axis_title="Số lượt",
        horizontal=False,
    )


EXPORT_HEADER = [
    "Ngày", "Số thứ tự", "Dịch vụ", "Công dân", "Số CCCD", "Cách nhận diện", "Quầy", "Cán bộ",
    "Trạng thái", "Cấp số lúc", "Gọi lúc", "Kết thúc lúc", "Chờ (giây)", "Phục vụ (giây)",
]  # fmt: skip


def _block_reason_label(code: str) -> str:
    from motcua.queueing.models import BlockReason

    return str(BlockReason(code).label) if code in BlockReason.values else code


def _secs(value: Any) -> int | str:
    return int(value.total_seconds()) if value is not None else ""


def _export_rows(office: Office, start: date, end: date) -> list[list[Any]]:
    rows = []
    for t in selectors.report_served(office=office, start=start, end=end):
        rows.append(
            [
                f"{t.service_date:%d/%m/%Y}",
                t.display,
                t.service.name,
                t.citizen.full_name if t.citizen else "",
                t.citizen.id_number if t.citizen else "",
                t.get_method_display(),
                t.counter.number if t.counter else "",
                str(t.officer) if t.officer else "",
                t.get_status_display(),
                clock.local(t.issued_at).strftime("%H:%M:%S"),
                clock.local(t.called_at).strftime("%H:%M:%S") if t.called_at else "",
                clock.local(t.finished_at).strftime("%H:%M:%S") if t.finished_at else "",
                _secs(getattr(t, "wait", None)),
                _secs(getattr(t, "service_time", None)) if t.status == Status.DONE else "",
            ]
        )
    return rows


@login_required
def report_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The served list as CSV or XLSX."""
    if not _may_report(request.user):
        return _forbidden(request, "Báo cáo xếp hàng dành cho cán bộ quản lý, lãnh đạo.")
    office, start, end = _report_params(request)
    if office is None:
        raise Http404("office")
    rows = _export_rows(office, start, end)
    name = f"xep-hang-{office.code}-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 Vietnamese correctly with a BOM
        writer = SafeCsvWriter(buf)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(rows)
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Lượt phục vụ"
        append_row(ws, EXPORT_HEADER)
        for r in rows:
            append_row(ws, r)
        summary = wb.create_sheet("Tổng hợp")
        append_row(
            summary,
            [
                "Ngày",
                "Quầy",
                "Cán bộ",
                "Cách nhận diện",
                "Đã phục vụ",
                "Vắng mặt",
                "Chờ TB (giây)",
                "Phục vụ TB (giây)",
            ],
        )
        for s in selectors.report_summary(office=office, start=start, end=end):
            append_row(
                summary,
                [
                    f"{s['date']:%d/%m/%Y}",
                    s["counter"],
                    s["officer"],
                    Method(s["method"]).label,
                    s["served"],
                    s["no_shows"],
                    s["avg_wait_s"],
                    s["avg_service_s"],
                ],
            )
        blocked = wb.create_sheet("Lượt bị chặn")
        append_row(blocked, ["Ngày", "Lý do", "Số lượt"])
        for day, reasons in selectors.report_blocked(office=office, start=start, end=end).items():
            for reason, n in reasons.items():
                append_row(
                    blocked, [f"{date.fromisoformat(day):%d/%m/%Y}", _block_reason_label(reason), n]
                )
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404("format")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
