"""Staff list of messages that failed for good, and the citizen's unsubscribe page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.core.errors import NotFound
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
    return render(
        request,
        "notifications/unsubscribe.html",
        {"channel_label": label, "done": done},
    )
