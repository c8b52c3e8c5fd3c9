"""Reads of campaigns: the list of a unit's campaigns and a campaign's report."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from motcua.campaigns.models import Campaign, CampaignDay, CampaignPost, Channel
from motcua.core import clock


def campaigns_of(units: list[Any]) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(unit__in=units)
        .select_related("unit", "created_by")
        .prefetch_related("posts")
        .order_by("-created_at", "-pk")
    )


def _iso(moment: Any) -> str | None:
    return clock.local(moment).isoformat() if moment else None


def campaign_report(campaign: Campaign) -> dict[str, Any]:
    """Per channel: the post's state, reach (what the channel says) and what followed the link
    (visits, bookings, online dossiers); per day as well. Totals only: nothing about anyone."""
    from motcua.campaigns.services import tracking_link

    posts = {p.channel: p for p in CampaignPost.objects.filter(campaign=campaign)}
    sums = {
        row["channel"]: row
        for row in CampaignDay.objects.filter(campaign=campaign)
        .values("channel")
        .annotate(visits=Sum("visits"), bookings=Sum("bookings"), dossiers=Sum("dossiers"))
    }
    channels = []
    for channel in campaign.channels:
        post: CampaignPost | None = posts.get(channel)
        counts: dict[str, Any] = dict(sums.get(channel) or {})
        channels.append(
            {
                "channel": channel,
                "channel_label": Channel(channel).label,
                "state": post.state if post else "",
                "state_label": post.get_state_display() if post else "Chưa đăng",
                "attempts": post.attempts if post else 0,
                "posted_at": _iso(post.posted_at) if post else None,
                # For the page: local time, dd/mm/yyyy (the API keeps the ISO moment).
                "posted_label": (
                    f"{clock.local(post.posted_at):%H:%M %d/%m/%Y}"
                    if post and post.posted_at
                    else ""
                ),
                "failed_at": _iso(post.failed_at) if post else None,
                "error": post.last_error if post else "",
                "provider_id": post.provider_id if post else "",
                "url": post.url if post else "",
                "link": tracking_link(campaign, channel),
                "reach": post.reach if post else None,
                "reach_at": _iso(post.reach_at) if post else None,
                "visits": int(counts.get("visits") or 0),
                "bookings": int(counts.get("bookings") or 0),
                "dossiers": int(counts.get("dossiers") or 0),
            }
        )
    days = [
        {
            "day": row.day.isoformat(),
            "channel": row.channel,
            "channel_label": Channel(row.channel).label,
            "visits": row.visits,
            "bookings": row.bookings,
            "dossiers": row.dossiers,
        }
        for row in CampaignDay.objects.filter(campaign=campaign).order_by("day", "channel")
    ]
    totals = {
        key: sum(int(c[key] or 0) for c in channels)
        for key in ("reach", "visits", "bookings", "dossiers")
    }
    return {
        "id": campaign.pk,
        "code": campaign.code,
        "title": campaign.title,
        "unit": campaign.unit.code,
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "scheduled_at": _iso(campaign.scheduled_at),
        "published_at": _iso(campaign.published_at),
        "channels": channels,
        "days": days,
        "totals": totals,
    }
