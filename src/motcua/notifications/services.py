"""Every write of notifications: the outbox rows (written inside the event's transaction), the
citizen's choice of channels, the sender's state machine and the unsubscribe link.

State machine of a row: pending → sending → sent | failed, and sending → pending on a temporary
error (with back-off). A worker that dies after the channel answered leaves the row in `sending`;
once the lease runs out another worker takes it again and sends it with the same idempotency key,
which the channel recognises: the citizen gets one message, and the row ends up `sent`.
"""

from __future__ import annotations

import copy
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
    if_absent: bool = False,
    appointments_only: bool = False,
) -> ContactPreference | None:
    """Record which channels a citizen agreed to (None and nothing stored without consent).

    `if_absent`: an anonymous form (portal booking, home-visit booking, online submission) typed
    by whoever knows a name and an ID number: it may give a choice to a citizen who has none, but
    never changes a recorded one (else a stranger could redirect a known citizen's messages to
    their own phone or e-mail). Only the citizen's signed preferences link or an official
    changes a recorded choice. A row kept for appointments only is not a choice: a standing
    consent replaces it.

    `appointments_only`: the consent covers the citizen's appointments only (a booking's phone,
    see `_appointment_pref`), not their dossiers.
    """
    if not consent:
        return None
    keep_stopped = False
    if if_absent:
        existing = ContactPreference.objects.filter(citizen=citizen).first()
        if existing is not None:
            if not existing.appointments_only:
                return existing
            # An appointments-only row becomes a standing choice from an anonymous form only
            # with the row's own phone (and e-mail, when one is given), and a "stop" the citizen
            # sent stays: else a stranger who knows the name and ID number would take the
            # citizen's dossier messages to their own phone and undo the stop (review).
            if (phone or "")[:20] != existing.phone or (email and email != existing.email):
                return existing
            keep_stopped = True
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
    pref.appointments_only = appointments_only
    # A fresh consent for a channel takes it back from the stopped list (not an anonymous form's).
    if not keep_stopped:
        pref.stopped = [c for c in pref.stopped if c not in pref.channels]
    pref.save()
    return pref


class _SignedAt(signing.TimestampSigner):
    """A timestamped signature carrying a given time (a preferences link keeps the age of the
    message's link it was reached from, so following links never makes an old link young)."""

    def __init__(self, *, salt: str, at: int | None = None) -> None:
        super().__init__(salt=salt)
        self._at = at

    def timestamp(self) -> str:
        # The office's clock (frozen in tests), like every other time here.
        at = self._at if self._at is not None else int(clock.now().timestamp())
        return signing.b62_encode(at)


def _unsign_timed(token: str, salt: str) -> tuple[str, int | None]:
    """The signed value and its signing time in seconds (None for a link signed before links
    carried one: its age is unknown). BadSignature when forged. A TimestampSigner signs
    "value:time" exactly as a Signer would, so one check verifies both forms (the values signed
    here never hold ':')."""
    raw = signing.Signer(salt=salt).unsign(token)
    head, sep, stamp = raw.rpartition(":")
    if sep:
        try:
            return head, signing.b62_decode(stamp)
        except ValueError:
            raise signing.BadSignature("bad timestamp") from None
    return raw, None


def unsubscribe_token(pref: ContactPreference, channel: str) -> str:
    # Timestamped (the preferences page refuses old links), but never expired for unsubscribing.
    return _SignedAt(salt=UNSUBSCRIBE_SALT).sign(f"{pref.pk}.{channel}")


def unsubscribe_url(pref: ContactPreference, channel: str) -> str:
    from motcua.core.links import public_url

    return public_url(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(pref, channel)})
    )


def unsubscribe_signed_at(token: str) -> int | None:
    """When an unsubscribe link was signed (seconds), None for older links without a time."""
    try:
        return _unsign_timed(token, UNSUBSCRIBE_SALT)[1]
    except signing.BadSignature:
        return None


def unsubscribe_read(token: str) -> tuple[ContactPreference, str]:
    """The preference and channel a signed link names; NotFound for a forged or stale link.
    Never expires: stopping messages must always work (marketing mail by law, and ours)."""
    try:
        value, _at = _unsign_timed(token, UNSUBSCRIBE_SALT)
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
    _withdraw_pending(pref, [channel], "Công dân đã hủy đăng ký kênh này.")
    return pref, channel


PREFERENCES_SALT = "motcua.notifications.preferences"


def preferences_token(pref: ContactPreference, *, at: int | None = None) -> str:
    """Signed with its time (`at`: that of the link it was reached from)."""
    return _SignedAt(salt=PREFERENCES_SALT, at=at).sign(str(pref.pk))


def preferences_url(pref: ContactPreference) -> str:
    from motcua.core.links import public_url

    return public_url(
        reverse("notifications:preferences", kwargs={"token": preferences_token(pref)})
    )


def preferences_max_age() -> timedelta:
    """How long a preferences link shows personal data (`NOTIFY_PREFERENCES_MAX_AGE_DAYS`,
    default 90 days): a message forwarded or found months later must not open it."""
    from motcua.notifications.channels import conf

    try:
        days = int(conf("NOTIFY_PREFERENCES_MAX_AGE_DAYS"))
    except ValueError:
        days = 90
    return timedelta(days=max(days, 1))


class PreferencesLinkExpired(NotFound):
    """A genuine preferences link that is too old to show personal data (it still stops)."""

    def __init__(self, pref: ContactPreference) -> None:
        super().__init__(
            "Đường dẫn này đã quá hạn để xem và đổi lựa chọn nhận thông báo (vì nó hiện thông "
            "tin cá nhân). Ông/Bà vẫn có thể ngừng nhận mọi thông báo ngay tại đây, hoặc dùng "
            "đường dẫn trong tin nhắn mới nhất để chọn lại kênh.",
            code="preferences_expired",
        )
        self.pref = pref


def preferences_read(token: str, *, now: datetime | None = None) -> ContactPreference:
    """The preference a signed preferences link names: NotFound when forged,
    PreferencesLinkExpired (with the preference) when older than `preferences_max_age()` or
    signed before links carried a time."""
    try:
        value, at = _unsign_timed(token, PREFERENCES_SALT)
        pref = ContactPreference.objects.select_related("citizen").get(pk=int(value))
    except (signing.BadSignature, ValueError, ContactPreference.DoesNotExist):
        raise NotFound(
            "Đường dẫn chọn kênh nhận thông báo không hợp lệ.", code="preferences_invalid"
        )
    moment = (now or clock.now()).timestamp()
    if at is None or moment - at > preferences_max_age().total_seconds():
        raise PreferencesLinkExpired(pref)
    return pref


def _withdraw_pending(pref: ContactPreference, channels: list[str], reason: str) -> int:
    """Pending messages of channels the citizen left are not sent (Zalo covers ZNS and OA)."""
    names = set(channels)
    if ChannelName.ZALO in names:
        names.add(ChannelName.ZALO_OA)
    if not names:
        return 0
    return Notification.objects.filter(
        citizen_id=pref.citizen_id, channel__in=names, state=State.PENDING
    ).update(state=State.FAILED, failed_at=clock.now(), last_error=reason)


@transaction.atomic
def contact_preference_update(
    *, pref: ContactPreference, consent: bool, channels: list[str], email: str = ""
) -> ContactPreference:
    """The citizen's own choice on the preferences page (signed link): channels with consent.

    Choosing no channel stops every channel. The phone is not changed here (a link forwarded by
    mistake must not redirect the messages); the e-mail address may be given for e-mail.
    """
    from motcua.notifications.models import CHOOSABLE

    unknown = [c for c in channels if c not in CHOOSABLE]
    if unknown:
        raise ValidationFailed("Kênh nhận thông báo không hợp lệ.", code="invalid_notify_channel")
    pref = ContactPreference.objects.select_for_update().get(pk=pref.pk)
    chosen = list(dict.fromkeys(channels))
    if chosen and not consent:
        raise ValidationFailed(
            "Vui lòng đánh dấu đồng ý để nhận thông báo qua các kênh đã chọn.",
            code="notify_consent_required",
        )
    email = (email or pref.email or "").strip()
    if ChannelName.EMAIL in chosen and not email:
        raise ValidationFailed(
            "Vui lòng nhập địa chỉ thư điện tử để nhận thông báo qua thư.", code="email_required"
        )
    if ChannelName.SMS in chosen and not pref.phone:
        raise ValidationFailed(
            "Chưa có số điện thoại nhận tin: vui lòng báo cán bộ một cửa khi đến nộp hồ sơ.",
            code="phone_missing",
        )
    left = [c for c in CHOOSABLE if c not in chosen]
    pref.channels = chosen
    pref.email = email
    pref.stopped = [c for c in dict.fromkeys([*pref.stopped, *left]) if c not in chosen]
    if chosen:
        pref.consent_at = clock.now()
        pref.consent_source = "online"
        pref.recorded_by = None
        pref.appointments_only = False  # the page's consent covers dossiers too
    pref.save()
    _withdraw_pending(pref, left, "Công dân đã bỏ chọn kênh này.")
    return pref


# --- the office's wording -------------------------------------------------------------------------


@transaction.atomic
def message_template_save(
    *, kind: str, channel: str, body: str, subject: str = "", actor: Any = None
) -> Any:
    """Write the office's wording of one kind on one channel (checked like the admin's form:
    `texts.template_errors`; ValidationFailed in Vietnamese when it is refused)."""
    from django.core.exceptions import ValidationError

    from motcua.notifications.models import MessageTemplate

    row = MessageTemplate.objects.filter(kind=kind, channel=channel).first() or MessageTemplate(
        kind=kind, channel=channel
    )
    row.subject, row.body, row.active = subject, body, True
    row.updated_by = actor if getattr(actor, "pk", None) else None
    try:
        row.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(m for msgs in exc.message_dict.values() for m in msgs),
            code="template_invalid",
        ) from None
    row.save()
    return row


# --- Zalo Official Account: linking a follower ----------------------------------------------------

ZALO_LINK_SALT = "motcua.notifications.zalo-link"


def zalo_link_code(pref: ContactPreference) -> str:
    """The short code a citizen sends to the office's OA to be written there ("DK 12-ab34cd")."""
    import hashlib
    import hmac

    from django.conf import settings

    mac = hmac.new(
        f"{settings.SECRET_KEY}:{ZALO_LINK_SALT}".encode(), str(pref.pk).encode(), hashlib.sha256
    ).hexdigest()[:6]
    return f"DK {pref.pk}-{mac}"


def _pref_by_link_code(text: str) -> ContactPreference | None:
    import hmac
    import re

    m = re.search(r"\bDK\s*(\d{1,12})-([0-9a-f]{6})\b", text or "", re.IGNORECASE)
    if not m:
        return None
    pref = ContactPreference.objects.filter(pk=int(m.group(1))).first()
    if pref is None:
        return None
    expected = zalo_link_code(pref).split("-", 1)[1]
    return pref if hmac.compare_digest(expected, m.group(2).lower()) else None


@transaction.atomic
def zalo_oa_event(*, event: dict[str, Any]) -> str:
    """One verified webhook event of the office's OA; what was done ("linked", "unlinked", "").

    - `user_send_text` with the citizen's code (shown on their preferences page, where they
      chose Zalo and agreed): the follower id is stored, and "zalo" goes through the OA.
    - `unfollow`: the follower id is forgotten; pending OA messages are not sent (listed for
      staff with the reason); later messages go by ZNS to the phone again.
    A follow alone names nobody: nothing is stored for it.
    """
    name = str(event.get("event_name") or "")
    sender = str((event.get("sender") or {}).get("id") or "")[:64]
    follower = str((event.get("follower") or {}).get("id") or "")[:64]
    if name == "user_send_text" and sender:
        pref = _pref_by_link_code(str((event.get("message") or {}).get("text") or ""))
        if pref is None:
            return ""
        pref = ContactPreference.objects.select_for_update().get(pk=pref.pk)
        # One follower id belongs to one citizen: an older link of it is dropped.
        ContactPreference.objects.filter(zalo_user_id=sender).exclude(pk=pref.pk).update(
            zalo_user_id="", zalo_linked_at=None
        )
        pref.zalo_user_id = sender
        pref.zalo_linked_at = clock.now()
        if ChannelName.ZALO not in pref.channels:
            pref.channels = [*pref.channels, ChannelName.ZALO.value]
        pref.stopped = [c for c in pref.stopped if c != ChannelName.ZALO]
        if pref.consent_at is None:
            pref.consent_at = pref.zalo_linked_at
            pref.consent_source = "online"
        pref.save()
        return "linked"
    if name == "unfollow" and (follower or sender):
        who = follower or sender
        prefs = list(ContactPreference.objects.filter(zalo_user_id=who))
        for pref in prefs:
            Notification.objects.filter(
                citizen_id=pref.citizen_id, channel=ChannelName.ZALO_OA, state=State.PENDING
            ).update(
                state=State.FAILED,
                failed_at=clock.now(),
                last_error="Công dân đã bỏ quan tâm Official Account.",
            )
        ContactPreference.objects.filter(zalo_user_id=who).update(
            zalo_user_id="", zalo_linked_at=None
        )
        return "unlinked" if prefs else ""
    return ""


# --- the outbox -----------------------------------------------------------------------------------


def _templates(kind: str) -> dict[str, Any]:
    """The office's active templates of `kind`, per channel (one query)."""
    from motcua.notifications.models import MessageTemplate

    return {t.channel: t for t in MessageTemplate.objects.filter(kind=kind, active=True)}


def _enqueue(
    *,
    kind: str,
    pref: ContactPreference | None,
    ctx: dict[str, Any],
    unit: Any,
    dossier: Any = None,
    ticket: Any = None,
    now: datetime,
    dedupe: str = "",
) -> list[Notification]:
    """Outbox rows for one event, one per channel the citizen agreed to (same transaction).

    `dedupe` names the event when it may be seen twice (a job that runs every hour): the row's
    unique key "<dedupe>:<channel>" makes a second insert a no-op, even from two workers at once.
    """
    if pref is None:
        return []
    channels = pref.active_channels()
    if not channels:
        return []
    text = render(kind, ctx, _templates(kind))
    urgent = kind in URGENT_KINDS
    at = rules.next_allowed(clock.local(now), urgent=urgent)
    rows = []
    for choice in channels:
        channel = choice
        recipient = pref.email if choice == ChannelName.EMAIL else pref.phone
        if choice == ChannelName.ZALO and pref.zalo_user_id:
            # A follower of the office's OA who linked it: written there, not by ZNS.
            channel, recipient = ChannelName.ZALO_OA, pref.zalo_user_id
        if not recipient:
            continue
        if (
            ticket is not None
            and Notification.objects.filter(ticket=ticket, kind=kind, channel=channel).exists()
        ):
            continue  # one "near" and one "called" per ticket and channel
        link = unsubscribe_url(pref, choice)
        if channel == ChannelName.SMS:
            body = rules.sms_text(text.short, protected=text.protected, tail=f"Hủy: {link}")
        elif channel == ChannelName.EMAIL:
            body = (
                f"{text.body}\n\n--\nKhông muốn nhận thư này nữa: {link}\n"
                f"Chọn kênh nhận thông báo: {preferences_url(pref)}"
            )
        elif channel == ChannelName.ZALO_OA:
            body = (
                f"{text.oa}\n\nKhông muốn nhận tin qua Zalo nữa: {link}\n"
                f"Chọn kênh nhận thông báo: {preferences_url(pref)}"
            )
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
                dedupe_key=f"{dedupe}:{channel}"[:120] if dedupe else None,
            )
        )
    if dedupe:
        # Rows already there (an earlier run) are skipped by the unique key, not duplicated.
        taken = set(
            Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).values_list(
                "dedupe_key", flat=True
            )
        )
        rows = [r for r in rows if r.dedupe_key not in taken]
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
    else:
        Notification.objects.bulk_create(rows)
    return rows


def _dossier_context(dossier: Any) -> dict[str, Any]:
    from motcua.core.links import public_url

    citizen = dossier.citizen
    return {
        "ma_ho_so": dossier.code,
        "ho_ten": getattr(citizen, "full_name", "") or "Ông/Bà",
        "ten_thu_tuc": getattr(dossier.procedure_version, "name", "") or "",
        "ngay_hen": _fmt_date(dossier.appointment_at or dossier.due_at),
        "tra_cuu": public_url(reverse("portal:lookup")),
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
            if_absent=actor is None,
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
    """The citizen's standing choice (for dossiers, receipts, walk-in tickets): not a row kept
    for their appointments only."""
    if citizen is None:
        return None
    return ContactPreference.objects.filter(citizen=citizen, appointments_only=False).first()


def _money(amount: Any) -> str:
    return f"{int(amount):,}".replace(",", ".") + " đồng"


def notification_dossier_event(*, dossier: Any, action: str, note: str = "") -> list[Notification]:
    """After a move of dossier_act (same transaction): the message the citizen should get, if any."""
    kind = {
        "accept": Kind.DOSSIER_RECEIVED,
        "request_supplement": Kind.SUPPLEMENT_NEEDED,
        "finish": Kind.RESULT_READY,
        "return": Kind.RESULT_DELIVERED,
        # Form 04 of Circular 01/2018/TT-VPCP: the apology letter and the new appointment (the rule
        # is now Decree 118/2025/NĐ-CP; its article on late dossiers was not read here).
        "extend": Kind.OVERDUE_APOLOGY,
        # Status 6: the dossier waits for the fees (the amount still owed).
        "request_payment": Kind.PAYMENT_DUE,
    }.get(action)
    if kind is None:
        return []
    pref = _pref(dossier.citizen)
    if pref is None or not pref.active_channels():
        return []
    now = clock.now()
    ctx = _dossier_context(dossier)
    if kind == Kind.SUPPLEMENT_NEEDED:
        papers = list(
            dossier.papers.filter(provided=False, required=True).values_list("name", flat=True)
        )
        ctx["giay_to"] = "; ".join(papers) or note or ""
        ctx["ghi_chu"] = f"Ghi chú của cán bộ: {note}\n" if note else ""
    elif kind == Kind.RESULT_READY:
        ctx["noi_nhan"], ctx["noi_nhan_ngan"] = _where(dossier)
    elif kind == Kind.RESULT_DELIVERED:
        ctx["ngay_tra"] = _fmt_date(dossier.returned_at or now)
    elif kind == Kind.OVERDUE_APOLOGY:
        letter = dossier.extensions.order_by("-number").first()
        if letter is None:
            return []
        ctx["ngay_hen_cu"] = _fmt_date(letter.previous_due_at)
        ctx["ngay_hen"] = _fmt_date(letter.new_due_at)
        ctx["ly_do"] = (letter.reason or "").strip().rstrip(".") or "cần thêm thời gian giải quyết"
    elif kind == Kind.PAYMENT_DUE:
        from motcua.payments.selectors import dossier_outstanding

        owed = dossier_outstanding(dossier)
        if owed <= 0:
            return []
        ctx["so_tien"] = _money(owed)
    return _enqueue(kind=kind, pref=pref, ctx=ctx, unit=dossier.unit, dossier=dossier, now=now)


def notification_receipt_issued(*, receipt: Any) -> list[Notification]:
    """The receipt of a payment was issued (inside receipt_issue's transaction)."""
    dossier = receipt.dossier
    pref = _pref(dossier.citizen)
    if pref is None or not pref.active_channels():
        return []
    ctx = _dossier_context(dossier)
    ctx["so_tien"] = _money(receipt.amount)
    ctx["so_bien_lai"] = str(receipt)
    ctx["ngay_nop"] = _fmt_date(receipt.payment.paid_at or receipt.issued_at)
    return _enqueue(
        kind=Kind.RECEIPT_ISSUED,
        pref=pref,
        ctx=ctx,
        unit=dossier.unit,
        dossier=dossier,
        now=clock.now(),
        dedupe=f"receipt:{receipt.pk}",
    )


_UNREAD: Any = object()  # _appointment_pref: the citizen's choice not read yet


def _appointment_pref(
    citizen: Any, phone: str, at: Any, pref: Any = _UNREAD
) -> ContactPreference | None:
    """Whom to tell about an appointment (a booking, a home visit, its ticket): the citizen's
    standing choice, else by SMS to the phone given for this appointment (the booking form asks
    consent to be contacted about that appointment only). That consent is kept in a row for
    appointments only (source `booking`), which carries the citizen's "stop" and is never used
    for their dossiers; each appointment's messages go to its own phone.
    `pref`: the citizen's row when the caller has already read it (None: there is none)."""
    if pref is _UNREAD:
        pref = ContactPreference.objects.filter(citizen=citizen).first() if citizen else None
    if pref is not None and not pref.appointments_only:
        return pref if pref.active_channels() else None
    if not phone or citizen is None:
        return None
    if pref is None:
        pref = contact_preference_record(
            citizen=citizen,
            consent=True,
            channels=[ChannelName.SMS],
            phone=phone,
            source="booking",
            now=at,
            appointments_only=True,
        )
    if pref is None or not pref.active_channels():
        return None  # the citizen stopped these messages (the link in one of them)
    if pref.phone != phone[:20]:
        pref = copy.copy(pref)  # this appointment's phone; the row keeps the first one
        pref.phone = phone[:20]
    return pref


def _ticket_pref(
    ticket: Any, prefs: dict[Any, ContactPreference] | None = None
) -> ContactPreference | None:
    """Whom to tell about a ticket. `prefs`: the choices already read, by citizen id."""
    if ticket.citizen_id is None:
        return None
    if prefs is not None:
        pref = prefs.get(ticket.citizen_id)
    else:
        pref = ContactPreference.objects.filter(citizen_id=ticket.citizen_id).first()
    if ticket.booking_id is None:  # a walk-in ticket: the standing choice only
        if pref is None or pref.appointments_only or not pref.active_channels():
            return None
        return pref
    booking = ticket.booking
    return _appointment_pref(ticket.citizen, booking.phone, booking.created_at, pref)


_LINE = object()  # notification_ticket_called: read the 4th of the service's line itself


def _prefs_of(citizen_ids: set[Any]) -> list[ContactPreference]:
    """The contact choices of these citizens: one plain statement (on every call-next, where the
    ORM's compile cost more than the read; see queueing/hotsql.py), prepared on PostgreSQL
    (planned once per connection and number of citizens, one or two: planning it cost 20 times
    its execution at every call)."""
    from motcua.core.rawsql import columns, instance, prepared_cursor, quote

    ids = sorted(citizen_ids)
    with prepared_cursor() as cur:
        cur.execute(
            f"SELECT {columns(ContactPreference)} FROM {quote(ContactPreference._meta.db_table)} "  # noqa: S608
            f"WHERE citizen_id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        return [instance(ContactPreference, row) for row in cur.fetchall()]


def notification_ticket_called(
    *, ticket: Any, near_id: Any = _LINE, near: Any = _LINE
) -> list[Notification]:
    """After a counter called `ticket` (same transaction): "your turn at counter N" to it, and
    "3 people ahead of you" to the ticket now that far down the line.

    `near`: that ticket (None: nobody), as the caller's calling order has it (call-next passes
    the 4th of the counter's own line, priority policy included, built from the rows it read);
    or `near_id`, its id, read here; when neither is given, the 4th of the same service's
    line, oldest first. The citizens' contact choices are read only when a ticket has one.
    """
    if ticket is None:
        return []
    from motcua.queueing.models import Status as TicketStatus
    from motcua.queueing.models import Ticket

    now = clock.now()
    unit = ticket.office.unit
    if near is not _LINE:
        pass
    elif near_id is _LINE:
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
    prefs = {p.citizen_id: p for p in _prefs_of(citizens)} if citizens else {}
    rows: list[Notification] = []
    pref = _ticket_pref(ticket, prefs)
    if pref is not None:
        rows += _enqueue(
            kind=Kind.QUEUE_CALLED,
            pref=pref,
            ctx={
                "so_thu_tu": ticket.display,
                "quay": ticket.counter.number if ticket.counter else "",
            },
            unit=unit,
            ticket=ticket,
            now=now,
        )
    near_pref = _ticket_pref(near, prefs) if near is not None else None
    if near is not None and near_pref is not None:
        rows += _enqueue(
            kind=Kind.QUEUE_NEAR,
            pref=near_pref,
            ctx={"so_thu_tu": near.display, "dich_vu": near.service.name, "con_lai": NEAR_AHEAD},
            unit=unit,
            ticket=near,
            now=now,
        )
    return rows


# --- reminders the day before ----------------------------------------------------------------


def reminders_enqueue(*, now: datetime | None = None) -> dict[str, int]:
    """Reminders of tomorrow's bookings and home visits (the reminders' job, every hour).

    Idempotent per booking/visit and day: each row's dedupe key names them, so a second run
    (or two workers at once) adds nothing. A booking made after the last run of the day is
    reminded by the next run; none goes out at night (not urgent: held until 07:00).
    """
    from motcua.core.links import public_url
    from motcua.homeservice.models import HomeVisit, VisitStatus
    from motcua.queueing.models import Booking, BookingStatus

    now = now or clock.now()
    tomorrow = clock.local(now).date() + timedelta(days=1)
    lo = datetime.combine(tomorrow, datetime.min.time(), tzinfo=clock.local(now).tzinfo)
    hi = lo + timedelta(days=1)
    counts = {"booking": 0, "visit": 0}
    cancel = public_url(reverse("portal:booking_cancel"))
    bookings = (
        Booking.objects.filter(status=BookingStatus.BOOKED, slot_start__gte=lo, slot_start__lt=hi)
        .select_related("office", "office__unit", "service", "citizen")
        .order_by("slot_start", "pk")
    )
    for b in bookings:
        with transaction.atomic():
            office = b.office
            place = office.name + (f", {office.address}" if office.address else "")
            rows = _enqueue(
                kind=Kind.BOOKING_REMINDER,
                pref=_appointment_pref(b.citizen, b.phone, b.created_at),
                ctx={
                    "ma_lich_hen": b.code,
                    "ho_ten": b.full_name or b.citizen.full_name,
                    "dich_vu": b.service.name,
                    "ngay_hen": f"{tomorrow:%d/%m/%Y}",
                    "gio_hen": f"{clock.local(b.slot_start):%H:%M}",
                    "dia_diem": place,
                    "huy_lich": cancel,
                },
                unit=office.unit,
                now=now,
                dedupe=f"booking:{b.pk}:{tomorrow:%Y%m%d}",
            )
            counts["booking"] += len(rows)
    lookup = public_url(reverse("homeservice:lookup"))
    visits = (
        HomeVisit.objects.filter(
            date=tomorrow, status__in=[VisitStatus.REQUESTED, VisitStatus.ASSIGNED]
        )
        .select_related("citizen", "procedure_version", "unit")
        .order_by("pk")
    )
    for v in visits:
        with transaction.atomic():
            rows = _enqueue(
                kind=Kind.VISIT_REMINDER,
                pref=_appointment_pref(v.citizen, v.phone, v.created_at),
                ctx={
                    "ma_lich_hen": v.code,
                    "ho_ten": v.full_name,
                    "ten_thu_tuc": v.procedure_version.name,
                    "ngay_hen": f"{tomorrow:%d/%m/%Y}",
                    "buoi": v.get_half_day_display().replace("Buổi ", "").lower(),
                    "dia_chi": v.address,
                    "huy_lich": lookup,
                },
                unit=v.unit,
                now=now,
                dedupe=f"visit:{v.pk}:{tomorrow:%Y%m%d}",
            )
            counts["visit"] += len(rows)
    return counts


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
    row = Notification.objects.filter(pk=pk).values("urgent", "state", "channel").first()
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
    if row["state"] == State.SENDING and not getattr(channel, "idempotent", True):
        # Taken again after a worker died mid-send on a channel that takes no request id (the
        # OA API documents none): it may have reached the citizen. Not sent twice; listed.
        return notification_failed(
            notification=n,
            error="Không chắc tin đã đến người nhận (kênh không có mã chống gửi trùng); "
            "không gửi lại để tránh gửi hai lần.",
            permanent=True,
            now=clock.now(),
        )
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
