"""Results delivered at home and by post: the task, the proof, the postal operator, the legal clock."""

from __future__ import annotations

import json
import subprocess

import pytest
from delivery_helpers import CITIZEN, CUSTOMER, SECRET, finish, png, receive, vn

from motcua.core import clock
from motcua.delivery import postal
from motcua.delivery.models import Delivery, DeliveryStatus, PostalEvent, Shipment, WebhookLog
from motcua.delivery.services import (
    delivery_choose,
    delivery_handover,
    postal_webhook,
    shipment_inbound_receive,
    shipment_send,
)
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.workflow import Status


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def local_date(moment) -> str:  # type: ignore[no-untyped-def]
    return clock.local(moment).date().isoformat()


def webhook(body: bytes, at, *, secret: str = SECRET, signature: str | None = None):  # type: ignore[no-untyped-def]
    """Deliver a tracking event to our webhook service, signed at `at` (the frozen clock)."""
    headers = postal.signed_headers(
        secret=secret, customer=CUSTOMER, body=body, at=int(at.timestamp())
    )
    if signature is not None:
        headers["X-Signature"] = signature
    with clock.frozen(at):
        return postal_webhook(body=body, headers=headers)


def shipped(office, standin, *, ready_at, procedure="1.001193"):  # type: ignore[no-untyped-def]
    d = receive(office, vn(2026, 3, 9, 9, 0), procedure=procedure)
    with clock.frozen(vn(2026, 3, 9, 9, 5)):
        delivery_choose(dossier=d, method="post", actor=office.tiepnhan, address=CITIZEN["address"])
    d = finish(office, d, ready_at)
    with clock.frozen(ready_at):
        shipment = shipment_send(dossier=d, actor=office.tiepnhan, weight_grams=300)
    return d, shipment


# --- home delivery -------------------------------------------------------------------------


def test_birth_registration_delivered_at_home_with_card_flowers_and_proof(office):
    d = receive(office, vn(2026, 3, 9, 9, 0))
    delivery_choose(dossier=d, method="home", actor=office.tiepnhan, child_name="Trần Bảo Ngọc")
    assert Delivery.objects.get(dossier=d).status == DeliveryStatus.WAITING
    d = finish(office, d, vn(2026, 3, 10, 10, 0))

    # The result being ready opened the task in the same transaction: card and flowers noted.
    task = Delivery.objects.get(dossier=d)
    assert task.status == DeliveryStatus.READY and task.card
    assert "hoa" in task.task_note
    assert task.due_at == d.due_at
    assert DossierEvent.objects.filter(dossier=d, action="delivery_task").exists()

    from motcua.delivery.documents import card_pdf

    text = pdf_text(card_pdf(task))
    assert "Trần Bảo Ngọc" in text and "Nguyễn Thị Hương" in text and "Phường Hà Đông" in text

    with clock.frozen(vn(2026, 3, 11, 15, 0)):
        delivery_handover(dossier=d, actor=office.tainha, signature=png(), photo=png((800, 600)))
    d.refresh_from_db()
    task.refresh_from_db()
    # The handover is the dossier's return, by the home-service official, before the due day.
    assert d.status == Status.RETURNED and d.returned_at == vn(2026, 3, 11, 15, 0)
    assert d.return_timeliness == "early"
    assert task.status == DeliveryStatus.DELIVERED and task.proof_signature and task.proof_photo
    ret = DossierEvent.objects.get(dossier=d, action="return")
    assert ret.actor == office.tainha


def test_handover_needs_a_real_image_as_signature(office):
    d = receive(office, vn(2026, 3, 9, 9, 0))
    delivery_choose(dossier=d, method="home", actor=office.tiepnhan)
    d = finish(office, d, vn(2026, 3, 10, 10, 0))
    from motcua.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        delivery_handover(dossier=d, actor=office.tainha, signature=b"<svg>not a picture</svg>")
    d.refresh_from_db()
    assert d.status == Status.FINISHED


def test_death_registration_delivered_at_home_keeps_its_same_day_deadline_on_a_holiday(office):
    # 30 April 2026 is a public holiday; death registration is on holiday duty (same day).
    d = receive(office, vn(2026, 4, 30, 9, 0), procedure="1.000656")
    delivery_choose(dossier=d, method="home", actor=office.tiepnhan)
    d = finish(office, d, vn(2026, 4, 30, 10, 0))
    task = Delivery.objects.get(dossier=d)
    assert local_date(task.due_at) == "2026-04-30" and not task.card
    with clock.frozen(vn(2026, 4, 30, 14, 0)):
        delivery_handover(dossier=d, actor=office.tainha, signature=png())
    d.refresh_from_db()
    assert d.return_timeliness == "on_time"

    # The next day (still a holiday) is late: home delivery does not stretch the same-day rule.
    late = receive(office, vn(2026, 4, 30, 9, 30), procedure="1.000656")
    delivery_choose(dossier=late, method="home", actor=office.tiepnhan)
    late = finish(office, late, vn(2026, 4, 30, 11, 0))
    with clock.frozen(vn(2026, 5, 1, 9, 0)):
        delivery_handover(dossier=late, actor=office.tainha, signature=png())
    late.refresh_from_db()
    assert late.return_timeliness == "late"


# --- the legal clock and the post (Decision 45/2016/QĐ-TTg) --------------------------------


def test_post_return_counts_when_handed_to_the_postal_operator(office, standin):
    """Decision 45/2016/QĐ-TTg (returning results via the public postal service): the transport
    time is not processing time, so a result sent by post is returned when the postal operator
    takes it. (Article number to be checked against the official text: STATUS.md.)"""
    d, shipment = shipped(office, standin, ready_at=vn(2026, 3, 11, 10, 0))
    assert local_date(d.due_at) == "2026-03-12"
    assert shipment.waybill.endswith("VN") and shipment.postage == 22000
    # The postman takes it on the due day; it reaches the citizen three days later.
    _o, body = standin.event_body(shipment.waybill, "accepted", at=vn(2026, 3, 12, 16, 0))
    assert webhook(body, vn(2026, 3, 12, 16, 0))[0] == "applied"
    d.refresh_from_db()
    assert d.status == Status.RETURNED and d.return_timeliness == "on_time"
    assert d.returned_at == vn(2026, 3, 12, 16, 0)
    _o, body = standin.event_body(shipment.waybill, "in_transit", at=vn(2026, 3, 13, 8, 0))
    webhook(body, vn(2026, 3, 13, 8, 0))
    _o, body = standin.event_body(shipment.waybill, "delivered", at=vn(2026, 3, 16, 9, 0))
    webhook(body, vn(2026, 3, 16, 9, 0))
    d.refresh_from_db()
    task = Delivery.objects.get(dossier=d)
    assert task.status == DeliveryStatus.DELIVERED and task.delivered_at == vn(2026, 3, 16, 9, 0)
    assert d.return_timeliness == "on_time"  # the three days in the post did not count
    actions = list(DossierEvent.objects.filter(dossier=d).values_list("action", flat=True))
    assert actions[-5:] == [
        "post_shipped",
        "return",
        "post_accepted",
        "post_in_transit",
        "post_delivered",
    ]


def test_inbound_postal_dossier_time_limit_starts_when_the_office_receives_it(office):
    """Decision 45/2016/QĐ-TTg: the days a dossier spends in the post are not processing time;
    its time limit runs from the office's receipt of the parcel, like a counter dossier's."""
    posted = vn(2026, 3, 9, 8, 0)  # Monday, at the post office
    with clock.frozen(vn(2026, 3, 12, 9, 0)):  # Thursday, at the ward
        inbound = shipment_inbound_receive(
            waybill="RB123456785VN",
            procedure_code="1.001193",
            citizen=CITIZEN,
            unit=office.ward,
            actor=office.tiepnhan,
            posted_at=posted,
            postage=22000,
        )
    counter = receive(office, vn(2026, 3, 12, 9, 0))
    d = inbound.dossier
    assert d.channel == "post" and d.received_at == vn(2026, 3, 12, 9, 0)
    assert d.due_at == counter.due_at  # 3 working days from Thursday: Tuesday 17 March
    assert local_date(d.due_at) == "2026-03-17"
    assert DossierEvent.objects.filter(dossier=d, action="post_inbound").exists()


def test_failed_postal_delivery_comes_back_to_the_office(office, standin):
    d, shipment = shipped(office, standin, ready_at=vn(2026, 3, 11, 10, 0))
    for status, at in [("accepted", vn(2026, 3, 11, 15, 0)), ("returned", vn(2026, 3, 16, 10, 0))]:
        _o, body = standin.event_body(shipment.waybill, status, at=at)
        assert webhook(body, at)[0] == "applied"
    task = Delivery.objects.get(dossier=d)
    assert task.status == DeliveryStatus.FAILED and "chuyển hoàn" in task.task_note
    # The citizen collects it at the counter: the handover closes the task.
    with clock.frozen(vn(2026, 3, 17, 9, 0)):
        delivery_handover(dossier=d, actor=office.tiepnhan, signature=png())
    task.refresh_from_db()
    assert task.status == DeliveryStatus.DELIVERED


# --- refused webhooks change nothing --------------------------------------------------------


def _snapshot(d: Dossier) -> tuple:
    d.refresh_from_db()
    s = Shipment.objects.get(dossier=d)
    return (
        d.status,
        s.status,
        Delivery.objects.get(dossier=d).status,
        PostalEvent.objects.count(),
        DossierEvent.objects.filter(dossier=d).count(),
    )


def test_unsigned_forged_stale_and_replayed_webhooks_change_nothing(office, standin):
    d, shipment = shipped(office, standin, ready_at=vn(2026, 3, 11, 10, 0))
    at = vn(2026, 3, 11, 15, 0)
    order, body = standin.event_body(shipment.waybill, "accepted", at=at)
    before = _snapshot(d)

    assert webhook(body, at, signature="")[0] == "unsigned"
    assert webhook(body, at, signature="0" * 64)[0] == "forged"
    assert webhook(body, at, secret="someone-elses-secret")[0] == "forged"
    # Body changed after signing (another waybill's status pushed through a valid signature).
    headers = postal.signed_headers(
        secret=SECRET, customer=CUSTOMER, body=body, at=int(at.timestamp())
    )
    tampered = body.replace(b"accepted", b"delivered")
    with clock.frozen(at):
        assert postal_webhook(body=tampered, headers=headers)[0] == "forged"
    # A correctly signed message replayed an hour later (outside the window).
    with clock.frozen(vn(2026, 3, 11, 16, 0)):
        assert postal_webhook(body=body, headers=headers)[0] == "stale"
    assert _snapshot(d) == before

    assert webhook(body, at)[0] == "applied"
    after = _snapshot(d)
    assert after != before and after[0] == Status.RETURNED
    # The same event again, even freshly signed, is a replay and changes nothing.
    assert webhook(body, vn(2026, 3, 11, 15, 2))[0] == "replay"
    assert _snapshot(d) == after
    outcomes = list(WebhookLog.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["unsigned", "forged", "forged", "forged", "stale", "applied", "replay"]


def test_webhook_endpoint_answers_with_codes(office, standin, client):
    d, shipment = shipped(office, standin, ready_at=vn(2026, 3, 11, 10, 0))
    _o, body = standin.event_body(shipment.waybill, "accepted")
    r = client.post("/api/v1/postal/webhook", data=body, content_type="application/json")
    assert r.status_code == 401 and r.json()["code"] == "webhook_unsigned"
    headers = postal.signed_headers(secret=SECRET, customer=CUSTOMER, body=body)
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.startswith("X-")
    }
    r = client.post("/api/v1/postal/webhook", data=body, content_type="application/json", **extra)
    assert r.status_code == 200 and r.json()["outcome"] == "applied"
    d.refresh_from_db()
    assert d.status == Status.RETURNED


# --- the label -------------------------------------------------------------------------------


def test_address_label_pdf_holds_the_names_and_a_barcode_of_the_waybill(office, standin, tmp_path):
    import zxingcpp
    from PIL import Image

    from motcua.delivery.documents import label_pdf

    _d, shipment = shipped(office, standin, ready_at=vn(2026, 3, 11, 10, 0))
    content = label_pdf(shipment)
    text = pdf_text(content)
    assert "Nguyễn Thị Hương" in text and "Phường Hà Đông" in text and shipment.waybill in text
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "label")],
        check=True,
    )
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "label.png"))
    assert [(b.format, b.text) for b in found] == [
        (zxingcpp.BarcodeFormat.Code128, shipment.waybill)
    ]


# --- the API ---------------------------------------------------------------------------------


def test_delivery_api_choose_and_read(office, client):
    d = receive(office, vn(2026, 3, 9, 9, 0))
    client.force_login(office.tiepnhan)
    r = client.post(
        f"/api/v1/dossiers/{d.code}/delivery",
        data=json.dumps({"method": "post", "address": "Thôn Đông, xã Yên Nghĩa"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["method"] == "post" and body["status"] == "waiting" and body["waybill"] is None
    assert body["address"] == "Thôn Đông, xã Yên Nghĩa"
    bad = client.post(
        f"/api/v1/dossiers/{d.code}/delivery",
        data=json.dumps({"method": "drone"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_method"
    client.logout()
    # The citizen reads it with the last 4 digits of the phone; no address in the public answer.
    r = client.get(f"/api/v1/dossiers/{d.code}/delivery?verify=5678")
    assert r.status_code == 200 and "address" not in r.json()
    assert client.get(f"/api/v1/dossiers/{d.code}/delivery?verify=0000").status_code == 404
