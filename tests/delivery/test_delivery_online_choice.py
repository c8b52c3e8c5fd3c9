"""The citizen chooses online how to get the result: on the public lookup once verified (plain
form, CSRF, proof of work, the lookup's lock-out), changing the outbox order with it."""

from __future__ import annotations

import re

from delivery_helpers import CITIZEN, finish, receive, vn

from challenge_helpers import solved
from motcua.core import clock
from motcua.delivery.models import Delivery, OrderState, PostalOrder
from motcua.dossiers.models import DossierEvent

VERIFY = CITIZEN["id_number"][-4:]


def lookup(client, code: str) -> str:  # type: ignore[no-untyped-def]
    return client.post("/tra-cuu/", {"code": code, "verify": VERIFY}).content.decode()


def choose(client, code: str, **fields):  # type: ignore[no-untyped-def]
    data = {"code": code, "verify": VERIFY, "altcha": solved(), **fields}
    return client.post("/tra-cuu/nhan-ket-qua/", data)


def test_lookup_offers_the_choice_after_verification_and_records_it(client, office):
    d = receive(office, vn(2026, 3, 9, 9, 0))
    page = client.get("/tra-cuu/").content.decode()
    assert "Cách nhận kết quả" not in page  # nothing before the digits prove the dossier
    page = lookup(client, d.code)
    assert 'id="delivery-method">Nhận tại bộ phận một cửa<' in page
    assert 'action="/tra-cuu/nhan-ket-qua/"' in page and 'name="csrfmiddlewaretoken"' in page
    assert 'name="altcha"' in page and "Tên của bé" in page  # a birth registration
    with clock.frozen(vn(2026, 3, 9, 10, 0)):
        r = choose(client, d.code, method="home", address="Số 3 ngõ 5 Lê Lợi, Hà Đông",
                   child_name="Nguyễn Bảo An", consent="on")  # fmt: skip
    assert r.status_code == 200, r.content.decode()
    assert "Cán bộ trả tận nhà" in r.content.decode()
    delivery = Delivery.objects.get(dossier=d)
    assert (delivery.method, delivery.address, delivery.child_name) == (
        "home", "Số 3 ngõ 5 Lê Lợi, Hà Đông", "Nguyễn Bảo An",
    )  # fmt: skip
    event = DossierEvent.objects.get(dossier=d, action="delivery_choose")
    assert event.actor is None  # the citizen, online
    assert 'id="delivery-method">Cán bộ trả tận nhà<' in lookup(client, d.code)


def test_choice_needs_the_proof_of_work_consent_and_the_right_digits(client, office):
    d = receive(office, vn(2026, 3, 9, 9, 0))
    r = client.post("/tra-cuu/nhan-ket-qua/", {"code": d.code, "verify": VERIFY, "method": "post",
                                               "consent": "on"})  # fmt: skip
    assert r.status_code == 400 and "Thiếu mã xác minh chống gửi tự động" in r.content.decode()
    r = choose(client, d.code, method="post")
    assert r.status_code == 400 and "Vui lòng đồng ý" in r.content.decode()
    r = choose(client, d.code, method="post", consent="on", verify="0000")
    assert r.status_code == 404
    assert not Delivery.objects.exists()


def test_choice_form_is_csrf_protected(office):
    from django.test import Client

    d = receive(office, vn(2026, 3, 9, 9, 0))
    strict = Client(enforce_csrf_checks=True)
    r = choose(strict, d.code, method="post", consent="on")
    assert r.status_code == 403 and not Delivery.objects.exists()
    page = strict.post("/tra-cuu/", {"code": d.code, "verify": VERIFY})
    assert page.status_code == 403  # the lookup form itself is CSRF-protected too
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      strict.get("/tra-cuu/").content.decode()).group(1)  # fmt: skip
    r = choose(strict, d.code, method="post", consent="on", csrfmiddlewaretoken=token)
    assert r.status_code == 200 and Delivery.objects.get(dossier=d).method == "post"


def test_choosing_post_online_when_the_result_is_ready_writes_the_outbox_order(client, office):
    d = receive(office, vn(2026, 3, 9, 9, 0))
    d = finish(office, d, vn(2026, 3, 10, 10, 0))
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        r = choose(client, d.code, method="post", consent="on")
    assert r.status_code == 200
    order = PostalOrder.objects.get(dossier=d)
    assert order.state == OrderState.PENDING and order.delivery.address == CITIZEN["address"]
    # Back to the counter before any attempt: the order is withdrawn.
    with clock.frozen(vn(2026, 3, 10, 11, 5)):
        assert choose(client, d.code, method="counter").status_code == 200
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


def test_no_form_once_the_result_has_gone(client, office, standin):
    from motcua.delivery.services import shipment_send

    d = receive(office, vn(2026, 3, 9, 9, 0))
    with clock.frozen(vn(2026, 3, 9, 9, 5)):
        choose(client, d.code, method="post", consent="on")
    d = finish(office, d, vn(2026, 3, 10, 10, 0))
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        shipment = shipment_send(dossier=d, actor=office.tiepnhan)
    page = lookup(client, d.code)
    assert "Đã gửi bưu chính" in page or "đã gửi bưu chính" in page
    assert shipment.waybill in page and 'action="/tra-cuu/nhan-ket-qua/"' not in page
    r = choose(client, d.code, method="home", consent="on")
    assert r.status_code == 409 and Delivery.objects.get(dossier=d).method == "post"


def test_the_public_choice_never_shows_the_address_on_file(client, office):  # type: ignore[no-untyped-def]
    """Review finding: choosing post with a blank address used to print the citizen's home
    address from the file to whoever holds the code and 4 digits."""
    d = receive(office, vn(2026, 3, 9, 9, 0))
    assert CITIZEN["address"] and CITIZEN["address"] not in lookup(client, d.code)
    with clock.frozen(vn(2026, 3, 9, 10, 0)):
        answer = choose(client, d.code, method="post", address="", consent="on")
    body = answer.content.decode()
    assert answer.status_code == 200
    assert CITIZEN["address"] not in body
    assert "địa chỉ đã khai khi nộp hồ sơ" in body
