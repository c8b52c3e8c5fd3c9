"""Issue 11 point 4 without the API: the choice at the counter and online, the staff page of
delivery tasks (handover with proof, shipment and label, card, failed postal deliveries)."""

from __future__ import annotations

import base64

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


def test_a_dossier_that_came_by_post_is_received_with_its_waybill(client, office):
    from motcua.delivery.models import Shipment

    response = counter_receive(client, office, channel="post", post_waybill="rb 12345678 5vn")
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    shipment = Shipment.objects.get(dossier=dossier)
    assert (dossier.channel, shipment.direction, shipment.waybill) == (
        "post",
        "in",
        "RB123456785VN",
    )
    event = DossierEvent.objects.get(dossier=dossier, action="post_inbound")
    assert "RB123456785VN" in event.note
    # The same parcel twice, or a waybill on a dossier brought to the counter: nothing received.
    again = counter_receive(client, office, channel="post", post_waybill="RB123456785VN")
    assert again.status_code == 409 or again.status_code == 422
    wrong = counter_receive(client, office, channel="direct", post_waybill="RB999999990VN")
    assert wrong.status_code == 422 and "Chỉ ghi số vận đơn" in wrong.content.decode()
    assert Dossier.objects.count() == 1


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


# --- the staff page --------------------------------------------------------------------------


def ready(office, method: str, procedure: str = "1.001193", **kw):  # type: ignore[no-untyped-def]
    d = receive(office, vn(2026, 3, 9, 9, 0), procedure=procedure)
    with clock.frozen(vn(2026, 3, 9, 9, 5)):
        delivery_choose(dossier=d, method=method, actor=office.tiepnhan, **kw)
    return finish(office, d, vn(2026, 3, 10, 10, 0))


def data_url(content: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(content).decode()


def test_the_task_list_shows_open_tasks_with_filters_and_is_in_the_navigation(client, office):
    home = ready(office, "home", child_name="Trần Bảo Ngọc")
    post = ready(office, "post")
    client.force_login(office.tainha)
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        html = client.get("/can-bo/tra-ket-qua/").content.decode()
    assert 'href="/can-bo/tra-ket-qua/"' in html  # the navigation
    assert home.code in html and post.code in html and "Kèm thiệp và hoa" in html
    html = client.get("/can-bo/tra-ket-qua/", {"method": "post"}).content.decode()
    assert post.code in html and f">{home.code}<" not in html
    html = client.get("/can-bo/tra-ket-qua/", {"q": home.code}).content.decode()
    assert f">{home.code}<" in html and f">{post.code}<" not in html


def test_a_specialist_may_not_open_the_page_and_a_manager_may(client, office):
    from factories import StaffRoleFactory, UserFactory
    from motcua.org.models import Role

    client.force_login(office.chuyenvien)
    assert client.get("/can-bo/tra-ket-qua/").status_code == 403
    manager = UserFactory(username="quanly")
    StaffRoleFactory(user=manager, unit=office.ward, role=Role.MANAGER)
    client.force_login(manager)
    assert client.get("/can-bo/tra-ket-qua/").status_code == 200


def test_home_handover_on_the_page_records_signature_photo_time_and_returns(client, office):
    d = ready(office, "home", child_name="Trần Bảo Ngọc")
    client.force_login(office.tainha)
    html = client.get(f"/can-bo/tra-ket-qua/{d.code}/").content.decode()
    assert "In thiệp chúc mừng (PDF)" in html and "hoa" in html
    assert f"/api/v1/dossiers/{d.code}/delivery/card.pdf" in html
    assert 'capture="environment"' in html and "delivery/signature.js" in html
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("anh.png", png((640, 480)), content_type="image/png")
    with clock.frozen(vn(2026, 3, 11, 15, 0)):
        r = client.post(
            f"/can-bo/tra-ket-qua/{d.code}/trao/",
            {"received_by_name": "Trần Văn Nam", "signature_data": data_url(png()), "photo": photo},
        )
    assert r.status_code == 302
    d.refresh_from_db()
    task = Delivery.objects.get(dossier=d)
    assert d.status == Status.RETURNED and d.returned_at == vn(2026, 3, 11, 15, 0)
    assert task.received_by_name == "Trần Văn Nam" and task.proof_signature and task.proof_photo
    assert task.delivered_by == office.tainha
    html = client.get(f"/can-bo/tra-ket-qua/{d.code}/").content.decode()
    assert "15:00 11/03/2026" in html and "Xác nhận đã trao" not in html


def test_handover_without_a_signature_is_refused_and_changes_nothing(client, office):
    d = ready(office, "home")
    client.force_login(office.tainha)
    r = client.post(f"/can-bo/tra-ket-qua/{d.code}/trao/", {"received_by_name": "Nam"})
    assert r.status_code == 422 and "Cần chữ ký của người nhận" in r.content.decode()
    d.refresh_from_db()
    assert d.status == Status.FINISHED


def test_post_task_creates_the_shipment_and_links_the_label(client, office, standin):
    d = ready(office, "post")
    client.force_login(office.tiepnhan)
    page = client.get(f"/can-bo/tra-ket-qua/{d.code}/").content.decode()
    assert "Tạo bưu gửi" in page
    # The outbox's order is shown: the system sends it by itself, the button sends it now.
    assert f"Đơn gửi bưu điện (mã {d.code}-KQ): chờ gửi đơn cho bưu điện." in page
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        r = client.post(f"/can-bo/tra-ket-qua/{d.code}/gui-buu-dien/", {"weight_grams": "300"})
    assert r.status_code == 302
    shipment = Shipment.objects.get(dossier=d)
    html = client.get(f"/can-bo/tra-ket-qua/{d.code}/").content.decode()
    assert shipment.waybill in html and "In nhãn địa chỉ (PDF)" in html
    label = client.get(f"/api/v1/dossiers/{d.code}/delivery/label.pdf")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    assert Delivery.objects.get(dossier=d).status == DeliveryStatus.SHIPPED


def test_failed_postal_deliveries_are_listed_for_the_counter(client, office):
    d = ready(office, "post")
    Delivery.objects.filter(dossier=d).update(status=DeliveryStatus.FAILED)
    client.force_login(office.tiepnhan)
    html = client.get("/can-bo/tra-ket-qua/", {"state": "failed"}).content.decode()
    failed = html.split('id="failed-title"', 1)[1]
    assert d.code in failed
    # At the counter the returned result is handed over with a signature like any other.
    assert "Xác nhận đã trao" in client.get(f"/can-bo/tra-ket-qua/{d.code}/").content.decode()
