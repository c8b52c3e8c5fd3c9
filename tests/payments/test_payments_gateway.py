"""Online payment through the stand-in gateway: signed orders, signed callbacks, nothing forged counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest
from payments_helpers import receive, vn

from motcua.payments import services
from motcua.payments.gateways import conf, sign
from motcua.payments.models import CallbackLog, Method, PaymentStatus, Receipt


def _callback(payment, *, amount=None, ts, txn="TXN1", status="success", secret=None, ref=None):
    body = json.dumps(
        {
            "merchant_code": "MOTCUA-DEMO",
            "order_id": payment.provider_order_id,
            "order_ref": ref or payment.reference,
            "amount": payment.amount if amount is None else amount,
            "status": status,
            "transaction_id": txn,
            "timestamp": ts,
        }
    ).encode()
    return body, sign(secret or conf("PAYMENT_GATEWAY_SECRET"), body)


@pytest.mark.django_db
def test_callbacks_verified_and_applied_once(client, ward, standin, freeze):
    now = vn(2026, 3, 10, 10, 0)
    freeze(now)
    ts = int(now.timestamp())
    d = receive(ward, channel="online", copies=1)
    p = services.payment_create(dossier=d, method=Method.ONLINE, actor=None, return_path="/")
    assert p.provider == "dvc" and p.provider_order_id.startswith("GW")
    assert p.redirect_url == f"{standin.base_url}/pay/{p.provider_order_id}"
    assert standin.orders[p.provider_order_id]["amount"] == p.amount == 18000

    def post(body, signature):
        return client.post(
            "/api/v1/payments/callback/dvc",
            data=body,
            content_type="application/json",
            HTTP_X_SIGNATURE=signature,
        )

    refused = [
        ("forged", 403, _callback(p, ts=ts, secret="wrong-secret")),
        ("amount_mismatch", 409, _callback(p, ts=ts, amount=1000)),
        ("unknown_order", 404, _callback(p, ts=ts, ref="PAYNOTOURS")),
        ("stale", 409, _callback(p, ts=ts - 3600)),
        ("failed", 409, _callback(p, ts=ts, status="failed")),
    ]
    for outcome, status, (body, signature) in refused:
        r = post(body, signature)
        assert (r.status_code, r.json()["code"]) == (status, f"callback_{outcome}"), outcome
        assert r.json()["message"]
        p.refresh_from_db()
        assert p.status == PaymentStatus.PENDING and Receipt.objects.count() == 0
    body, signature = _callback(p, ts=ts)
    assert post(body[:-1] + b" }", signature).json()["code"] == "callback_forged"  # one byte
    r = post(body, signature)
    assert r.status_code == 200 and r.json()["outcome"] == "paid"
    p.refresh_from_db()
    assert p.status == PaymentStatus.PAID and p.provider_transaction_id == "TXN1"
    receipt = Receipt.objects.get()
    assert receipt.method == Method.ONLINE and receipt.issued_by is None
    # The gateway retries the same callback: answered OK, nothing new.
    r = post(body, signature)
    assert r.status_code == 200 and r.json()["outcome"] == "replay"
    # Another transaction for an order already paid: refused and logged.
    other = _callback(p, ts=ts, txn="TXN2")
    assert post(*other).json()["code"] == "callback_not_pending"
    assert Receipt.objects.count() == 1
    outcomes = list(CallbackLog.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [
        "forged",
        "amount_mismatch",
        "unknown_order",
        "stale",
        "failed",
        "forged",
        "paid",
        "replay",
        "not_pending",
    ]


@pytest.mark.django_db
def test_a_callback_whose_receipt_cannot_be_issued_is_logged_and_refused(
    client, ward, standin, freeze, settings
):
    """Review finding: with the signing certificate gone, the gateway's callback used to answer
    an undeclared 422 and leave no log row. Now: logged as receipt_failed, refused with a
    declared 409 so the gateway sends it again, nothing recorded as paid; the retry after the
    certificate is back is applied."""
    now = vn(2026, 3, 10, 10, 0)
    freeze(now)
    d = receive(ward, channel="online", copies=1)
    p = services.payment_create(dossier=d, method=Method.ONLINE, actor=None, return_path="/")
    body, signature = _callback(p, ts=int(now.timestamp()))
    kept = settings.MOTCUA
    settings.MOTCUA = {**kept, "RECEIPT_SIGNING_KEY": "/nonexistent/key.pem"}

    def post():  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/payments/callback/dvc",
            data=body,
            content_type="application/json",
            HTTP_X_SIGNATURE=signature,
        )

    r = post()
    assert (r.status_code, r.json()["code"]) == (409, "callback_receipt_failed")
    p.refresh_from_db()
    assert p.status == PaymentStatus.PENDING and Receipt.objects.count() == 0
    assert CallbackLog.objects.get().outcome == "receipt_failed"
    settings.MOTCUA = kept
    r = post()
    assert r.status_code == 200 and r.json()["outcome"] == "paid"
    assert Receipt.objects.count() == 1


@pytest.mark.django_db
def test_gateway_down_is_a_clear_error(client, ward, settings):
    settings.MOTCUA = {**settings.MOTCUA, "PAYMENT_GATEWAY_URL": "http://127.0.0.1:9"}
    d = receive(ward, channel="online")
    r = client.post(
        f"/api/v1/dossiers/{d.code}/payments",
        data={"method": "online", "verify": "0000"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["code"] == "gateway_unavailable"
    assert "Cổng thanh toán" in r.json()["message"]


@pytest.mark.django_db(transaction=True)
def test_citizen_pays_on_the_standin_and_the_signed_callback_issues_the_receipt(
    live_server, ward, standin, settings
):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": live_server.url}
    d = receive(ward, channel="online", copies=1)
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/dossiers/{d.code}/payments",
        data=json.dumps(
            {"method": "online", "verify": "0000", "return_path": "/tra-cuu/"}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        pay = json.loads(response.read())
    assert pay["redirect_url"].startswith(standin.base_url + "/pay/")
    with urllib.request.urlopen(pay["redirect_url"]) as response:
        page = response.read().decode()
    assert "Cổng thanh toán" in page and "18.000 đồng" in page

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(pay["redirect_url"], data=b"action=pay")
    except urllib.error.HTTPError as exc:  # the 303 back to the portal
        assert exc.code == 303
        assert exc.headers["Location"].startswith(f"{live_server.url}/tra-cuu/?order=")
    assert [c["status"] for c in standin.callbacks] == [200]
    with urllib.request.urlopen(f"{live_server.url}/api/v1/payments/{pay['id']}") as response:
        after = json.loads(response.read())
    assert after["status"] == "paid" and after["receipt"]["number"] == "0000001"
    # The gateway sends the same callback again (a retry, or someone replaying it).
    body = standin.callbacks[0]["body"]
    order = standin.orders[pay["redirect_url"].rsplit("/", 1)[1]]
    assert standin.send_callback(order, success=True) == 200
    assert Receipt.objects.count() == 1
    assert CallbackLog.objects.filter(outcome="replay").count() == 1
    assert json.loads(body)["transaction_id"] == order["transaction_id"]


def test_the_management_command_serves_the_standin(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "motcua", "payments-standin", "--port", "0"],
        env={**os.environ, "MOTCUA_DEMO": "1"},  # the stand-in's default secret is demo-only
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # "Cổng thanh toán mô phỏng: http://127.0.0.1:PORT ..."
        base = line.split(": ", 1)[1].split(" ", 1)[0]
        body = json.dumps(
            {
                "merchant_code": "MOTCUA-DEMO",
                "order_ref": "PAYX",
                "amount": 5000,
                "description": "thu",
                "return_url": "http://127.0.0.1:1/",
                "callback_url": "http://127.0.0.1:1/cb",
            }
        ).encode()
        req = urllib.request.Request(
            f"{base}/api/orders",
            data=body,
            headers={"X-Signature": sign(conf("PAYMENT_GATEWAY_SECRET"), body)},
        )
        with urllib.request.urlopen(req) as response:
            order = json.loads(response.read())
        assert response.status == 201 and order["payment_url"].startswith(base + "/pay/GW")
        bad = urllib.request.Request(f"{base}/api/orders", data=body, headers={"X-Signature": "0"})
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(bad)
        assert exc.value.code == 401
    finally:
        proc.terminate()
        proc.wait(10)


def test_production_refuses_the_standin_secret(settings, monkeypatch):
    from motcua.payments.checks import gateway_secret_check

    monkeypatch.delenv("PAYMENT_GATEWAY_SECRET", raising=False)
    settings.DEBUG = False
    settings.MOTCUA_DEMO = False
    settings.MOTCUA = {k: v for k, v in settings.MOTCUA.items() if k != "PAYMENT_GATEWAY_SECRET"}
    assert [e.id for e in gateway_secret_check()] == ["motcua.payments.E001"]
    settings.MOTCUA_DEMO = True
    assert gateway_secret_check() == []
    settings.MOTCUA_DEMO = False
    monkeypatch.setenv("PAYMENT_GATEWAY_SECRET", "a-real-secret-from-the-platform")
    assert gateway_secret_check() == []
