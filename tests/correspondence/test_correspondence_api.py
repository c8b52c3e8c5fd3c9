"""/api/v1/documents: create, send, list and search, open; errors and Idempotency-Key."""

from __future__ import annotations

import base64

import pytest
from correspondence_helpers import pdf_bytes

from motcua.core.services import api_token_issue
from motcua.correspondence.models import Dispatch, Document

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}


def body(**kw):  # type: ignore[no-untyped-def]
    data = {
        "unit": "26881",
        "doc_type": "QD",
        "summary": "Về việc kiện toàn Bộ phận Một cửa phường",
        "signer_name": "Nguyễn Văn Hùng",
        "signer_title": "Chủ tịch",
        "urgency": "urgent",
        "recipients": "Như trên; Lưu: VT.",
    }
    data.update(kw)
    return data


def test_create_send_arrive_open(client, two_wards):
    w = two_wards
    files = [{"name": "quyet-dinh.pdf", "data": base64.b64encode(PDF).decode(), "main": True}]
    r = client.post(
        "/api/v1/documents",
        body(files=files),
        content_type="application/json",
        **bearer(w.a_reception),
    )
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["number_notation"] == "01/QĐ-UBND" and doc["box"] == "outgoing"
    assert doc["files"][0]["main"] is True and doc["files"][0]["content_type"] == "application/pdf"
    r = client.post(
        f"/api/v1/documents/{doc['id']}/send",
        {"to": ["000.00.22.H26"]},
        content_type="application/json",
        **bearer(w.a_reception),
    )
    assert r.status_code == 200, r.content
    [sent] = r.json()["dispatches"]
    assert sent["state"] == "delivered" and sent["delivered_at"] and sent["opened_at"] is None
    r = client.get("/api/v1/documents?box=incoming&q=kien toan", **bearer(w.b_reception))
    [arrived] = r.json()["items"]
    assert arrived["status"] == "arrived" and arrived["number"] is None
    assert arrived["files"][0]["sha256"] == doc["files"][0]["sha256"]
    # the sender sees nothing of B's register, and B nothing of A's outgoing one
    assert (
        client.get("/api/v1/documents?box=incoming", **bearer(w.a_reception)).json()["count"] == 0
    )
    assert (
        client.get(f"/api/v1/documents/{arrived['id']}", **bearer(w.a_reception)).status_code == 404
    )
    opened = client.get(f"/api/v1/documents/{arrived['id']}", **bearer(w.b_specialist)).json()
    assert opened["opened_at"]
    sender_view = client.get(f"/api/v1/documents/{doc['id']}", **bearer(w.a_reception)).json()
    assert sender_view["dispatches"][0]["state"] == "opened"
    assert sender_view["dispatches"][0]["opened_at"] == opened["opened_at"]


def test_errors_are_vietnamese_with_a_code(client, two_wards):
    w = two_wards
    r = client.post(
        "/api/v1/documents",
        body(doc_type="XX"),
        content_type="application/json",
        **bearer(w.a_reception),
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_choice"
    r = client.post(
        "/api/v1/documents", body(), content_type="application/json", **bearer(w.b_reception)
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = client.post("/api/v1/documents", body(), content_type="application/json")
    assert r.status_code == 401
    bad = [{"name": "x.pdf", "data": "%%%", "main": True}]
    r = client.post(
        "/api/v1/documents",
        body(files=bad),
        content_type="application/json",
        **bearer(w.a_reception),
    )
    assert r.status_code == 422 and r.json()["code"] == "bad_base64"
    r = client.get("/api/v1/documents?box=other", **bearer(w.a_reception))
    assert r.status_code == 422 and r.json()["code"] == "invalid_box"
    doc = client.post(
        "/api/v1/documents", body(), content_type="application/json", **bearer(w.a_reception)
    ).json()
    assert doc["number"] == 1  # the refused calls took no number
    r = client.post(
        f"/api/v1/documents/{doc['id']}/send",
        {"to": ["nowhere"]},
        content_type="application/json",
        **bearer(w.a_reception),
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown_recipient"
    assert "nowhere" in r.json()["message"]


def test_idempotency_key_gives_one_document_and_one_delivery(client, two_wards):
    w = two_wards
    headers = {**bearer(w.a_reception), "HTTP_IDEMPOTENCY_KEY": "vb-001"}
    first = client.post("/api/v1/documents", body(), content_type="application/json", **headers)
    again = client.post("/api/v1/documents", body(), content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Document.objects.count() == 1
    url = f"/api/v1/documents/{first.json()['id']}/send"
    headers["HTTP_IDEMPOTENCY_KEY"] = "gui-001"
    one = client.post(url, {"to": ["26882"]}, content_type="application/json", **headers)
    two = client.post(url, {"to": ["26882"]}, content_type="application/json", **headers)
    assert one.json() == two.json()
    assert Dispatch.objects.count() == 1 and Document.objects.filter(direction="in").count() == 1
