"""The online order goes to the gateway after the dossier's transaction, through an outbox."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from payments_helpers import receive, vn

from motcua.payments import services
from motcua.payments.models import Method, OrderOutbox, OrderState, Payment, PaymentStatus


@pytest.mark.django_db(transaction=True)
def test_a_slow_gateway_never_holds_the_dossier_lock(ward, standin, freeze):
    """While the gateway has not answered, the dossier can be locked by anyone else at once
    and the payment with its queued order is already committed."""
    from motcua.dossiers.models import Dossier

    freeze(vn(2026, 3, 10, 10, 0))
    d = receive(ward, channel="online", copies=1)
    standin.hold = threading.Event()
    result: dict = {}

    def pay() -> None:
        try:
            result["payment"] = services.payment_create(
                dossier=d, method=Method.ONLINE, key="k1", return_path="/tra-cuu/"
            )
        except BaseException as exc:  # asserted below
            result["error"] = exc
        finally:
            connection.close()

    worker = threading.Thread(target=pay)
    worker.start()
    try:
        assert standin.arrived.wait(30), "the order never reached the gateway"
        # The gateway is still thinking: the dossier row is free.
        with transaction.atomic():
            if connection.vendor == "postgresql":
                Dossier.objects.select_for_update(nowait=True).get(pk=d.pk)
            else:  # SQLite locks the whole file on a write: a write must go through now
                Dossier.objects.filter(pk=d.pk).update(notes="kiểm tra khóa")
        outbox = OrderOutbox.objects.get(payment__dossier=d)
        assert outbox.state == OrderState.QUEUED and outbox.payment.provider_order_id == ""
    finally:
        standin.hold.set()
        worker.join(60)
    assert "error" not in result, result.get("error")
    payment = result["payment"]
    assert payment.redirect_url.startswith(standin.base_url + "/pay/")
    outbox = OrderOutbox.objects.get(payment=payment)
    assert outbox.state == OrderState.SENT and outbox.attempts == 1 and outbox.sent_at


@pytest.mark.django_db
def test_gateway_down_queues_the_order_and_the_worker_sends_it_once(
    ward, standin, freeze, settings
):
    from datetime import timedelta

    from motcua.core.errors import ValidationFailed

    now = vn(2026, 3, 10, 10, 0)
    freeze(now)
    d = receive(ward, channel="online", copies=1)
    live = settings.MOTCUA["PAYMENT_GATEWAY_URL"]
    settings.MOTCUA = {**settings.MOTCUA, "PAYMENT_GATEWAY_URL": "http://127.0.0.1:9"}
    with pytest.raises(ValidationFailed) as exc:
        services.payment_create(dossier=d, method=Method.ONLINE, key="k2", return_path="/")
    assert exc.value.code == "gateway_unavailable"
    payment = Payment.objects.get(dossier=d)  # kept, with its order queued for a retry
    outbox = payment.order_outbox
    assert payment.status == PaymentStatus.PENDING and payment.provider == "dvc"
    assert outbox.state == OrderState.QUEUED and outbox.attempts == 1 and outbox.last_error
    assert outbox.next_attempt_at == now + timedelta(minutes=1)
    # Not due yet: the worker leaves it.
    assert services.order_outbox_drain() == 0
    # The gateway is back; a minute later the worker creates the order.
    settings.MOTCUA = {**settings.MOTCUA, "PAYMENT_GATEWAY_URL": live}
    freeze(now + timedelta(minutes=1))
    assert services.order_outbox_drain() == 1
    payment.refresh_from_db()
    assert payment.redirect_url == f"{standin.base_url}/pay/{payment.provider_order_id}"
    # The citizen retries with the same key: the same payment and order, nothing sent again.
    asked = standin.order_requests
    again = services.payment_create(dossier=d, method=Method.ONLINE, key="k2", return_path="/")
    assert again.pk == payment.pk and again.provider_order_id == payment.provider_order_id
    assert standin.order_requests == asked and services.order_outbox_drain() == 0
    # Sent twice anyway (a crash between the gateway's answer and our commit): the gateway
    # gives the same order for the same reference.
    OrderOutbox.objects.filter(pk=outbox.pk).update(state=OrderState.QUEUED)
    Payment.objects.filter(pk=payment.pk).update(provider_order_id="", redirect_url="")
    services.order_send(payment=payment)
    payment.refresh_from_db()
    assert payment.provider_order_id == again.provider_order_id and len(standin.orders) == 1


@pytest.mark.django_db
def test_an_order_the_gateway_never_takes_is_given_up(ward, freeze, settings):
    from datetime import timedelta

    now = vn(2026, 3, 10, 10, 0)
    freeze(now)
    settings.MOTCUA = {**settings.MOTCUA, "PAYMENT_GATEWAY_URL": "http://127.0.0.1:9"}
    d = receive(ward, channel="online", copies=1)
    with pytest.raises(Exception):  # noqa: B017
        services.payment_create(dossier=d, method=Method.ONLINE, return_path="/")
    at = now
    for _ in range(OrderOutbox.MAX_ATTEMPTS - 1):
        at += timedelta(hours=1)
        freeze(at)
        services.order_outbox_drain()
    outbox = OrderOutbox.objects.get(payment__dossier=d)
    assert outbox.state == OrderState.FAILED and outbox.attempts == OrderOutbox.MAX_ATTEMPTS
    assert outbox.payment.status == PaymentStatus.CANCELLED


@pytest.mark.django_db
def test_api_call_with_idempotency_key_sends_the_order_after_its_transaction(
    client, ward, standin, freeze
):
    """An Idempotency-Key'd call runs in the key's transaction (which holds the dossier's lock):
    no gateway call inside it; the answer's redirect_url is our page, which creates the order
    and sends the citizen to the gateway."""
    freeze(vn(2026, 3, 10, 10, 0))
    d = receive(ward, channel="online", copies=1)
    body = {"method": "online", "key": "web-1", "verify": "0000"}
    r = client.post(
        f"/api/v1/dossiers/{d.code}/payments",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="idem-1",
    )
    assert r.status_code == 201, r.content
    hop = r.json()["redirect_url"]
    payment = Payment.objects.get(dossier=d)
    assert hop == f"/thanh-toan/don/{payment.public_id}/" and standin.order_requests == 0
    again = client.post(
        f"/api/v1/dossiers/{d.code}/payments",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="idem-1",
    )
    assert again.status_code == 201 and again.json()["redirect_url"] == hop
    r = client.get(hop)
    payment.refresh_from_db()
    assert r.status_code == 302 and r["Location"] == payment.redirect_url
    assert payment.redirect_url.startswith(standin.base_url + "/pay/")
    assert standin.order_requests == 1
    # The hop again (the citizen pressed back): same order, nothing asked again.
    assert client.get(hop)["Location"] == payment.redirect_url and standin.order_requests == 1
    # Without the key the call sends at once and answers the gateway's page.
    d2 = receive(ward, i=2, channel="online", copies=1)
    body2 = {**body, "verify": "0002"}
    r = client.post(f"/api/v1/dossiers/{d2.code}/payments", body2, content_type="application/json")
    assert r.json()["redirect_url"].startswith(standin.base_url + "/pay/")
    assert client.get("/thanh-toan/don/khong-co/").status_code == 404
