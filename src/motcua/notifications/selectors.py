"""Reads of notifications: a dossier's messages, and what failed for good for staff."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from motcua.core import clock
from motcua.notifications.models import Notification, State


def dossier_notifications(*, dossier: Any) -> list[dict[str, Any]]:
    """What was sent about a dossier: when, by which channel, with what result (newest first)."""

    def iso(moment: Any) -> str | None:
        return clock.local(moment).isoformat() if moment else None

    return [
        {
            "id": str(n.pk),
            "kind": n.kind,
            "kind_label": n.get_kind_display(),
            "channel": n.channel,
            "channel_label": n.get_channel_display(),
            "recipient": _mask(n.recipient),
            "state": n.state,
            "state_label": n.get_state_display(),
            "attempts": n.attempts,
            "created_at": iso(n.created_at),
            "sent_at": iso(n.sent_at),
            "failed_at": iso(n.failed_at),
            "next_attempt_at": iso(n.next_attempt_at) if n.state == State.PENDING else None,
            "provider_id": n.provider_id,
            "error": n.last_error,
        }
        for n in Notification.objects.filter(dossier=dossier).order_by("-created_at", "kind")
    ]


def _mask(recipient: str) -> str:
    """A phone or address shown with its middle hidden (staff see whom, not the whole number)."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{recipient[:3]}****{recipient[-3:]}" if len(recipient) > 6 else recipient


def failed_notifications(*, user: Any, limit: int = 200) -> QuerySet[Notification]:
    """Messages that failed for good, for the units the official sees (newest first)."""
    from motcua.org.permissions import visible_unit_ids

    qs = Notification.objects.filter(state=State.FAILED)
    if not getattr(user, "is_superuser", False):
        qs = qs.filter(unit_id__in=visible_unit_ids(user))
    return qs.select_related("dossier", "ticket", "unit").order_by("-failed_at")[:limit]


mask = _mask
