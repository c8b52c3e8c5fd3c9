"""The outbox of orders to the postal operator: written with the result, sent by the worker with
retries, one order per reference whatever fails (a slow or failing operator, a worker killed
between the operator's answer and our bookkeeping). Against the postal stand-in over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from delivery_helpers import CITIZEN, finish, receive, vn

from motcua.core import clock
from motcua.core.errors import Conflict
from motcua.delivery import services
from motcua.delivery.models import Delivery, DeliveryStatus, OrderState, PostalOrder, Shipment
from motcua.delivery.postal import PostalError
from motcua.delivery.tasks import postal_orders_send_periodic
from motcua.dossiers.models import DossierEvent

READY = vn(2026, 3, 11, 10, 0)


def ready_by_post(office):  # type: ignore[no-untyped-def]
    d = receive(office, vn(2026, 3, 9, 9, 0))
    with clock.frozen(vn(2026, 3, 9, 9, 5)):
        services.delivery_choose(dossier=d, method="post", actor=office.tiepnhan,
                                 address=CITIZEN["address"])  # fmt: skip
    return finish(office, d, READY)


def worker(at):  # type: ignore[no-untyped-def]
    """One pass of the Huey job at `at` (the job's own function, run in this process)."""
    with clock.frozen(at):
        return postal_orders_send_periodic.call_local()


def test_order_is_written_with_the_result_and_sent_by_the_worker_once(office, standin):
    d = ready_by_post(office)
    row = PostalOrder.objects.get(dossier=d)
    assert (row.state, row.attempts, row.order_ref) == ("pending", 0, f"{d.code}-KQ")
    assert DossierEvent.objects.filter(dossier=d, action="post_order").count() == 1
    assert standin.orders == {}  # nothing leaves inside the result's transaction
    assert worker(READY + timedelta(seconds=30)) == {"sent": 1, "waiting": 0}
    row.refresh_from_db()
    shipment = Shipment.objects.get(dossier=d)
    assert row.state == "sent" and row.shipment == shipment and row.attempts == 1
    assert list(standin.orders) == [shipment.waybill]
    assert Delivery.objects.get(dossier=d).status == DeliveryStatus.SHIPPED
    # Later passes find nothing to send; the official's button says it is sent already.
    assert worker(READY + timedelta(minutes=5)) == {"sent": 0, "waiting": 0}
    with clock.frozen(READY + timedelta(minutes=6)), pytest.raises(Conflict):
        services.shipment_send(dossier=d, actor=office.tiepnhan)
    assert len(standin.orders) == 1 and Shipment.objects.count() == 1


def test_a_failing_operator_is_retried_with_back_off_and_never_duplicated(office, standin):
    d = ready_by_post(office)
    standin.fail_orders = 2
    assert worker(READY) == {"sent": 0, "waiting": 1}
    row = PostalOrder.objects.get(dossier=d)
    assert row.attempts == 1 and "503" in row.last_error
    assert row.next_attempt_at == READY + timedelta(minutes=1)
    assert worker(READY + timedelta(seconds=30)) == {"sent": 0, "waiting": 0}  # not due yet
    assert worker(READY + timedelta(minutes=1)) == {"sent": 0, "waiting": 1}
    row.refresh_from_db()
    assert row.next_attempt_at == READY + timedelta(minutes=3)  # 1 then 2 minutes
    assert worker(READY + timedelta(minutes=3)) == {"sent": 1, "waiting": 0}
    assert standin.order_calls == 3 and len(standin.orders) == 1
    assert Shipment.objects.get().waybill == next(iter(standin.orders))


def test_a_slow_operator_that_answers_too_late_gives_the_same_waybill_on_retry(
    office, standin, settings
):
    d = ready_by_post(office)
    settings.MOTCUA = {**settings.MOTCUA, "POSTAL_TIMEOUT": "0.3"}
    standin.slow_seconds = 1.0  # the order is made, the answer comes after our timeout
    assert worker(READY) == {"sent": 0, "waiting": 1}
    assert len(standin.orders) == 1 and not Shipment.objects.exists()
    assert "timed out" in PostalOrder.objects.get(dossier=d).last_error
    standin.slow_seconds = 0
    assert worker(READY + timedelta(minutes=1)) == {"sent": 1, "waiting": 0}
    assert len(standin.orders) == 1
    assert Shipment.objects.get().waybill == next(iter(standin.orders))


def test_a_worker_killed_after_the_operator_answered_loses_and_duplicates_nothing(
    office, standin, monkeypatch
):
    d = ready_by_post(office)
    real = services._order_record

    def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SystemExit("worker killed")  # nothing after the operator's answer is committed

    monkeypatch.setattr(services, "_order_record", killed)
    with pytest.raises(SystemExit):
        worker(READY)
    assert len(standin.orders) == 1 and not Shipment.objects.exists()
    row = PostalOrder.objects.get(dossier=d)
    assert row.state == "pending" and row.attempts == 1  # the claim was committed
    # The citizen cannot switch away now: the operator holds an order.
    with clock.frozen(READY), pytest.raises(Conflict) as exc:
        services.delivery_choose(dossier=d, method="home", actor=office.tiepnhan)
    assert exc.value.code == "delivery_started"
    monkeypatch.setattr(services, "_order_record", real)
    assert worker(READY + timedelta(minutes=1)) == {"sent": 1, "waiting": 0}
    assert standin.order_calls == 2 and len(standin.orders) == 1
    shipment = Shipment.objects.get()
    assert shipment.waybill == next(iter(standin.orders))
    assert DossierEvent.objects.filter(dossier=d, action="post_shipped").count() == 1


def test_choosing_another_way_before_any_attempt_cancels_the_order(office, standin):
    d = ready_by_post(office)
    with clock.frozen(READY + timedelta(seconds=5)):
        services.delivery_choose(dossier=d, method="counter", actor=office.tiepnhan)
    assert PostalOrder.objects.get(dossier=d).state == OrderState.CANCELLED
    assert worker(READY + timedelta(minutes=1)) == {"sent": 0, "waiting": 0}
    assert standin.order_calls == 0
    # Back to the post: the same row is pending again, and goes once.
    with clock.frozen(READY + timedelta(minutes=2)):
        services.delivery_choose(dossier=d, method="post", actor=office.tiepnhan,
                                 address=CITIZEN["address"])  # fmt: skip
    assert worker(READY + timedelta(minutes=3)) == {"sent": 1, "waiting": 0}
    assert PostalOrder.objects.count() == 1 and len(standin.orders) == 1


def test_after_the_last_retry_the_order_is_failed_and_the_official_can_send_it(office, standin):
    d = ready_by_post(office)
    standin.fail_orders = 100
    at = READY
    for _ in services.ORDER_RETRY_MINUTES:
        worker(at)
        at = PostalOrder.objects.get(dossier=d).next_attempt_at
    row = PostalOrder.objects.get(dossier=d)
    assert row.state == "failed" and row.attempts == len(services.ORDER_RETRY_MINUTES)
    assert DossierEvent.objects.filter(dossier=d, action="post_order_failed").count() == 1
    assert worker(at + timedelta(days=1)) == {"sent": 0, "waiting": 0}  # the worker gave up
    with clock.frozen(at), pytest.raises(PostalError):
        services.shipment_send(dossier=d, actor=office.tiepnhan)
    standin.fail_orders = 0
    with clock.frozen(at + timedelta(minutes=1)):
        shipment = services.shipment_send(dossier=d, actor=office.tiepnhan, weight_grams=900)
    assert shipment.weight_grams == 900 and shipment.postage == 27000
    assert len(standin.orders) == 1
