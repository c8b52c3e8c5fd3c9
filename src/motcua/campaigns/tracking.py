"""What followed a campaign's links, counted without personal data.

A link posted by a campaign carries ``cd=<CODE>.<channel>``. The middleware counts a visit when a
portal page is opened with it, and keeps the same value (nothing else) in a short-lived cookie,
``motcua_cd``: it is identical for everyone who followed that link, so it says which campaign and
channel brought the visitor, never who they are. A booking made or an online dossier submitted
while it is present adds one to that campaign's count for the channel and the day. No address,
no identifier, no per-person row is stored: only `CampaignDay` totals.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from motcua.campaigns.models import Channel

COOKIE = "motcua_cd"
COOKIE_AGE = 24 * 3600  # a day: long enough to book after reading, short enough to mean "from it"
PARAM = "cd"
_REF = re.compile(r"^(CD[2-9A-HJ-NP-Z]{6})\.(" + "|".join(Channel.values) + r")$")
# Pages that never count: the back office, the API, files, the admin.
_SKIP = ("/can-bo/", "/api/", "/static/", "/media/", "/quan-tri/", "/healthz", "/favicon")


def parse_ref(value: str | None) -> tuple[str, str] | None:
    match = _REF.match((value or "").strip()[:40])
    return (match.group(1), match.group(2)) if match else None


def request_ref(request: HttpRequest) -> str:
    """The campaign reference a request carries (its cookie), or ""."""
    value = request.COOKIES.get(COOKIE, "")
    return value if parse_ref(value) else ""


def record_booking(request: HttpRequest) -> None:
    """A booking was made in this request: count it for the campaign that brought the visitor."""
    from motcua.campaigns.services import campaign_booking_record

    ref = request_ref(request)
    if ref:
        campaign_booking_record(ref=ref)


def record_dossier(request: HttpRequest) -> None:
    """An online dossier was submitted in this request: count it likewise."""
    from motcua.campaigns.services import campaign_dossier_record

    ref = request_ref(request)
    if ref:
        campaign_dossier_record(ref=ref)


class CampaignLinkMiddleware:
    """Counts a visit through a campaign link and remembers the link (not the person) for a day."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ref = ""
        if request.method == "GET" and PARAM in request.GET and not request.path.startswith(_SKIP):
            value = request.GET.get(PARAM, "")
            if parse_ref(value):
                from motcua.campaigns.services import campaign_visit_record

                try:
                    if campaign_visit_record(ref=value):
                        ref = value
                except Exception:  # noqa: BLE001  (a count never breaks the page)
                    import logging

                    logging.getLogger(__name__).exception("campaign visit not counted")
        response = self.get_response(request)
        if ref:
            response.set_cookie(
                COOKIE,
                ref,
                max_age=COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
