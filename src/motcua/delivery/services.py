"""Writes of the delivery app: choose how the result goes back, the task, handover, post.

The legal clock and postal transport (Decision 45/2016/QĐ-TTg on receiving dossiers and
returning results of administrative procedures via public postal services). The rule this
module follows is that the time the parcel spends with the postal operator is not part of the
processing time: an inbound dossier's time limit starts when the office receives the parcel
(`shipment_inbound_receive`: the dossier is received then, not when the citizen posted it),
and a result sent by post counts as returned when the office hands it to the postal operator
(`postal_webhook`, event "accepted": the dossier's return move is made then, not when the
postman reaches the citizen). The decision's article text could not be read on this machine
(only secondary summaries of its Articles 5 and 11 were found): the article stating the rule
must be checked against the official text (STATUS.md).
"""

from __future__ import annotations

import io
import logging
import secrets
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.services import audit_record
from motcua.delivery import postal
from motcua.delivery.models import (
    Delivery,
    DeliveryStatus,
    Direction,
    Method,
    OrderState,
    PostalEvent,
    PostalOrder,
    Shipment,
    WebhookLog,
)
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.workflow import HOME_SERVICE, RECEPTION, Status

log = logging.getLogger("motcua.delivery")

# Birth registrations (the catalogue codes): delivered at home with a card and flowers.
BIRTH_PROCEDURES = frozenset({"1.001193", "2.000528", "1.000689"})
FLOWERS_NOTE = "Mang theo hoa và thiệp chúc mừng của phường cho gia đình có bé mới sinh."
MAX_PROOF_BYTES = 5 * 1024 * 1024


def _event(
    dossier: Dossier, action: str, actor: Any, note: str = "", at: datetime | None = None
) -> None:
    """A delivery milestone in the dossier's own timeline (status unchanged)."""
    DossierEvent.objects.create(
        dossier=dossier,
        at=at or clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=dossier.status,
        to_status=dossier.status,
        unit=dossier.unit,
        note=note,
        due_at=dossier.due_at,
    )


def _check_staff(dossier: Dossier, actor: Any, roles: set[str]) -> None:
    from motcua.dossiers.services import dossier_roles

    if actor is None or not (dossier_roles(actor, dossier) & roles):
        raise PermissionDenied(
            "Chỉ cán bộ một cửa hoặc cán bộ phục vụ tại nhà của đơn vị được thực hiện thao tác này.",
            code="forbidden",
        )


def _is_birth(dossier: Dossier) -> bool:
    return dossier.procedure.code in BIRTH_PROCEDURES


def _open_task(delivery: Delivery, now: datetime) -> None:
    dossier = delivery.dossier
    delivery.status = DeliveryStatus.READY
    delivery.task_at = now
    # The result must reach the citizen by the legal due moment: a same-day death registration
    # (procedure on holiday duty) keeps its same-day moment, holidays included.
    delivery.due_at = dossier.due_at
    delivery.card = delivery.method == Method.HOME and _is_birth(dossier)
    delivery.task_note = FLOWERS_NOTE if delivery.card else ""


@transaction.atomic
def delivery_choose(
    *,
    dossier: Dossier,
    method: str,
    actor: Any,
    address: str = "",
    recipient_name: str = "",
    phone: str = "",
    child_name: str = "",
) -> Delivery:
    """Record how the citizen wants the result (at reception, online, or later, before it goes out)."""
    if method not in Method.values:
        raise ValidationFailed(
            "Cách nhận kết quả không hợp lệ (chọn: counter, home, post).", code="invalid_method"
        )
    dossier = (
        Dossier.objects.select_for_update()
        .select_related("procedure", "citizen")
        .get(pk=dossier.pk)
    )
    if actor is not None:
        _check_staff(dossier, actor, {RECEPTION, HOME_SERVICE})
    if dossier.status in (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED):
        raise Conflict("Hồ sơ đã kết thúc: không thể đổi cách nhận kết quả.", code="dossier_closed")
    address = (address or "").strip() or (dossier.citizen.address or "")
    if method != Method.COUNTER and not address.strip():
        raise ValidationFailed("Cần địa chỉ nhận kết quả.", code="address_required")
    delivery = Delivery.objects.select_for_update().filter(dossier=dossier).first()
    now = clock.now()
    if delivery is None:
        delivery = Delivery(dossier=dossier, created_at=now, created_by=_pk(actor))
    elif delivery.status not in (DeliveryStatus.WAITING, DeliveryStatus.READY):
        raise Conflict(
            "Kết quả đã được gửi hoặc trao: không thể đổi cách nhận.", code="delivery_started"
        )
    if delivery.pk is not None:
        _order_withdraw(delivery, keep=method == Method.POST)
    delivery.method = method
    delivery.address = address.strip()[:300] if method != Method.COUNTER else address[:300]
    delivery.recipient_name = (recipient_name or dossier.citizen.full_name).strip()[:200]
    delivery.phone = (phone or dossier.citizen.phone or "").strip()[:20]
    delivery.child_name = (child_name or delivery.child_name).strip()[:200]
    if dossier.status == Status.FINISHED:
        _open_task(delivery, now)
    delivery.save()
    _event(dossier, "delivery_choose", actor, f"{Method(method).label}. {delivery.address}".strip())
    if delivery.status == DeliveryStatus.READY and method == Method.POST:
        _order_enqueue(delivery, actor, now)
    audit_record(action="delivery.choose", actor=actor, obj=delivery, detail={"method": method})
    return delivery


def _pk(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def delivery_result_ready(*, dossier: Dossier, actor: Any, now: datetime) -> Delivery:
    """The dossier's result is ready (called by the dossier service inside its transaction)."""
    delivery = Delivery.objects.select_for_update().filter(dossier=dossier).first()
    if delivery is None:
        citizen = dossier.citizen
        delivery = Delivery(
            dossier=dossier,
            method=Method.COUNTER,
            recipient_name=citizen.full_name,
            phone=citizen.phone or "",
            created_at=now,
        )
    _open_task(delivery, now)
    delivery.save()
    if delivery.method != Method.COUNTER:
        note = f"{Method(delivery.method).label}: {delivery.address}"
        if delivery.task_note:
            note += f". {delivery.task_note}"
        _event(dossier, "delivery_task", actor, note, at=now)
    if delivery.method == Method.POST:
        _order_enqueue(delivery, actor, now)
    return delivery


def _image(content: bytes, what: str) -> tuple[bytes, str]:
    """A checked image re-encoded without metadata (EXIF, location) and at most 1600 px."""
    from PIL import Image

    from motcua.dossiers.scans import scan_check

    if not content:
        raise ValidationFailed(f"Thiếu {what}.", code="proof_required")
    if len(content) > MAX_PROOF_BYTES:
        raise ValidationFailed(f"Ảnh {what} quá lớn (tối đa 5 MB).", code="proof_too_large")
    ctype, _ext = scan_check(content)
    if not ctype.startswith("image/"):
        raise ValidationFailed(
            f"{what.capitalize()} phải là ảnh JPEG hoặc PNG.", code="proof_not_image"
        )
    img = Image.open(io.BytesIO(content))
    img.thumbnail((1600, 1600))
    out = io.BytesIO()
    if ctype == "image/png":
        img.save(out, "PNG")
        return out.getvalue(), "png"
    img.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue(), "jpg"


@transaction.atomic
def delivery_handover(
    *,
    dossier: Dossier,
    actor: Any,
    signature: bytes,
    photo: bytes = b"",
    received_by_name: str = "",
) -> Delivery:
    """The official hands the result over (at home or at the counter) with proof; the dossier is returned."""
    from motcua.dossiers.services import dossier_act

    # Who hands over is checked here, not left to the dossier's return move: a result sent back
    # by the post belongs to a dossier already returned, and no move follows its handover.
    _check_staff(dossier, actor, {RECEPTION, HOME_SERVICE})
    delivery = Delivery.objects.select_for_update().filter(dossier=dossier).first()
    if delivery is None or delivery.status not in (DeliveryStatus.READY, DeliveryStatus.FAILED):
        raise Conflict(
            "Không có nhiệm vụ trả kết quả đang chờ cho hồ sơ này.", code="no_delivery_task"
        )
    if delivery.method == Method.POST and delivery.status != DeliveryStatus.FAILED:
        raise Conflict("Kết quả gửi qua bưu chính được trao bởi bưu điện.", code="delivery_by_post")
    sig, sig_ext = _image(signature, "chữ ký người nhận")
    now = clock.now()
    name = f"{dossier.pk}-{secrets.token_hex(6)}"
    delivery.proof_signature.save(f"{name}-ky.{sig_ext}", ContentFile(sig), save=False)
    if photo:
        pic, pic_ext = _image(photo, "ảnh trao kết quả")
        delivery.proof_photo.save(f"{name}-anh.{pic_ext}", ContentFile(pic), save=False)
    delivery.received_by_name = (received_by_name or delivery.recipient_name).strip()[:200]
    delivery.delivered_at = now
    delivery.delivered_by = _pk(actor)
    delivery.status = DeliveryStatus.DELIVERED
    delivery.save()
    fresh = Dossier.objects.get(pk=dossier.pk)
    if fresh.status == Status.FINISHED:
        # The handover is the legal return: the dossier's own return move, by this official.
        dossier_act(dossier=fresh, action="return", actor=actor, note="Có chữ ký người nhận")
        fresh.refresh_from_db()
    _event(fresh, "delivery_handover", actor, f"Người nhận: {delivery.received_by_name}", at=now)
    audit_record(action="delivery.handover", actor=actor, obj=delivery, detail={})
    return delivery


def _office_party(dossier: Dossier) -> postal.Party:
    unit = dossier.unit
    return postal.Party(
        name=f"Bộ phận một cửa {unit.name}",
        phone=str(getattr(unit, "phone", "") or ""),
        address=str(getattr(unit, "address", "") or unit.name),
    )


def shipment_send(*, dossier: Dossier, actor: Any, weight_grams: int = 200) -> Shipment:
    """Send the result's order to the postal operator now (waybill, postage); the label can then
    be printed. The order is the outbox row written when the result became ready to go by post
    (the background worker would send it too): the official sends it at once, with the parcel's
    weight. The operator is called outside any transaction (no lock held over the network) and
    answers a repeated order reference with the same order, so a retry after a lost answer, or
    the worker and the official sending together, get the same waybill, never a second parcel.
    Raises postal.PostalError when the operator cannot be reached (the row stays for the worker).
    """
    dossier = Dossier.objects.select_related("unit", "procedure").get(pk=dossier.pk)
    _check_staff(dossier, actor, {RECEPTION})
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(dossier=dossier).first()
        if delivery is None or delivery.method != Method.POST:
            raise Conflict("Công dân không chọn nhận kết quả qua bưu chính.", code="not_by_post")
        if delivery.status != DeliveryStatus.READY or dossier.status != Status.FINISHED:
            raise Conflict("Kết quả chưa sẵn sàng hoặc đã được gửi.", code="not_ready_to_ship")
        row = _order_enqueue(delivery, actor, clock.now())
        if row.state == OrderState.PENDING:
            row.weight_grams = int(weight_grams)
            row.save(update_fields=["weight_grams"])
    shipment = postal_order_send(order_id=row.pk, force=True, actor=actor)
    if shipment is None:  # cancelled meanwhile (the citizen chose another way)
        raise Conflict("Kết quả chưa sẵn sàng hoặc đã được gửi.", code="not_ready_to_ship")
    return shipment


# ---------------------------------------------------------------- the outbox of postal orders

# Waits between attempts (minutes); after the last one the order is marked failed and the
# task page says so (the official can still send it by hand).
ORDER_RETRY_MINUTES = (1, 2, 5, 10, 30, 60, 120, 240)


def _order_enqueue(delivery: Delivery, actor: Any, now: datetime) -> PostalOrder:
    """The outbox row of the result's postal order (one per dossier), in the caller's transaction."""
    row = PostalOrder.objects.select_for_update().filter(delivery=delivery).first()
    if row is None:
        row = PostalOrder.objects.create(
            dossier_id=delivery.dossier_id,
            delivery=delivery,
            order_ref=f"{delivery.dossier.code}-KQ",
            next_attempt_at=now,
            created_at=now,
            created_by=_pk(actor),
        )
        _event(delivery.dossier, "post_order", actor, f"Mã đơn {row.order_ref}", at=now)
    elif row.state in (OrderState.CANCELLED, OrderState.FAILED):
        if row.state == OrderState.CANCELLED:
            row.attempts = 0
        row.state = OrderState.PENDING
        row.next_attempt_at = now
        row.last_error = ""
        row.save()
    return row


def _order_withdraw(delivery: Delivery, *, keep: bool) -> None:
    """The citizen changes how the result goes back: an order never sent is cancelled; one that
    may have reached the operator (an attempt was made) cannot be taken back here."""
    row = PostalOrder.objects.select_for_update().filter(delivery=delivery).first()
    if row is None or row.state != OrderState.PENDING:
        return
    if row.attempts:  # the operator may hold the order with the old receiver
        raise Conflict(
            "Đơn gửi kết quả đã được chuyển cho bưu điện: không thể đổi cách nhận.",
            code="delivery_started",
        )
    if keep:
        return
    row.state = OrderState.CANCELLED
    row.save(update_fields=["state"])


def _order_in(row: PostalOrder) -> postal.OrderIn:
    delivery = row.delivery
    dossier = row.dossier
    return postal.OrderIn(
        order_ref=row.order_ref,
        direction=Direction.OUT,
        sender=_office_party(dossier),
        receiver=postal.Party(delivery.recipient_name, delivery.phone, delivery.address),
        weight_grams=row.weight_grams,
        content=f"Kết quả giải quyết TTHC, hồ sơ {dossier.code}",
    )


def postal_order_send(*, order_id: int, force: bool = False, actor: Any = None) -> Shipment | None:
    """Send one outbox order: claim it (an attempt counted, the next one scheduled), call the
    operator outside any transaction, then record the shipment in one transaction.

    A crash after the operator answered and before the bookkeeping leaves the row pending with
    its next attempt scheduled: the resend carries the same reference and the operator answers
    with the same waybill. Returns the shipment, or None when there is nothing to send now
    (cancelled, not due, or the operator failed: the row keeps the error). With `force` (the
    official's button) the row is sent even if not due, and an operator failure is raised."""
    from datetime import timedelta

    now = clock.now()
    with transaction.atomic():
        row = (
            # Only the outbox row is locked (PostgreSQL refuses FOR UPDATE over the outer join
            # to the still-empty shipment).
            PostalOrder.objects.select_for_update(of=("self",))
            .select_related("delivery", "dossier__unit", "shipment")
            .filter(pk=order_id)
            .first()
        )
        if row is None or row.state == OrderState.CANCELLED:
            return None
        if row.state == OrderState.SENT:
            return row.shipment
        if not force and (row.state == OrderState.FAILED or row.next_attempt_at > now):
            return None
        row.attempts += 1
        wait = ORDER_RETRY_MINUTES[min(row.attempts, len(ORDER_RETRY_MINUTES)) - 1]
        row.next_attempt_at = now + timedelta(minutes=wait)
        row.state = OrderState.PENDING
        row.save(update_fields=["attempts", "next_attempt_at", "state"])
        order_in = _order_in(row)
    try:
        order = postal.provider().create_order(order_in)
    except postal.PostalError as exc:
        _order_failed(row.pk, str(exc))
        log.warning("postal order %s not sent (attempt %s): %s", row.order_ref, row.attempts, exc)
        if force:
            raise
        return None
    return _order_record(row.pk, order, actor)


@transaction.atomic
def _order_failed(order_id: int, error: str) -> None:
    row = (
        PostalOrder.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .get(pk=order_id)
    )
    if row.state != OrderState.PENDING:
        return
    row.last_error = error[:300]
    fields = ["last_error"]
    if row.attempts >= len(ORDER_RETRY_MINUTES):
        row.state = OrderState.FAILED
        fields.append("state")
        _event(row.dossier, "post_order_failed", None, f"Sau {row.attempts} lần: {row.last_error}")
    row.save(update_fields=fields)


@transaction.atomic
def _order_record(order_id: int, order: postal.Order, actor: Any) -> Shipment:
    """Our bookkeeping of the operator's answer, once (the row's lock and the unique reference).

    Locks in the order every writer uses: the delivery, then its outbox row."""
    delivery_id = PostalOrder.objects.values_list("delivery_id", flat=True).get(pk=order_id)
    Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    row = (
        PostalOrder.objects.select_for_update(of=("self",))
        .select_related("delivery", "dossier", "shipment")
        .get(pk=order_id)
    )
    if row.state == OrderState.SENT and row.shipment is not None:
        return row.shipment
    shipment = _shipment_record(
        dossier=row.dossier,
        delivery=row.delivery,
        order=order,
        ref=row.order_ref,
        actor=actor or row.created_by,
        weight=row.weight_grams,
    )
    row.state = OrderState.SENT
    row.shipment = shipment
    row.sent_at = clock.now()
    row.last_error = ""
    row.save(update_fields=["state", "shipment", "sent_at", "last_error"])
    return shipment


def postal_orders_send_due(*, limit: int = 50) -> dict[str, int]:
    """The worker's pass over the outbox: every pending order whose attempt is due."""
    now = clock.now()
    ids = list(
        PostalOrder.objects.filter(state=OrderState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"sent": 0, "waiting": 0}
    for pk in ids:
        counts["sent" if postal_order_send(order_id=pk) is not None else "waiting"] += 1
    return counts


@transaction.atomic
def _shipment_record(
    *, dossier: Dossier, delivery: Delivery, order: postal.Order, ref: str, actor: Any, weight: int
) -> Shipment:
    existing = Shipment.objects.filter(order_ref=ref).first()
    if existing is not None:
        return existing  # recorded already (the official's send and the worker's crossed)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.READY:
        raise Conflict("Kết quả đã được gửi.", code="not_ready_to_ship")
    now = clock.now()
    shipment = Shipment.objects.create(
        dossier=dossier,
        direction=Direction.OUT,
        provider=postal.provider().name,
        order_ref=ref,
        order_id=order.order_id,
        waybill=order.waybill,
        postage=order.postage,
        recipient_name=delivery.recipient_name,
        phone=delivery.phone,
        address=delivery.address,
        weight_grams=weight,
        created_at=now,
        created_by=_pk(actor),
    )
    delivery.status = DeliveryStatus.SHIPPED
    delivery.save(update_fields=["status"])
    _event(
        dossier,
        "post_shipped",
        actor,
        f"Số vận đơn {order.waybill}, cước {order.postage:,} đồng".replace(",", "."),
    )
    return shipment


@transaction.atomic
def shipment_inbound_receive(
    *,
    waybill: str,
    procedure_code: str,
    citizen: dict[str, Any],
    unit: Any,
    actor: Any,
    posted_at: datetime | None = None,
    postage: int = 0,
    papers: list[int] | None = None,
    delivery_method: str = "",
) -> Shipment:
    """A dossier the citizen sent by post reaches the office: it is received now (the time limit starts
    at the office's receipt; the days in the post do not count), with the parcel recorded."""
    from motcua.dossiers.services import dossier_receive

    waybill = _inbound_waybill(waybill)
    dossier = dossier_receive(
        procedure_code=procedure_code,
        channel="post",
        citizen=citizen,
        unit=unit,
        actor=actor,
        papers=papers,
        notes=f"Hồ sơ gửi qua bưu chính, vận đơn {waybill}",
    )
    shipment = shipment_inbound_record(
        dossier=dossier,
        waybill=waybill,
        actor=actor,
        posted_at=posted_at,
        postage=postage,
        address=str(citizen.get("address") or ""),
    )
    if delivery_method:
        delivery_choose(dossier=dossier, method=delivery_method, actor=actor)
    return shipment


def _inbound_waybill(waybill: str) -> str:
    waybill = "".join((waybill or "").split()).upper()
    if not waybill:
        raise ValidationFailed("Cần số vận đơn của bưu gửi.", code="waybill_required")
    if Shipment.objects.filter(waybill=waybill).exists():
        raise Conflict(f"Bưu gửi {waybill} đã được tiếp nhận.", code="waybill_exists")
    return waybill


def shipment_inbound_record(
    *,
    dossier: Dossier,
    waybill: str,
    actor: Any,
    posted_at: datetime | None = None,
    postage: int = 0,
    address: str = "",
) -> Shipment:
    """The parcel a dossier came in (channel post), recorded in the reception's transaction: the
    waybill, when the post office took it, and the event in the dossier's timeline."""
    waybill = _inbound_waybill(waybill)
    now = dossier.received_at or clock.now()
    shipment = Shipment.objects.create(
        dossier=dossier,
        direction=Direction.IN,
        provider=postal.provider().name,
        order_ref=f"{dossier.code}-HS",
        waybill=waybill,
        status=postal.DELIVERED,
        postage=int(postage or 0),
        recipient_name=dossier.unit.name,
        address=address[:300],
        created_at=now,
        created_by=_pk(actor),
        posted_at=posted_at,
        delivered_at=now,
    )
    posted = f", bưu điện nhận gửi {clock.local(posted_at):%H:%M %d/%m/%Y}" if posted_at else ""
    _event(dossier, "post_inbound", actor, f"Vận đơn {waybill}{posted}", at=now)
    return shipment


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise postal.WebhookRejected("malformed", "thời điểm sự kiện không hợp lệ") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.VN_TZ)
    return moment


def postal_webhook(
    *, body: bytes, headers: Any, remote_addr: str = ""
) -> tuple[str, Shipment | None]:
    """Apply a tracking event once; unsigned, forged, stale, replayed or unknown ones change nothing.

    Every call is written to WebhookLog with its outcome (kept even when refused).
    """
    shipment: Shipment | None = None
    outcome, detail = "applied", ""
    try:
        with transaction.atomic():
            event = postal.provider().parse_webhook(body=body, headers=headers)
            shipment = Shipment.objects.select_for_update().filter(waybill=event.waybill).first()
            if shipment is None or (event.order_ref and event.order_ref != shipment.order_ref):
                raise postal.WebhookRejected("unknown_waybill", f"không có bưu gửi {event.waybill}")
            if PostalEvent.objects.filter(event_id=event.event_id).exists():
                raise postal.WebhookRejected("replay", "sự kiện đã được ghi nhận trước đó")
            _apply(shipment, event)
    except postal.WebhookRejected as exc:
        outcome, detail = exc.outcome, exc.detail
        log.warning("postal webhook refused: %s (%s)", outcome, detail)
    WebhookLog.objects.create(
        received_at=clock.now(),
        body=body.decode("utf-8", "replace")[:10000],
        signature=str(headers.get("X-Signature", "") or "")[:200],
        remote_addr=remote_addr[:64],
        outcome=outcome,
        detail=detail[:300],
    )
    return outcome, shipment


def _apply(shipment: Shipment, event: postal.TrackingEvent) -> None:
    from motcua.dossiers.services import dossier_act

    at = _parse_time(event.occurred_at)
    now = clock.now()
    PostalEvent.objects.create(
        shipment=shipment,
        event_id=event.event_id,
        status=event.status,
        occurred_at=at,
        received_at=now,
        location=event.location[:200],
        note=event.note[:300],
    )
    shipment.status = event.status
    dossier = Dossier.objects.select_for_update().get(pk=shipment.dossier_id)
    delivery = (
        Delivery.objects.select_for_update().filter(dossier=dossier).first()
        if shipment.direction == Direction.OUT
        else None
    )
    where = f" ({event.location})" if event.location else ""
    if event.status == postal.ACCEPTED:
        shipment.posted_at = shipment.posted_at or at
        if delivery is not None and dossier.status == Status.FINISHED:
            # Handed to the postal operator: the result counts as returned now (the transport
            # time is not processing time). The move is the official's who shipped it.
            dossier_act(
                dossier=dossier,
                action="return",
                actor=shipment.created_by,
                note=f"Giao bưu điện, vận đơn {shipment.waybill}",
            )
            dossier.refresh_from_db()
        if delivery is not None:
            delivery.status = DeliveryStatus.IN_TRANSIT
    elif event.status == postal.IN_TRANSIT:
        if delivery is not None and delivery.status in (
            DeliveryStatus.SHIPPED,
            DeliveryStatus.IN_TRANSIT,
        ):
            delivery.status = DeliveryStatus.IN_TRANSIT
    elif event.status == postal.DELIVERED:
        shipment.delivered_at = at
        if delivery is not None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = at
    elif event.status == postal.RETURNED:
        shipment.returned_at = at
        if delivery is not None:
            # The parcel comes back: the result waits at the counter, the task is open again.
            delivery.status = DeliveryStatus.FAILED
            delivery.task_note = (
                "Bưu điện phát không thành công, kết quả đã chuyển hoàn về bộ phận một cửa: "
                "liên hệ công dân để nhận tại quầy hoặc gửi lại."
            )
    shipment.save()
    if delivery is not None:
        delivery.save()
    _event(dossier, f"post_{event.status}", None, f"Vận đơn {shipment.waybill}{where}", at=at)


def delivery_for(*, dossier: Dossier) -> Delivery:
    delivery = Delivery.objects.filter(dossier=dossier).first()
    if delivery is None:
        raise NotFound("Hồ sơ chưa chọn cách nhận kết quả.", code="delivery_not_found")
    return delivery
