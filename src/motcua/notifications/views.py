"""Staff list of messages that failed for good, and the citizen's unsubscribe page."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from motcua.core import clock
from motcua.core.errors import DomainError, NotFound
from motcua.notifications import selectors, services
from motcua.notifications.models import ChannelName
from motcua.org.models import Role

# Who follows up failed messages (calls the citizen instead): reception and the office's leaders.
PAGE_ROLES = {Role.RECEPTION, Role.LEADER, Role.MANAGER}


@login_required
def failed(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (getattr(user, "is_superuser", False) or (user.role_set() & PAGE_ROLES)):  # type: ignore[union-attr]
        return render(
            request,
            "web/error.html",
            {"message": "Trang này dành cho cán bộ một cửa và lãnh đạo bộ phận."},
            status=403,
        )
    rows = [
        {"n": n, "recipient": selectors.mask(n.recipient)}
        for n in selectors.failed_notifications(user=user)
    ]
    return render(request, "notifications/failed.html", {"rows": rows})


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links); POST stops the channel."""
    try:
        if request.method == "POST":
            pref, channel = services.contact_preference_stop(token=token)
            done = True
        else:
            pref, channel = services.unsubscribe_read(token)
            done = channel in pref.stopped
    except NotFound as exc:
        return render(request, "notifications/unsubscribe.html", {"error": exc.message}, status=404)
    label = ChannelName(channel).label if channel in ChannelName.values else channel
    # The preferences page keeps the age of this link (an old message does not open it); a link
    # signed before links carried a time gets none (its age is unknown).
    at = services.unsubscribe_signed_at(token)
    fresh = at is not None and (
        clock.now().timestamp() - at <= services.preferences_max_age().total_seconds()
    )
    return render(
        request,
        "notifications/unsubscribe.html",
        {
            "channel_label": label,
            "done": done,
            "preferences": reverse(
                "notifications:preferences",
                kwargs={"token": services.preferences_token(pref, at=at)},
            )
            if fresh
            else "",
        },
    )


CHOICES = [
    ("sms", "Tin nhắn SMS"),
    ("email", "Thư điện tử"),
    ("zalo", "Zalo"),
]


class PreferencesForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label="Nhận thông báo qua",
        choices=CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Bỏ chọn tất cả: Ông/Bà sẽ không nhận thông báo nào nữa.",
    )
    email = forms.EmailField(
        label="Địa chỉ thư điện tử",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Địa chỉ thư điện tử không hợp lệ."},
    )
    consent = forms.BooleanField(
        label=(
            "Tôi đồng ý để bộ phận một cửa dùng số điện thoại, địa chỉ thư điện tử và tài khoản "
            "Zalo của tôi để gửi thông báo về hồ sơ, lịch hẹn, phí và lệ phí qua các kênh đã "
            "chọn (Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân)."
        ),
        required=False,
    )


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The citizen's own choice of channels, from the signed link in their messages."""
    try:
        pref = services.preferences_read(token)
    except services.PreferencesLinkExpired as exc:
        # Too old to show personal data; stopping every message still works (never expires).
        stopped = False
        if request.method == "POST" and request.POST.get("ngung-tat-ca"):
            services.contact_preference_update(pref=exc.pref, consent=False, channels=[])
            stopped = True
        return render(
            request,
            "notifications/preferences.html",
            {"error": exc.message, "expired": True, "stopped": stopped},
            status=200 if stopped else 410,
        )
    except NotFound as exc:
        return render(request, "notifications/preferences.html", {"error": exc.message}, status=404)
    saved = False
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                pref = services.contact_preference_update(
                    pref=pref,
                    consent=form.cleaned_data["consent"],
                    channels=list(form.cleaned_data["channels"]),
                    email=form.cleaned_data["email"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                saved = True
        else:
            status = 400
    else:
        # The address is not written into the page (a forwarded link must not reveal it):
        # shown masked; the field left empty keeps it.
        form = PreferencesForm(initial={"channels": pref.active_channels(), "consent": False})
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "pref": pref,
            "saved": saved,
            "phone": selectors.mask(pref.phone) if pref.phone else "",
            "email_masked": selectors.mask(pref.email) if pref.email else "",
            "zalo_code": services.zalo_link_code(pref),
            "zalo_linked": bool(pref.zalo_user_id),
        },
        status=status,
    )
