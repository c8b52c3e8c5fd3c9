"""Staff pages of campaigns (compose, list, report) and the citizens' subscription pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from motcua.campaigns import selectors, services
from motcua.campaigns.forms import CampaignForm, SubscribeForm
from motcua.campaigns.models import Campaign, CampaignPost, Channel, PostState, SubChannel
from motcua.core import clock
from motcua.core.errors import DomainError, NotFound

FORBIDDEN = "Trang này dành cho lãnh đạo, cán bộ quản lý của đơn vị."


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/error.html", {"message": FORBIDDEN}, status=403)


def _campaign_or_404(request: HttpRequest, pk: int) -> Campaign:
    try:
        return services.campaign_visible(request.user, pk)
    except NotFound:
        raise Http404("Không tìm thấy chiến dịch.")


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    units = services.campaign_units(request.user)
    if not units:
        return _forbidden(request)
    return render(
        request, "campaigns/list.html", {"campaigns": selectors.campaigns_of(units)[:200]}
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    units = services.campaign_units(request.user)
    if not units:
        return _forbidden(request)
    form = CampaignForm(request.POST or None, request.FILES or None, units=units)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            unit = next(u for u in units if u.code == data["unit"])
            from motcua.catalog.models import Field

            field = Field.objects.filter(code=data["field"]).first() if data["field"] else None
            upload = data.get("image")
            try:
                campaign = services.campaign_create(
                    actor=request.user,
                    unit=unit,
                    title=data["title"],
                    text=data["text"],
                    link_kind=data["link_kind"],
                    link_target=data["link_target"],
                    channels=data["channels"],
                    field=field,
                    image=upload.read() if upload else None,
                    image_alt=data["image_alt"],
                )
                if data["when"] != "draft":
                    at = _aware(data["at"]) if data["when"] == "later" else None
                    services.campaign_publish(campaign=campaign, actor=request.user, at=at)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _published_message(campaign))
                return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/create.html", {"form": form}, status=status)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=clock.VN_TZ)
    return moment


def _published_message(campaign: Campaign) -> str:
    if campaign.status == "draft":
        return "Đã lưu bản nháp chiến dịch."
    if campaign.scheduled_at:
        return f"Chiến dịch sẽ được đăng lúc {clock.local(campaign.scheduled_at):%H:%M %d/%m/%Y}."
    return "Đã gửi lệnh đăng: các kênh được đăng trong vòng một phút."


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.campaign_units(request.user):
        return _forbidden(request)
    campaign = _campaign_or_404(request, pk)
    report = selectors.campaign_report(campaign)
    return render(
        request,
        "campaigns/detail.html",
        {"c": campaign, "report": report, "image_url": services.image_url(campaign)},
    )


@login_required
@require_POST
def campaign_publish(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.campaign_units(request.user):
        return _forbidden(request)
    campaign = _campaign_or_404(request, pk)
    at = None
    raw = (request.POST.get("at") or "").strip()
    if raw:
        try:
            at = _aware(datetime.strptime(raw[:16], "%Y-%m-%dT%H:%M"))
        except ValueError:
            messages.error(request, "Thời điểm hẹn đăng không hợp lệ.")
            return redirect("campaigns:detail", pk=campaign.pk)
    try:
        campaign = services.campaign_publish(campaign=campaign, actor=request.user, at=at)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _published_message(campaign))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_retry(request: HttpRequest, pk: int, channel: str) -> HttpResponse:
    if not services.campaign_units(request.user):
        return _forbidden(request)
    campaign = _campaign_or_404(request, pk)
    post = CampaignPost.objects.filter(campaign=campaign, channel=channel).first()
    if post is None:
        raise Http404("Không có bài đăng trên kênh này.")
    if post.state == PostState.FAILED:
        services.campaign_post_retry(post=post, actor=request.user)
        messages.success(request, f"Sẽ đăng lại trên kênh {Channel(channel).label}.")
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.campaign_units(request.user):
        return _forbidden(request)
    campaign = _campaign_or_404(request, pk)
    services.campaign_reach_refresh(campaign=campaign)
    messages.success(request, "Đã cập nhật lượt tiếp cận từ các kênh.")
    return redirect("campaigns:detail", pk=campaign.pk)


def campaign_image(request: HttpRequest, code: str) -> FileResponse:
    """A campaign's picture: public once the campaign is published (what the posts show),
    before that only for the unit's leaders and managers."""
    campaign = Campaign.objects.filter(code=code[:12]).select_related("unit").first()
    if campaign is None or not campaign.image:
        raise Http404("Không tìm thấy ảnh.")
    if campaign.published_at is None and not services.can_run_campaigns(
        request.user, campaign.unit
    ):
        raise Http404("Không tìm thấy ảnh.")
    name = str(campaign.image.name)
    ctype = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(campaign.image.open("rb"), content_type=ctype)
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- citizens -------------------------------------------------------------------------------------


def _portal_page(view: Any) -> Any:
    from motcua.portal.views import portal_page

    return portal_page(view)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to a ward's or a field's announcements (e-mail: confirmed by a link; Zalo)."""
    from motcua.portal.views import _limited, _too_fast

    form = SubscribeForm(request.POST or None)
    status = 200
    done: dict[str, Any] | None = None
    if request.method == "POST":
        if _limited(request, "subscribe", "10/m"):
            return _too_fast(request)
        status = 400
        if form.is_valid():
            kind, _, code = form.cleaned_data["topic"].partition(":")
            try:
                sub, mailed = services.subscription_create(
                    channel=form.cleaned_data["channel"],
                    address=form.cleaned_data["address"],
                    unit_code=code if kind == "unit" else "",
                    field_code=code if kind == "field" else "",
                    consent=form.cleaned_data["consent"],
                    source="portal",
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                status = 200
                done = {"sub": sub, "mailed": mailed, "email": sub.channel == SubChannel.EMAIL}
    return render(
        request,
        "campaigns/subscribe.html",
        {"form": form, "done": done, "oa_url": _oa_follow_url()},
        status=status,
    )


subscribe = _portal_page(subscribe)


def _oa_follow_url() -> str:
    import os

    return os.environ.get("CAMPAIGN_ZALO_OA_URL", "https://zalo.me/")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links); POST confirms."""
    try:
        if request.method == "POST":
            sub = services.subscription_confirm(token=token)
            done = True
        else:
            sub = services.confirm_read(token)
            done = sub.confirmed_at is not None
    except NotFound as exc:
        return render(request, "campaigns/confirm.html", {"error": exc.message}, status=404)
    return render(request, "campaigns/confirm.html", {"sub": sub, "done": done})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """/huy-dang-ky/<token>: a subscription's link stops it; any other link is a notification
    preference's and goes to notifications' own page (unchanged)."""
    sub = services.unsubscribe_read(token)
    if sub is None:
        from motcua.notifications.views import unsubscribe as notification_unsubscribe

        return notification_unsubscribe(request, token)
    if request.method == "POST":
        sub = services.subscription_stop(sub=sub)
    return render(
        request,
        "campaigns/unsubscribe.html",
        {"sub": sub, "done": sub.unsubscribed_at is not None},
    )
