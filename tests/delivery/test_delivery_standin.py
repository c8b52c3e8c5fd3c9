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
