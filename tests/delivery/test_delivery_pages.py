"""Issue 11 point 4 without the API: the choice at the counter and online, the staff page of
delivery tasks (handover with proof, shipment and label, card, failed postal deliveries)."""

from __future__ import annotations

import base64

import pytest
from delivery_helpers import CITIZEN, finish, png, receive, vn

from challenge_helpers import challenge_header
from motcua.core import clock
from motcua.delivery.models import Delivery, DeliveryStatus, Shipment
from motcua.delivery.services import delivery_choose
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.workflow import Status

RECEIVE = {
    "procedure": "1.000656",  # death registration: no fees
    "channel": "direct",
    "id_number": CITIZEN["id_number"],
    "full_name": CITIZEN["full_name"],
    "phone": CITIZEN["phone"],
    "address": CITIZEN["address"],
    "papers": ["0", "1"],
}


def counter_receive(client, office, **extra):  # type: ignore[no-untyped-def]
    client.force_login(office.tiepnhan)
    with clock.frozen(vn(2026, 3, 9, 9, 0)):
        return client.post("/can-bo/ho-so/tiep-nhan/", {**RECEIVE, **extra})


# --- the choice at the counter ---------------------------------------------------------------


def test_the_reception_form_offers_the_delivery_choice_with_the_citizens_address(client, office):
    client.force_login(office.tiepnhan)
    html = client.get(
        "/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.000656", "citizen": CITIZEN["id_number"]}
    ).content.decode()
    assert "Cách nhận kết quả" in html
    for label in ("Nhận tại bộ phận một cửa", "Cán bộ trả tận nhà", "Qua dịch vụ bưu chính"):
        assert label in html


def test_home_delivery_chosen_at_the_counter_is_recorded_with_the_reception(client, office):
    response = counter_receive(
        client, office, delivery_method="home", delivery_address="Số 5 ngõ 7 Lê Lợi, Hà Đông"
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    delivery = Delivery.objects.get(dossier=dossier)
    assert delivery.method == "home" and delivery.address == "Số 5 ngõ 7 Lê Lợi, Hà Đông"
    assert delivery.recipient_name == CITIZEN["full_name"]
    assert DossierEvent.objects.filter(dossier=dossier, action="delivery_choose").exists()


def test_post_without_a_delivery_address_uses_the_citizens_address(client, office):
    counter_receive(client, office, delivery_method="post")
    delivery = Delivery.objects.get()
    assert delivery.method == "post" and delivery.address == CITIZEN["address"]


def test_home_delivery_without_any_address_is_refused_and_nothing_is_received(client, office):
    response = counter_receive(client, office, delivery_method="home", address="")
    assert response.status_code == 422
    assert "Cần địa chỉ nhận kết quả" in response.content.decode()
    assert not Dossier.objects.exists() and not Delivery.objects.exists()


def test_counter_choice_leaves_the_default(client, office):
    counter_receive(client, office, delivery_method="counter")
    assert Dossier.objects.count() == 1 and not Delivery.objects.exists()


# --- the choice online -----------------------------------------------------------------------


def online(client, delivery):  # type: ignore[no-untyped-def]
    body = {
        "procedure": "1.001193",
        "channel": "online",
        "citizen": CITIZEN,
        "unit": "WARD1",
        "delivery": delivery,
    }
    with clock.frozen(vn(2026, 3, 9, 9, 0)):
        return client.post(
            "/api/v1/dossiers", data=body, content_type="application/json", **challenge_header()
        )


def test_online_submission_records_the_delivery_choice_in_the_same_transaction(client, office):
    r = online(client, {"method": "post", "address": "Thôn Đông, xã Yên Nghĩa"})
    assert r.status_code == 201, r.content
    delivery = Delivery.objects.get()
    assert delivery.method == "post" and delivery.address == "Thôn Đông, xã Yên Nghĩa"


def test_online_submission_with_an_unknown_delivery_method_creates_no_dossier(client, office):
    r = online(client, {"method": "drone", "address": "x"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_method"
    assert not Dossier.objects.exists()
