"""Every write of notifications: the outbox rows (written inside the event's transaction), the
citizen's choice of channels, the sender's state machine and the unsubscribe link.

State machine of a row: pending → sending → sent | failed, and sending → pending on a temporary
error (with back-off). A worker that dies after the channel answered leaves the row in `sending`;
once the lease runs out another worker takes it again and sends it with the same idempotency key,
which the channel recognises: the citizen gets one message, and the row ends up `sent`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import NotFound, ValidationFailed
from motcua.notifications import rules
from motcua.notifications.channels import ChannelError, Message, channel_for
from motcua.notifications.models import (
    URGENT_KINDS,
    ChannelName,
    ContactPreference,
    Kind,
    Notification,
    State,
)
from motcua.notifications.texts import render

log = logging.getLogger(__name__)

# A row left in `sending` this long is taken again (its worker is presumed dead).
SENDING_LEASE = timedelta(minutes=5)
UNSUBSCRIBE_SALT = "motcua.notifications.unsubscribe"
# Channels a citizen gets when they agree without choosing (the phone they gave).
DEFAULT_CHANNELS = [ChannelName.SMS.value]
# How many people ahead of a ticket when the "your turn is near" message goes.
NEAR_AHEAD = 3


def _fmt_date(moment: datetime | None) -> str:
    return f"{clock.local(moment):%d/%m/%Y}" if moment else "sẽ được thông báo sau"


# --- the citizen's choice -------------------------------------------------------------------------


def contact_preference_record(
    *,
    citizen: Any,
    consent: bool,
    channels: list[str] | None = None,
    phone: str = "",
    email: str = "",
    source: str,
    actor: Any = None,
    now: datetime | None = None,
) -> ContactPreference | None:
    """Record which channels a citizen agreed to (None and nothing stored without consent)."""
    if not consent:
        return None
    chosen = [c for c in (channels or DEFAULT_CHANNELS) if c]
    unknown = [c for c in chosen if c not in ChannelName.values]
    if unknown:
        raise ValidationFailed(
            "Kênh nhận thông báo không hợp lệ: " + ", ".join(unknown) + ".",
            code="invalid_notify_channel",
        )
    phone = phone or citizen.phone or ""
    email = email or citizen.email or ""
    pref, _ = ContactPreference.objects.get_or_create(citizen=citizen)
    pref.channels = list(dict.fromkeys(chosen))
    pref.phone = phone[:20]
    pref.email = email
    pref.consent_at = now or clock.now()
    pref.consent_source = source
    pref.recorded_by = actor if getattr(actor, "pk", None) else None
    # A fresh consent for a channel takes it back from the stopped list.
    pref.stopped = [c for c in pref.stopped if c not in pref.channels]
    pref.save()
    return pref


def unsubscribe_token(pref: ContactPreference, channel: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(f"{pref.pk}.{channel}")


def unsubscribe_url(pref: ContactPreference, channel: str) -> str:
    from motcua.core.links import public_url

    return public_url(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(pref, channel)})
    )


def unsubscribe_read(token: str) -> tuple[ContactPreference, str]:
    """The preference and channel a signed link names; NotFound for a forged or stale link."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
        pk, channel = value.split(".", 1)
        pref = ContactPreference.objects.select_related("citizen").get(pk=int(pk))
    except (signing.BadSignature, ValueError, ContactPreference.DoesNotExist):
        raise NotFound("Đường dẫn hủy đăng ký không hợp lệ.", code="unsubscribe_invalid")
    return pref, channel


@transaction.atomic
def contact_preference_stop(*, token: str) -> tuple[ContactPreference, str]:
    """Stop one channel for a citizen (the signed link in every message); pending messages go too."""
    pref, channel = unsubscribe_read(token)
    pref = ContactPreference.objects.select_for_update().get(pk=pref.pk)
    if channel not in pref.stopped:
        pref.stopped = [*pref.stopped, channel]
        pref.save(update_fields=["stopped", "updated_at"])
    Notification.objects.filter(
        citizen_id=pref.citizen_id, channel=channel, state=State.PENDING
    ).update(
        state=State.FAILED, failed_at=clock.now(), last_error="Công dân đã hủy đăng ký kênh này."
    )
    return pref, channel


# --- the outbox -----------------------------------------------------------------------------------


def _enqueue(
    *,
    kind: str,
    pref: ContactPreference | None,
    ctx: dict[str, Any],
    unit: Any,
    dossier: Any = None,
    ticket: Any = None,
    now: datetime,
) -> list[Notification]:
    """Outbox rows for one event, one per channel the citizen agreed to (same transaction)."""
    if pref is None:
        return []
    text = render(kind, ctx)
    urgent = kind in URGENT_KINDS
    at = rules.next_allowed(clock.local(now), urgent=urgent)
    rows = []
    for channel in pref.active_channels():
        recipient = pref.email if channel == ChannelName.EMAIL else pref.phone
        if not recipient:
            continue
        if (
            ticket is not None
            and Notification.objects.filter(ticket=ticket, kind=kind, channel=channel).exists()
        ):
            continue  # one "near" and one "called" per ticket and channel
        link = unsubscribe_url(pref, channel)
        if channel == ChannelName.SMS:
            body = rules.sms_text(text.short, protected=text.protected, tail=f"Hủy: {link}")
        elif channel == ChannelName.EMAIL:
            body = f"{text.body}\n\n--\nKhông muốn nhận thư này nữa: {link}"
        else:
            body = f"{text.short} Hủy nhận tin: {link}"
        rows.append(
            Notification(
                kind=kind,
                channel=channel,
                recipient=recipient,
                citizen_id=pref.citizen_id,
                unit=unit,
                dossier=dossier,
                ticket=ticket,
                subject=text.subject[:200],
                text=body,
                params={**text.params, "huy_dang_ky": link},
                urgent=urgent,
                created_at=now,
                next_attempt_at=at,
            )
        )
    Notification.objects.bulk_create(rows)
    return rows


def _dossier_context(dossier: Any) -> dict[str, Any]:
    from motcua.core.links import public_url

    citizen = dossier.citizen
    return {
        "code": dossier.code,
        "name": getattr(citizen, "full_name", "") or "Ông/Bà",
        "procedure": getattr(dossier.procedure_version, "name", "") or "",
        "due": _fmt_date(dossier.appointment_at or dossier.due_at),
        "lookup": public_url(reverse("portal:lookup")),
    }


def _where(dossier: Any) -> tuple[str, str]:
    """Where and how the result is collected: (long, short)."""
    from motcua.org.models import Office

    delivery = getattr(dossier, "delivery", None) if hasattr(dossier, "delivery") else None
    method = getattr(delivery, "method", "counter") or "counter"
    chosen = getattr(delivery, "address", "") or getattr(dossier.citizen, "address", "")
    if method == "home":
        return (
            f"Cán bộ sẽ mang kết quả đến tận nhà Ông/Bà ({chosen}) và liên hệ trước khi đến.",
            "Cán bộ sẽ mang kết quả đến tận nhà.",
        )
    if method == "post":
        return (
            f"Kết quả được gửi qua bưu chính công ích đến địa chỉ: {chosen}.",
            "Kết quả được gửi qua bưu chính công ích.",
        )
    office = Office.objects.filter(unit=dossier.unit, is_active=True).order_by("pk").first()
    place = office.name if office else "Bộ phận một cửa"
    address = f", {office.address}" if office and office.address else ""
    hours = (
        f" Giờ làm việc: sáng {office.morning_start:%H:%M}–{office.morning_end:%H:%M}, "
        f"chiều {office.afternoon_start:%H:%M}–{office.afternoon_end:%H:%M} các ngày làm việc."
        if office and not isinstance(office.morning_start, str)
        else ""
    )
    return (f"Mời Ông/Bà nhận kết quả tại {place}{address}.{hours}", f"Mời nhận tại {place}.")


def notification_dossier_received(
    *, dossier: Any, citizen_data: dict[str, Any], actor: Any = None
) -> list[Notification]:
    """At reception: record the citizen's choice (when they agreed) and tell them the code and date.

    Called inside dossier_receive's transaction. An online submission (status 1) has no official
    code yet: its message goes when an official accepts it (notification_dossier_event).
    """
    now = clock.now()
    consent = bool(citizen_data.get("notify_consent"))
    if consent and dossier.citizen is not None:
        contact_preference_record(
            citizen=dossier.citizen,
            consent=True,
            channels=list(citizen_data.get("notify_channels") or []) or None,
            phone=str(citizen_data.get("phone") or ""),
            email=str(citizen_data.get("email") or ""),
            source="online" if actor is None else "reception",
            actor=actor,
            now=now,
        )
    if dossier.status != 2:  # only an accepted dossier has its official code and due date
        return []
    return _enqueue(
        kind=Kind.DOSSIER_RECEIVED,
        pref=_pref(dossier.citizen),
        ctx=_dossier_context(dossier),
        unit=dossier.unit,
        dossier=dossier,
        now=now,
    )


def _pref(citizen: Any) -> ContactPreference | None:
    if citizen is None:
        return None
    return ContactPreference.objects.filter(citizen=citizen).first()


def notification_dossier_event(*, dossier: Any, action: str, note: str = "") -> list[Notification]:
    """After a move of dossier_act (same transaction): the message the citizen should get, if any."""
    kind = {
        "accept": Kind.DOSSIER_RECEIVED,
        "request_supplement": Kind.SUPPLEMENT_NEEDED,
        "finish": Kind.RESULT_READY,
        "return": Kind.RESULT_DELIVERED,
    }.get(action)
    if kind is None:
        return []
    pref = _pref(dossier.citizen)
    if pref is None or not pref.active_channels():
        return []
    now = clock.now()
    ctx = _dossier_context(dossier)
    if kind == Kind.SUPPLEMENT_NEEDED:
        ctx["papers"] = list(
            dossier.papers.filter(provided=False, required=True).values_list("name", flat=True)
        )
        ctx["note"] = note
    elif kind == Kind.RESULT_READY:
        ctx["where"], ctx["where_short"] = _where(dossier)
    elif kind == Kind.RESULT_DELIVERED:
        ctx["date"] = _fmt_date(dossier.returned_at or now)
    return _enqueue(kind=kind, pref=pref, ctx=ctx, unit=dossier.unit, dossier=dossier, now=now)


def _ticket_pref(
    ticket: Any, prefs: dict[Any, ContactPreference] | None = None
) -> ContactPreference | None:
    """Whom to tell about a ticket: the citizen's recorded choice, else the phone of their booking
    (the booking form asks consent to be contacted about the appointment; recorded here).
    `prefs`: the choices already read, by citizen id."""
    if ticket.citizen_id is None:
        return None
    pref = prefs.get(ticket.citizen_id) if prefs is not None else _pref(ticket.citizen)
    if pref is not None and pref.active_channels():
        return pref
    if ticket.booking_id is None or pref is not None:
        return None
    booking = ticket.booking
    if booking.phone:
        return contact_preference_record(
            citizen=ticket.citizen,
            consent=True,
            channels=[ChannelName.SMS],
            phone=booking.phone,
            source="booking",
            now=booking.created_at,
        )
    return None


_LINE = object()  # notification_ticket_called: read the 4th of the service's line itself


def notification_ticket_called(*, ticket: Any, near_id: Any = _LINE) -> list[Notification]:
    """After a counter called `ticket` (same transaction): "your turn at counter N" to it, and
    "3 people ahead of you" to the ticket now that far down the line.

    `near_id`: that ticket's id (None: nobody), as the caller's calling order has it (call-next
    passes the 4th of the counter's own line, priority policy included); when not given, the
    4th of the same service's line, oldest first.
    """
    if ticket is None:
        return []
    from motcua.queueing.models import Status as TicketStatus
    from motcua.queueing.models import Ticket

    now = clock.now()
    if near_id is _LINE:
        near = (
            Ticket.objects.filter(
                office_id=ticket.office_id,
                service_id=ticket.service_id,
                service_date=ticket.service_date,
                status=TicketStatus.WAITING,
            )
            .select_related("service")
            .order_by("waiting_since", "id")[NEAR_AHEAD : NEAR_AHEAD + 1]
            .first()
        )
    elif near_id is not None:
        near = Ticket.objects.select_related("service").filter(pk=near_id).first()
    else:
        near = None
    # Both citizens' choices in one read.
    citizens = {t.citizen_id for t in (ticket, near) if t is not None and t.citizen_id}
    prefs = {p.citizen_id: p for p in ContactPreference.objects.filter(citizen_id__in=citizens)}
    rows: list[Notification] = []
    pref = _ticket_pref(ticket, prefs)
    if pref is not None:
        rows += _enqueue(
            kind=Kind.QUEUE_CALLED,
            pref=pref,
            ctx={
                "number": ticket.display,
                "counter": ticket.counter.number if ticket.counter else "",
            },
            unit=ticket.office.unit,
            ticket=ticket,
            now=now,
        )
    near_pref = _ticket_pref(near, prefs) if near is not None else None
    if near is not None and near_pref is not None:
        rows += _enqueue(
            kind=Kind.QUEUE_NEAR,
            pref=near_pref,
            ctx={"number": near.display, "service": near.service.name, "ahead": NEAR_AHEAD},
            unit=ticket.office.unit,
            ticket=near,
            now=now,
        )
    return rows


# --- the sender -----------------------------------------------------------------------------------


def _due_filter(now: datetime) -> Q:
    return Q(state=State.PENDING, next_attempt_at__lte=now) | Q(
        state=State.SENDING, sending_since__lt=now - SENDING_LEASE
    )


def notification_claim(*, pk: Any, now: datetime) -> Notification | None:
    """Take one due row for sending (pending → sending); None if another worker has it."""
    with transaction.atomic():
        taken = Notification.objects.filter(_due_filter(now), pk=pk).update(
            state=State.SENDING, sending_since=now, attempts=F("attempts") + 1
        )
    if not taken:
        return None
    return Notification.objects.select_related("citizen").get(pk=pk)


@transaction.atomic
def notification_sent(*, notification: Notification, provider_id: str, now: datetime) -> None:
    Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
        state=State.SENT, sent_at=now, provider_id=provider_id[:100], last_error=""
    )


@transaction.atomic
def notification_failed(
    *, notification: Notification, error: str, permanent: bool, now: datetime
) -> str:
    """A try failed: back to pending after a back-off, or failed for good (listed for staff)."""
    final = permanent or notification.attempts >= rules.MAX_ATTEMPTS
    if final:
        Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
            state=State.FAILED, failed_at=now, last_error=error[:500]
        )
        return State.FAILED
    at = now + rules.backoff(notification.attempts)
    at = rules.next_allowed(clock.local(at), urgent=notification.urgent)
    Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
        state=State.PENDING, next_attempt_at=at, last_error=error[:500]
    )
    return State.PENDING


def _message(n: Notification) -> Message:
    return Message(
        key=str(n.pk),
        kind=n.kind,
        recipient=n.recipient,
        text=n.text,
        subject=n.subject,
        params={k: v for k, v in (n.params or {}).items()},
        unsubscribe_url=str((n.params or {}).get("huy_dang_ky", "")),
    )


def notification_send(*, pk: Any, now: datetime | None = None, channels: Any = None) -> str:
    """Send one due notification; returns its state afterwards ("" when it was not taken)."""
    now = now or clock.now()
    row = Notification.objects.filter(pk=pk).values("urgent", "state").first()
    if row is None:
        return ""
    if not row["urgent"] and rules.is_quiet(clock.local(now)):
        Notification.objects.filter(pk=pk, state=State.PENDING).update(
            next_attempt_at=rules.next_allowed(clock.local(now))
        )
        return State.PENDING
    n = notification_claim(pk=pk, now=now)
    if n is None:
        return ""
    channel = (channels or {}).get(n.channel) or channel_for(n.channel)
    try:
        sent = channel.send(_message(n))
    except ChannelError as exc:
        log.warning("notification %s via %s failed: %s", n.pk, n.channel, exc)
        return notification_failed(
            notification=n, error=str(exc), permanent=exc.permanent, now=clock.now()
        )
    # A worker that dies here (after the answer, before this write) leaves the row `sending`:
    # it is taken again after SENDING_LEASE and sent with the same key, which the channel
    # answers with the first message's id instead of sending again.
    notification_sent(notification=n, provider_id=sent.provider_id, now=clock.now())
    return State.SENT


def notifications_send_due(
    *, now: datetime | None = None, limit: int = 200, channels: Any = None
) -> dict[str, int]:
    """Send what is due now (oldest first); counts per resulting state."""
    now = now or clock.now()
    quiet = rules.is_quiet(clock.local(now))
    qs = Notification.objects.filter(_due_filter(now))
    if quiet:
        qs = qs.filter(urgent=True)
    counts: dict[str, int] = {}
    for pk in list(qs.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]):
        state = notification_send(pk=pk, now=now, channels=channels)
        if state:
            counts[state] = counts.get(state, 0) + 1
    return counts
