"""The stand-in postal operator and our adapter agree on every call, over real HTTP both ways."""

from __future__ import annotations

import pytest
from delivery_helpers import CITIZEN, CUSTOMER, SECRET, finish, receive, vn

from motcua.delivery import postal
from motcua.delivery.models import Delivery, DeliveryStatus, PostalEvent, WebhookLog
from motcua.delivery.services import delivery_choose, shipment_send
from motcua.dossiers.workflow import Status


@pytest.mark.django_db(transaction=True)
def test_standin_and_adapter_agree_on_every_call(office, standin, live_server, settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": live_server.url}
    d = receive(office, vn(2026, 3, 9, 9, 0))
    delivery_choose(dossier=d, method="post", actor=office.tiepnhan, address=CITIZEN["address"])
    d = finish(office, d, vn(2026, 3, 10, 10, 0))

    # create order: adapter → stand-in (signed); waybill in the UPU S10 form with its check digit.
    shipment = shipment_send(dossier=d, actor=office.tiepnhan, weight_grams=700)
    serial = shipment.waybill[2:10]
    assert shipment.waybill[10] == postal.s10_check_digit(serial)
    order = standin.orders[shipment.waybill]
    assert order["order_ref"] == shipment.order_ref and order["customer_code"] == CUSTOMER
    assert order["receiver"]["name"] == "Nguyễn Thị Hương"
    assert order["callback_url"] == f"{live_server.url}/api/v1/postal/webhook"
    assert shipment.postage == order["postage"] == 27000  # over 500 g

    # The same reference again (a retry after a lost answer) is the same order, not a second one.
    again = postal.provider().create_order(
        postal.OrderIn(
            order_ref=shipment.order_ref,
            direction="out",
            sender=postal.Party("A", "", "B"),
            receiver=postal.Party("C", "", "D"),
        )
    )
    assert again.waybill == shipment.waybill and len(standin.orders) == 1

    # track: adapter → stand-in.
    tracking = postal.provider().track(shipment.waybill)
    assert (tracking.order_ref, tracking.status, tracking.events) == (
        shipment.order_ref,
        "created",
        [],
    )

    # tracking webhook: stand-in → our endpoint (signed with the real time, as in production).
    assert standin.emit(shipment.waybill, "accepted", location="Bưu cục Hà Đông") == 200
    assert standin.emit(shipment.waybill, "in_transit") == 200
    assert standin.emit(shipment.waybill, "delivered") == 200
    d.refresh_from_db()
    assert d.status == Status.RETURNED
    assert Delivery.objects.get(dossier=d).status == DeliveryStatus.DELIVERED
    assert list(PostalEvent.objects.values_list("status", flat=True)) == [
        "accepted",
        "in_transit",
        "delivered",
    ]
    tracking = postal.provider().track(shipment.waybill)
    assert tracking.status == "delivered" and len(tracking.events) == 3

    # A message the stand-in sends again (same event, same signature) changes nothing.
    last = standin.sent[-1]
    order = standin.orders[shipment.waybill]
    assert standin.post(order, last["body"], timestamp=int(last["headers"]["X-Timestamp"])) == 200
    assert PostalEvent.objects.count() == 3
    assert WebhookLog.objects.filter(outcome="replay").count() == 1

    # The stand-in refuses an order signed with another secret (the adapter's error, no shipment).
    settings.MOTCUA = {**settings.MOTCUA, "POSTAL_SECRET": "wrong"}
    with pytest.raises(postal.PostalError):
        postal.provider().create_order(
            postal.OrderIn(
                order_ref="X-1",
                direction="out",
                sender=postal.Party("A", "", "B"),
                receiver=postal.Party("C", "", "D"),
            )
        )
    settings.MOTCUA = {**settings.MOTCUA, "POSTAL_SECRET": SECRET}


def _ready_by_post(office, address: str = CITIZEN["address"]):  # type: ignore[no-untyped-def]
    d = receive(office, vn(2026, 3, 9, 9, 0))
    delivery_choose(dossier=d, method="post", actor=office.tiepnhan, address=address)
    return finish(office, d, vn(2026, 3, 10, 10, 0))


@pytest.mark.django_db(transaction=True)
def test_parcels_move_by_themselves_with_signed_events_to_our_webhook(
    office, standin, live_server, settings
):
    """The demo's postman: each step posted when due (times given, not waited for)."""
    import time

    from motcua.delivery.standin import progress_due

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": live_server.url}
    standin.progress_seconds = 10
    d = _ready_by_post(office)
    shipment = shipment_send(dossier=d, actor=office.tiepnhan)
    t0 = time.monotonic()
    assert progress_due(standin, now=t0) == []  # nothing due yet
    assert progress_due(standin, now=t0 + 11) == [(shipment.waybill, "accepted", 200)]
    d.refresh_from_db()
    assert d.status == Status.RETURNED  # handed to the post: returned (Decision 45/2016)
    # The office is unreachable for a while: the same event is sent again, applied once.
    order = standin.orders[shipment.waybill]
    good_url, order["callback_url"] = (
        order["callback_url"],
        "http://127.0.0.1:9/api/v1/postal/webhook",
    )
    assert progress_due(standin, now=t0 + 22) == [(shipment.waybill, "in_transit", 0)]
    order["callback_url"] = good_url
    assert progress_due(standin, now=t0 + 33) == [(shipment.waybill, "in_transit", 200)]
    assert progress_due(standin, now=t0 + 44) == [(shipment.waybill, "delivered", 200)]
    assert progress_due(standin, now=t0 + 1000) == []  # the journey is over
    assert list(PostalEvent.objects.values_list("status", flat=True)) == [
        "accepted", "in_transit", "delivered",
    ]  # fmt: skip
    assert Delivery.objects.get(dossier=d).status == DeliveryStatus.DELIVERED
    # Every call was signed and accepted; nothing was refused.
    assert set(WebhookLog.objects.values_list("outcome", flat=True)) == {"applied"}
    assert all(s["headers"]["X-Signature"] for s in standin.sent)


@pytest.mark.django_db(transaction=True)
def test_a_parcel_the_postman_cannot_deliver_comes_back_by_itself(
    office, standin, live_server, settings
):
    import time

    from motcua.delivery.standin import RETURN_MARKER, progress_due

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": live_server.url}
    standin.progress_seconds = 5
    d = _ready_by_post(office, address=f"Xóm Cuối, xã Yên Nghĩa {RETURN_MARKER}")
    shipment = shipment_send(dossier=d, actor=office.tiepnhan)
    t0 = time.monotonic()
    statuses = [s for step in (6, 12, 18) for (_w, s, _a) in progress_due(standin, now=t0 + step)]
    assert statuses == ["accepted", "in_transit", "returned"]
    assert Delivery.objects.get(dossier=d).status == DeliveryStatus.FAILED
    shipment.refresh_from_db()
    assert shipment.returned_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_command_runs_a_stand_in_whose_parcels_reach_the_citizen(office, live_server, settings):
    """`motcua postal-standin --progress S`: the demo's parcels go the whole way by themselves."""
    import time

    from delivery_helpers import CUSTOMER, SECRET

    from motcua.delivery.management.commands.postal_standin import Command

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": live_server.url,
                       "POSTAL_CUSTOMER_CODE": CUSTOMER, "POSTAL_SECRET": SECRET}  # fmt: skip
    command = Command()
    command.progress = 0.3
    standin = command.standin()
    standin.start_in_thread()
    try:
        assert "tự chuyển bước sau mỗi 0.3 giây" in command.banner(standin)
        settings.MOTCUA = {**settings.MOTCUA, "POSTAL_URL": standin.base_url}
        d = _ready_by_post(office)
        shipment = shipment_send(dossier=d, actor=office.tiepnhan)
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measured time
        while Delivery.objects.get(dossier=d).status != DeliveryStatus.DELIVERED:
            assert time.monotonic() < deadline, standin.sent
            time.sleep(0.1)
        assert [e["status"] for e in standin.orders[shipment.waybill]["events"]] == [
            "accepted", "in_transit", "delivered",
        ]  # fmt: skip
    finally:
        standin.stop()
