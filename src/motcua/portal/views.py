"""Public portal pages (Cổng dịch vụ công) and the staff pages that feed them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from motcua.core import clock
from motcua.core.cache import cached_figure, shared_page
from motcua.core.errors import DomainError
from motcua.core.text import ascii_digits
from motcua.portal import selectors, services, visitors
from motcua.portal.forms import AnnouncementForm, CommentForm, LookupForm, ServiceRatingForm
from motcua.portal.models import Announcement, Comment, RatingChannel
from motcua.web import chartdata

# Per-client limits (the client is the network address, used only as a cache key, never stored).
RATE_COMMENT = "5/10m"
RATE_STARS = "30/h"
RATE_SERVICE_RATING = "10/m"

STAT_GROUPS = {"unit": "Đơn vị", "field": "Lĩnh vực", "month": "Tháng"}
STAT_SERIES = [
    ("early", "Trước hạn"),
    ("on_time", "Đúng hạn"),
    ("late", "Quá hạn"),
    ("in_progress_on_time", "Đang giải quyết (trong hạn)"),
    ("in_progress_overdue", "Đang giải quyết (quá hạn)"),
]


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count the visit (cache only) and give the visitor an anonymous cookie."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            visitors.visit_touch(request)
        else:
            visitors.visitor_id(request)
        response = view(request, *args, **kwargs)
        visitors.set_cookie(request, response)
        return response

    return wrapper


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=f"portal.{group}", key="ip", rate=rate, increment=True)


def _too_fast(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/message.html",
        {
            "heading": "Thao tác quá nhanh",
            "message": "Bạn thao tác quá nhanh, vui lòng thử lại sau ít phút.",
        },
        status=429,
    )


def _stat_row(row: dict[str, Any]) -> dict[str, Any]:
    """One dossier_stats row with the figures this portal shows, under stable names."""

    def n(*keys: str) -> int:
        for k in keys:
            if row.get(k) is not None:
                return int(row[k])
        return 0

    out = dict(row)
    out["label"] = row.get("name") or row.get("label") or row.get("key") or ""
    out["received"] = n("received")
    out["early"] = n("resolved_early", "early")
    out["on_time"] = n("resolved_on_time", "on_time")
    out["late"] = n("resolved_late", "late")
    out["in_progress_overdue"] = n("in_progress_overdue")
    out["in_progress"] = n("in_progress") or n("in_progress_on_time") + out["in_progress_overdue"]
    out["in_progress_on_time"] = out["in_progress"] - out["in_progress_overdue"]
    out["resolved"] = n("resolved") or out["early"] + out["on_time"] + out["late"]
    out["returned"] = n("returned")
    good = out["early"] + out["on_time"]
    out["on_time_pct"] = round(100 * good / out["resolved"], 1) if out["resolved"] else None
    return out


def _processing_summary() -> dict[str, Any]:
    """This year's dossier figures for the home page (one grouped SQL aggregate, summed here)."""
    from motcua.dossiers.selectors import dossier_stats

    today = clock.today()
    rows = [
        _stat_row(r)
        for r in dossier_stats(date_from=date(today.year, 1, 1), date_to=today, group_by="month")
    ]
    keys = [
        "received",
        "early",
        "on_time",
        "late",
        "in_progress",
        "in_progress_on_time",
        "in_progress_overdue",
        "resolved",
        "returned",
    ]
    total: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    good = total["early"] + total["on_time"]
    total["on_time_pct"] = round(100 * good / total["resolved"], 1) if total["resolved"] else None
    total["overdue"] = total["late"] + total["in_progress_overdue"]
    total["year"] = today.year
    return total


@portal_page
@shared_page("home", ttl=60)  # visitor counts and the year's figures: a minute old at most
def home(request: HttpRequest) -> HttpResponse:
    from motcua.catalog.models import Field

    context = {
        "announcements": list(selectors.announcements_published()[:5]),
        # Aggregates over a year of dossiers: shared for a minute rather than recomputed per visitor.
        "summary": cached_figure("portal:home:summary", _processing_summary, fresh_for=60),
        "counts": visitors.visitor_counts(),
        "links": list(selectors.links()),
        "fields": Field.objects.all(),
        "lookup_form": LookupForm(),
    }
    return render(request, "portal/home.html", context)


@portal_page
@shared_page("procedures", ttl=600, params=frozenset({"linh-vuc", "trang"}))  # not searches
def procedures(request: HttpRequest) -> HttpResponse:
    from motcua.catalog.models import Field
    from motcua.catalog.selectors import procedure_search

    q = request.GET.get("q", "").strip()[:200]
    field = request.GET.get("linh-vuc", "").strip()[:40]
    page = Paginator(procedure_search(q=q, field=field), 30).get_page(request.GET.get("trang"))
    return render(
        request,
        "portal/procedures.html",
        {
            "page": page,
            "q": q,
            "field": field,
            "fields": Field.objects.all(),
            "total": page.paginator.count,
        },
    )


@portal_page
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    from motcua.catalog.models import Channel
    from motcua.catalog.selectors import procedure_current

    version = procedure_current(code=code)
    if version is None:
        raise Http404("Không tìm thấy thủ tục")
    channel_labels = [
        Channel(c).label if c in Channel.values else c for c in (version.channels or [])
    ]
    forms_list = []
    for item in version.forms or []:
        if isinstance(item, dict):
            forms_list.append(
                {"name": item.get("name") or item.get("url", ""), "url": item.get("url", "")}
            )
        else:
            forms_list.append(
                {"name": str(item), "url": str(item) if str(item).startswith(("http", "/")) else ""}
            )
    return render(
        request,
        "portal/procedure_detail.html",
        {"v": version, "channel_labels": channel_labels, "forms_list": forms_list},
    )


@portal_page
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    view = None
    error = ""
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        from motcua.core.throttle import public_lookup_limited

        if public_lookup_limited(request):  # one count with the API's lookup
            return _too_fast(request)
        if form.is_valid():
            from motcua.dossiers.selectors import dossier_public_view

            try:
                view = dossier_public_view(
                    code=form.cleaned_data["code"].strip(), verify=form.cleaned_data["verify"]
                )
            except DomainError as exc:
                error, status = exc.message, exc.status
    else:
        form = LookupForm(initial={"code": request.GET.get("ma", "")[:60]})
    can_rate = False
    money = None
    delivery_choice = None
    if view:
        from motcua.dossiers.models import Dossier
        from motcua.dossiers.services import dossier_by_number

        # The whole row, with its procedure and version: the money and delivery parts below
        # read the fee fields, the channel and the procedure (with `.only("id", "status")`
        # each of them was one more query when touched, 7 per lookup).
        dossier = (
            dossier_by_number(Dossier.objects, form.cleaned_data["code"])
            .select_related("procedure", "procedure_version")
            .first()
        )
        can_rate = bool(
            dossier and dossier.status == 10 and not selectors.rating_exists(dossier=dossier)
        )
        if dossier is not None:
            from motcua.delivery.views import public_choice
            from motcua.payments.views import public_money

            money = public_money(dossier)
            delivery_choice = public_choice(dossier, form.cleaned_data["verify"])
    from urllib.parse import urlencode

    rating_url = ""
    if can_rate and view:
        # The lookup just proved the citizen: the rating page must not ask for the digits again.
        rating_url = (
            reverse("portal:service_rating")
            + "?"
            + urlencode(
                {
                    "ho-so": view["code"],
                    "kenh": "lookup",
                    "xac-nhan": services.rating_token_issue(dossier_code=view["code"]),
                }
            )
        )
    return render(
        request,
        "portal/lookup.html",
        {
            "form": form,
            "view": view,
            "error": error,
            "can_rate": can_rate,
            "rating_url": rating_url,
            "money": money,
            "delivery_choice": delivery_choice,
            "verify": form.cleaned_data.get("verify", "") if money else "",
        },
        status=status,
    )


def _parse_date(value: str | None) -> date | None:
    from motcua.core.dates import parse_date_or

    return parse_date_or(value, None)


STATS_CACHE_SECONDS = 300


@portal_page
@shared_page(
    "statistics", ttl=STATS_CACHE_SECONDS, params=frozenset({"theo", "don-vi", "linh-vuc"})
)
def statistics(request: HttpRequest) -> HttpResponse:
    from motcua.catalog.models import Field
    from motcua.dossiers.selectors import dossier_stats
    from motcua.org.models import Unit

    today = clock.today()
    group = request.GET.get("theo", "unit")
    if group not in STAT_GROUPS:
        group = "unit"
    default_from = date(today.year - (1 if today.month < 12 else 0), (today.month % 12) + 1, 1)
    date_from = _parse_date(request.GET.get("tu")) or default_from
    date_to = _parse_date(request.GET.get("den")) or today
    unit_id = request.GET.get("don-vi", "")
    unit = Unit.objects.filter(pk=int(unit_id)).first() if ascii_digits(unit_id) else None
    field_code = request.GET.get("linh-vuc", "").strip()[:40]
    field = Field.objects.filter(code=field_code).first() if field_code else None
    # Public figures may be a few minutes old; recomputing them per visitor costs ~0.5 s of
    # database time at a million dossiers, which 50 visitors at once would turn into timeouts.
    key = f"portal:stats:{group}:{unit.pk if unit else ''}:{field_code}:{date_from}:{date_to}"
    raw = cached_figure(
        key,
        lambda: dossier_stats(
            unit=unit, field=field, date_from=date_from, date_to=date_to, group_by=group
        ),
        fresh_for=STATS_CACHE_SECONDS,
    )
    rows = [r for r in map(_stat_row, raw) if r["received"]]
    period = f"từ {date_from:%d/%m/%Y} đến {date_to:%d/%m/%Y}"
    chart = chartdata.count_bars(
        chart_id="ket-qua",
        title=f"Số hồ sơ theo kết quả giải quyết, theo {STAT_GROUPS[group].lower()}, {period}",
        rows=rows,
        series=STAT_SERIES,
        group_label=STAT_GROUPS[group],
    )
    pct_chart = chartdata.percent_bars(
        chart_id="dung-han",
        title=f"Tỷ lệ giải quyết trước hạn và đúng hạn theo {STAT_GROUPS[group].lower()}, {period}",
        rows=rows,
        key="on_time_pct",
        series_label="Tỷ lệ đúng hạn",
        target=99,
        group_label=STAT_GROUPS[group],
    )
    return render(
        request,
        "portal/statistics.html",
        {
            "rows": rows,
            "group": group,
            "groups": STAT_GROUPS,
            "chart": chart,
            "pct_chart": pct_chart,
            "date_from": date_from,
            "date_to": date_to,
            "units": Unit.objects.current().order_by("level", "name"),
            "unit": unit,
            "fields": Field.objects.all(),
            "field": field.code if field else "",
            "period": period,
        },
    )


@portal_page
def offices(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/offices.html", selectors.offices_map())


@portal_page
def transparency(request: HttpRequest) -> HttpResponse:
    summary: dict[str, Any] = (
        cache.get_or_set("portal:transparency", selectors.transparency_summary, 300) or {}
    )
    chart = chartdata.count_bars(
        chart_id="thu-tuc-linh-vuc",
        title="Số thủ tục hành chính đã công bố theo lĩnh vực",
        rows=[{"label": r["field__name"], "n": r["n"]} for r in summary["by_field"]],
        series=[("n", "Số thủ tục công bố")],
        group_label="Lĩnh vực",
        axis_title="Số thủ tục",
    )
    return render(request, "portal/transparency.html", {"s": summary, "chart": chart})


@portal_page
def news_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.announcements_published(), 10).get_page(request.GET.get("trang"))
    return render(request, "portal/news_list.html", {"page": page})


def _published_or_404(slug: str) -> Announcement:
    ann = selectors.announcements_published().filter(slug=slug).first()
    if ann is None:
        raise Http404("Không tìm thấy tin bài")
    return ann


def _news_context(
    request: HttpRequest, ann: Announcement, form: CommentForm | None = None
) -> dict[str, Any]:
    vid = visitors.visitor_id(request)
    return {
        "a": ann,
        "rating": selectors.announcement_rating_summary(announcement=ann),
        "my_stars": selectors.visitor_rating(announcement=ann, visitor=vid),
        "comments": selectors.comments_approved(announcement=ann),
        "form": form or CommentForm(),
        "stars": range(1, 6),
    }


@portal_page
def news_detail(request: HttpRequest, slug: str) -> HttpResponse:
    ann = _published_or_404(slug)
    return render(request, "portal/news_detail.html", _news_context(request, ann))


@portal_page
@require_POST
def news_rate(request: HttpRequest, slug: str) -> HttpResponse:
    ann = _published_or_404(slug)
    if _limited(request, "stars", RATE_STARS):
        return _too_fast(request)
    try:
        stars = int(request.POST.get("stars", "0"))
        services.announcement_rate(
            announcement=ann, visitor=visitors.visitor_id(request), stars=stars
        )
        messages.success(request, f"Cảm ơn bạn đã đánh giá {stars} sao.")
    except ValueError:
        messages.error(request, "Số sao phải từ 1 đến 5.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("portal:news_detail", args=[ann.slug]) + "#danh-gia")


@portal_page
@require_POST
def news_comment(request: HttpRequest, slug: str) -> HttpResponse:
    ann = _published_or_404(slug)
    if _limited(request, "comment", RATE_COMMENT):
        return _too_fast(request)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_submit(
                announcement=ann, name=form.cleaned_data["name"], body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Bình luận của bạn đã được gửi và sẽ hiển thị sau khi được kiểm duyệt."
            )
            return redirect(reverse("portal:news_detail", args=[ann.slug]) + "#binh-luan")
    return render(request, "portal/news_detail.html", _news_context(request, ann, form), status=400)


@portal_page
@require_http_methods(["GET", "POST"])
def service_rating(request: HttpRequest) -> HttpResponse:
    """The rating page reached from the QR on a slip or form 01, or from the lookup page."""
    src = request.POST if request.method == "POST" else request.GET
    dossier_code = src.get("ho-so", "").strip()[:60]
    token = src.get("ve", "").strip()[:64]
    lookup_token = src.get("xac-nhan", "").strip()[:200]
    looked_up = bool(
        dossier_code and services.rating_token_valid(lookup_token, dossier_code=dossier_code)
    )
    # The same page serves the QR on a slip (qr), the lookup page (lookup) and a counter
    # tablet or kiosk opening /danh-gia/?ve=TOKEN&kenh=tablet.
    channel = src.get("kenh", RatingChannel.QR)
    if channel not in RatingChannel.values:
        channel = RatingChannel.QR
    if not dossier_code and not token:
        return render(
            request,
            "portal/message.html",
            {
                "heading": "Đánh giá mức độ hài lòng",
                "message": "Vui lòng quét mã QR trên phiếu hẹn hoặc phiếu số thứ tự để đánh giá.",
            },
            status=400,
        )
    done = False
    form = ServiceRatingForm(request.POST or None)
    if request.method == "GET" and token and not dossier_code:
        # The token itself is the proof for a visit: say at once if it cannot be rated.
        from motcua.queueing.models import Ticket

        ticket = Ticket.objects.filter(token=token).only("pk", "status", "finished_at").first()
        problem = ""
        if ticket is None:
            problem = "Không tìm thấy lượt phục vụ của phiếu này."
        elif selectors.rating_exists(ticket=ticket):
            problem = "Lượt phục vụ này đã được đánh giá. Cảm ơn bạn!"
        elif ticket.status != "done" or ticket.finished_at is None:
            problem = "Lượt phục vụ chưa kết thúc nên chưa thể đánh giá."
        if problem:
            return render(
                request,
                "portal/message.html",
                {"heading": "Đánh giá mức độ hài lòng", "message": problem},
                status=409 if ticket else 404,
            )
    if request.method == "POST":
        if _limited(request, "service_rating", RATE_SERVICE_RATING):
            return _too_fast(request)
        if form.is_valid():
            from motcua.core.throttle import verifier_guard

            try:
                # A dossier code shares its wrong-verifier lock with the lookup (issue 9.8).
                with verifier_guard(
                    "dossier", dossier_code or "", mismatch={"verify_mismatch", "not_found"}
                ):
                    services.rating_submit(
                        dossier_code=dossier_code or None,
                        ticket=None,
                        verify=token if not dossier_code else form.cleaned_data["verify"],
                        level=form.cleaned_data["level"],
                        indicators=form.indicators(),
                        channel=channel,
                        lookup_token=lookup_token if looked_up else "",
                    )
                done = True
            except DomainError as exc:
                form.add_error(None, exc.message)
    return render(
        request,
        "portal/rating.html",
        {
            "form": form,
            "dossier_code": dossier_code,
            "token": token,
            "channel": channel,
            "done": done,
            "lookup_token": lookup_token if looked_up else "",
        },
        status=400 if request.method == "POST" and not done else 200,
    )


# --- staff pages (back office look) ---------------------------------------------------------


def _editor_required(request: HttpRequest) -> None:
    if not services.can_edit_announcements(request.user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Chỉ lãnh đạo, cán bộ quản lý được quản lý tin bài.")


@login_required
def staff_news(request: HttpRequest) -> HttpResponse:
    _editor_required(request)
    items = Announcement.objects.order_by("-updated_at")[:100]
    pending = selectors.comments_pending()
    return render(request, "portal/staff_news.html", {"items": items, "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def staff_news_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _editor_required(request)
    ann = get_object_or_404(Announcement, pk=pk) if pk else None
    if request.method == "POST":
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            try:
                ann = services.announcement_save(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                    body=form.cleaned_data["body"],
                    publish=form.cleaned_data["publish"],
                    unit=getattr(request, "current_unit", None),
                    announcement=ann,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Đã lưu tin bài.")
                return redirect("portal:staff_news")
    elif ann:
        form = AnnouncementForm(
            initial={
                "title": ann.title,
                "summary": ann.summary,
                "body": ann.body,
                "publish": ann.published_at is not None,
            }
        )
    else:
        form = AnnouncementForm()
    return render(request, "portal/staff_news_edit.html", {"form": form, "a": ann})


@login_required
@require_POST
def staff_comment_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    _editor_required(request)
    comment = get_object_or_404(Comment, pk=pk)
    approve = request.POST.get("action") == "approve"
    services.comment_moderate(actor=request.user, comment=comment, approve=approve)
    messages.success(request, "Đã duyệt bình luận." if approve else "Đã từ chối bình luận.")
    return redirect("portal:staff_news")


# --- appointment booking (đặt lịch hẹn) -------------------------------------------------------

RATE_BOOKING = "10/m"
RATE_BOOKING_CANCEL = "10/m"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def day_label(d: date) -> str:
    """'Thứ Ba, 17/11/2026'."""
    return f"{WEEKDAYS[d.weekday()]}, {d:%d/%m/%Y}"


def _booking_selection(src: Any) -> dict[str, Any]:
    """Office → service → day → time chosen so far (from GET links, or hidden fields on POST)."""
    from datetime import datetime, time

    from motcua.org.models import Office
    from motcua.queueing.models import Service

    sel: dict[str, Any] = {"office": None, "service": None, "day": None, "slot": None}
    office_code = str(src.get("bo-phan", "")).strip()[:40]
    if not office_code:
        return sel
    sel["office"] = Office.objects.filter(code=office_code, is_active=True).first()
    if sel["office"] is None:
        return sel
    service_code = str(src.get("dich-vu", "")).strip()[:2]
    if service_code:
        sel["service"] = Service.objects.filter(
            office=sel["office"], code__iexact=service_code, active=True
        ).first()
    if sel["service"] is None:
        return sel
    sel["day"] = _parse_date(str(src.get("ngay", "")).strip()[:10])
    if sel["day"] is None:
        return sel
    try:
        at = time.fromisoformat(str(src.get("gio", "")).strip()[:5])
    except ValueError:
        return sel
    sel["slot"] = datetime.combine(sel["day"], at, tzinfo=clock.VN_TZ)
    return sel


def _booking_context(sel: dict[str, Any]) -> dict[str, Any]:
    from motcua.org.models import Office
    from motcua.queueing import bookings

    office, service, day = sel["office"], sel["service"], sel["day"]
    ctx: dict[str, Any] = {**sel, "step": "office", "slot_obj": None}
    if office is None:
        ctx["offices"] = (
            Office.objects.filter(is_active=True, queue_services__active=True)
            .distinct()
            .order_by("name")
        )
        return ctx
    if service is None:
        ctx["step"] = "service"
        ctx["services"] = office.queue_services.filter(active=True).order_by("sort", "code")
        return ctx
    days = bookings.booking_days(office=office, service=service)
    ctx["days"] = [{"date": d, "label": day_label(d)} for d in days]
    if day is None or day not in days:
        ctx["step"] = "day"
        ctx["day"] = None
        return ctx
    ctx["day_label"] = day_label(day)
    slots = bookings.booking_slots(office=office, service=service, day=day)
    ctx["slots"] = slots
    ctx["any_free"] = any(not s.full for s in slots)
    chosen = next((s for s in slots if s.start == sel["slot"]), None)
    if chosen is None or chosen.full:
        ctx["step"] = "slot"
        ctx["slot_gone"] = sel["slot"] is not None
        return ctx
    ctx["step"] = "form"
    ctx["slot_obj"] = chosen
    return ctx


@portal_page
@require_http_methods(["GET", "POST"])
def booking(request: HttpRequest) -> HttpResponse:
    """Book an appointment for the check-in queue: office → service → day → time → details."""
    from motcua.portal.forms import BookingForm
    from motcua.queueing import bookings
    from motcua.queueing.models import BookingChannel

    src = request.POST if request.method == "POST" else request.GET
    ctx = _booking_context(_booking_selection(src))
    form = BookingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _limited(request, "booking", RATE_BOOKING):
            return _too_fast(request)
        if ctx["step"] != "form":
            status = 409
        elif form.is_valid():
            try:
                with transaction.atomic():  # the booking and the citizen's choice of channels
                    made = bookings.booking_book(
                        office=ctx["office"],
                        service=ctx["service"],
                        slot_start=ctx["slot_obj"].start,
                        id_number=form.cleaned_data["id_number"],
                        full_name=form.cleaned_data["full_name"],
                        phone=form.cleaned_data["phone"],
                        channel=BookingChannel.PORTAL,
                    )
                    if form.cleaned_data.get("notify_consent"):
                        from motcua.notifications.services import contact_preference_record

                        contact_preference_record(
                            citizen=made.citizen,
                            consent=True,
                            channels=list(form.cleaned_data.get("notify_channels") or []) or None,
                            phone=made.phone,
                            email=form.cleaned_data.get("notify_email") or "",
                            source="booking",
                            if_absent=True,  # an anonymous form never changes a recorded choice
                        )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                from motcua.campaigns.tracking import record_booking

                record_booking(request)  # a campaign's link brought the visitor: count it
                local = clock.local(made.slot_start)
                return render(
                    request,
                    "portal/booking_done.html",
                    {
                        "b": made,
                        "office": ctx["office"],
                        "service": ctx["service"],
                        "day_label": day_label(local.date()),
                        "time_from": local,
                        "time_to": ctx["slot_obj"].end,
                    },
                )
        else:
            status = 400
    ctx["form"] = form
    return render(request, "portal/booking.html", ctx, status=status)


@portal_page
@require_http_methods(["GET", "POST"])
def booking_cancel(request: HttpRequest) -> HttpResponse:
    """Cancel an appointment with its code and the last 4 CCCD digits or the phone number."""
    from motcua.portal.forms import BookingCancelForm
    from motcua.queueing import bookings

    done = None
    error = ""
    status = 200
    if request.method == "POST":
        form = BookingCancelForm(request.POST)
        if _limited(request, "booking_cancel", RATE_BOOKING_CANCEL):
            return _too_fast(request)
        if form.is_valid():
            from motcua.core.throttle import verifier_guard

            try:
                with verifier_guard(
                    "booking", form.cleaned_data["code"], mismatch={"booking_not_found"}
                ):
                    done = bookings.booking_cancel(
                        code=form.cleaned_data["code"],
                        id_last4_or_phone=form.cleaned_data["verify"],
                        reason=form.cleaned_data["reason"],
                    )
            except DomainError as exc:
                error, status = exc.message, exc.status
        else:
            status = 400
    else:
        form = BookingCancelForm(initial={"code": request.GET.get("ma", "")[:20]})
    ctx: dict[str, Any] = {"form": form, "done": done, "error": error}
    if done is not None:
        local = clock.local(done.slot_start)
        ctx.update(day_label=day_label(local.date()), time_from=local)
    return render(request, "portal/booking_cancel.html", ctx, status=status)
