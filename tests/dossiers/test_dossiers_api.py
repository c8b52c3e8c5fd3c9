"""API shapes: receive, read, act, forms, public lookup (no personal data, rate-limited), statistics."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from dossiers_helpers import CITIZEN, vn

from challenge_helpers import challenge_header
from motcua.core import clock
from motcua.core.services import api_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, office):
    cache.clear()

    def call(method, path, user=None, body=None, **extra):
        headers = {}
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_issue(user=getattr(office, user))}"
        elif method == "post":
            headers.update(challenge_header())  # anonymous callers prove some work
        fn = getattr(client, method)
        if body is not None:
            return fn(
                f"/api/v1{path}", data=body, content_type="application/json", **headers, **extra
            )
        return fn(f"/api/v1{path}", **headers, **extra)

    return call


BODY = {"procedure": "1.001193", "channel": "direct", "citizen": CITIZEN, "unit": "WARD1"}


def test_receive_read_and_act_through_the_api(api, office):
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        r = api("post", "/dossiers", "tiepnhan", BODY)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["code"] == "000.00.20.H26-260310-0001"
    assert body["status"] == 2 and body["status_label"] == "Đã tiếp nhận"
    assert body["due_at"].startswith("2026-03-13T17:00:00+07:00")
    code = body["code"]
    r = api("get", f"/dossiers/{code}", "tiepnhan")
    assert r.status_code == 200
    detail = r.json()
    assert detail["citizen"]["full_name"] == "Nguyễn Văn An"
    assert [e["action"] for e in detail["events"]] == ["receive"]
    assert "assign" in detail["allowed_actions"] and "approve" not in detail["allowed_actions"]
    with clock.frozen(vn(2026, 3, 10, 10, 0)):
        r = api(
            "post",
            f"/dossiers/{code}/actions",
            "tiepnhan",
            {"action": "assign", "to_user": "chuyenvien"},
        )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == 4 and r.json()["holder"] == "chuyenvien"
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        r = api("post", f"/dossiers/{code}/actions", "chuyenvien", {"action": "approve"})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden" and "Phê duyệt" in r.json()["message"]
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        r = api("post", f"/dossiers/{code}/actions", "tiepnhan", {"action": "return"})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    with clock.frozen(vn(2026, 3, 10, 11, 0)):
        r = api(
            "post",
            f"/dossiers/{code}/actions",
            "chuyenvien",
            {"action": "request_supplement", "reason": "Thiếu giấy chứng sinh bản chính"},
        )
    assert r.status_code == 200 and r.json()["status"] == 5 and r.json()["paused"] is True
    # Another ward's official does not even see it.
    assert api("get", f"/dossiers/{code}", "tiepnhan_khac").status_code == 404
    assert api("get", f"/dossiers/{code}").status_code == 401


def test_receive_errors_are_vietnamese(api, office):
    r = api("post", "/dossiers", "tiepnhan", {**BODY, "procedure": "9.999"})
    assert r.status_code == 404 and r.json()["code"] == "procedure_not_found"
    r = api("post", "/dossiers", "tiepnhan", {**BODY, "citizen": {**CITIZEN, "id_number": "123"}})
    assert r.status_code == 422 and r.json()["message"]
    r = api("post", "/dossiers", "tiepnhan", {**BODY, "papers": []})
    assert r.status_code == 422 and r.json()["code"] == "missing_papers"
    r = api("post", "/dossiers", None, BODY)  # a citizen cannot "receive" at the counter
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_online_submission_without_token(api, office):
    r = api("post", "/dossiers", None, {**BODY, "channel": "online"})
    assert r.status_code == 201
    assert r.json()["status"] == 1 and r.json()["due_at"] is None


def test_an_anonymous_online_submission_never_rewrites_a_known_citizen(api, office):
    from motcua.org.models import Citizen

    with clock.frozen(vn(2026, 11, 17, 9, 0)):
        assert (
            api("post", "/dossiers", "tiepnhan", BODY).status_code == 201
        )  # verified at a counter
        known = Citizen.objects.get(id_number=CITIZEN["id_number"])
        assert known.verified and known.phone == "0912345678"
        forged = {**CITIZEN, "phone": "0988777666", "address": "Nơi khác"}
        r = api("post", "/dossiers", None, {**BODY, "channel": "online", "citizen": forged})
        assert r.status_code == 201
        known.refresh_from_db()
        assert known.phone == "0912345678" and known.address == CITIZEN["address"]
        # Another name for a verified ID number is refused, in Vietnamese.
        r = api(
            "post", "/dossiers", None,
            {**BODY, "channel": "online", "citizen": {**CITIZEN, "full_name": "Lê Thị Giả"}},
        )  # fmt: skip
        assert r.status_code == 422 and r.json()["code"] == "citizen_name_mismatch"
        # A first-time online applicant is kept as typed, marked unverified; the counter
        # (ID card in hand) corrects and verifies the record later.
        new = {**CITIZEN, "id_number": "001190054321", "full_name": "Trần Thị Mới",
               "date_of_birth": "1990-03-02"}  # fmt: skip
        assert (
            api(
                "post", "/dossiers", None, {**BODY, "channel": "online", "citizen": new}
            ).status_code
            == 201
        )
        assert not Citizen.objects.get(id_number="001190054321").verified
        fixed = {**new, "full_name": "Trần Thị Mới Sửa"}
        assert api("post", "/dossiers", "tiepnhan", {**BODY, "citizen": fixed}).status_code == 201
        again = Citizen.objects.get(id_number="001190054321")
        assert again.verified and again.full_name == "Trần Thị Mới Sửa"


def test_form_pdf_endpoint(api, office):
    code = api("post", "/dossiers", "tiepnhan", BODY).json()["code"]
    r = api("get", f"/dossiers/{code}/forms/01.pdf", "tiepnhan")
    try:
        import motcua.documents.dossier_forms  # noqa: F401
    except ImportError:
        assert r.status_code == 501 and r.json()["code"] == "not_implemented"
    else:
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
    assert api("get", f"/dossiers/{code}/forms/09.pdf", "tiepnhan").status_code == 404
    assert api("get", f"/dossiers/{code}/forms/01.pdf", "tiepnhan_khac").status_code == 404


def test_receipt_links_use_the_public_address_not_the_request_host(
    api, office, settings, monkeypatch
):
    import motcua.documents.dossier_forms as dossier_forms

    seen = {}

    def fake_render(*, code, context):
        seen.update(context)
        return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(dossier_forms, "render_form_pdf", fake_render)
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": "https://dvc.hadong.hanoi.gov.vn"}
    code = api("post", "/dossiers", "tiepnhan", BODY).json()["code"]
    r = api("get", f"/dossiers/{code}/forms/01.pdf", "tiepnhan", HTTP_HOST="127.0.0.1:8101")
    assert r.status_code == 200
    assert seen["lookup_url"] == f"https://dvc.hadong.hanoi.gov.vn/tra-cuu/?ma={code}"


def test_public_lookup_has_no_personal_data_and_is_rate_limited(api, office, settings):
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        code = api("post", "/dossiers", "tiepnhan", BODY).json()["code"]
        r = api("get", f"/public/dossiers/{code}?verify=2345")  # last 4 of the ID number
        assert r.status_code == 200
        body = r.json()
        assert body["status_label"] == "Đã tiếp nhận"
        assert body["due_at"].startswith("2026-03-13")
        assert [e["status"] for e in body["timeline"]] == [2]
        text = r.content.decode()
        for personal in ("Nguyễn Văn An", "001085012345", "0912345678", "Quang Trung", "1985"):
            assert personal not in text
        assert api("get", f"/public/dossiers/{code}?verify=5678").status_code == 200  # phone
        wrong = api("get", f"/public/dossiers/{code}?verify=0000")
        missing = api("get", "/public/dossiers/000.00.20.H26-260310-9999?verify=2345")
        assert wrong.status_code == missing.status_code == 404
        assert wrong.json() == missing.json()
        for _ in range(16):
            api("get", f"/public/dossiers/{code}?verify=2345")
        r = api("get", f"/public/dossiers/{code}?verify=2345")
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        # Another client is not affected.
        assert (
            api("get", f"/public/dossiers/{code}?verify=2345", REMOTE_ADDR="10.0.0.2").status_code
            == 200
        )


def test_search_and_worklists(api, office):
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        for i in range(3):
            api(
                "post",
                "/dossiers",
                "tiepnhan",
                {
                    **BODY,
                    "citizen": {
                        **CITIZEN,
                        "id_number": f"00108501000{i}",
                        "full_name": f"Phạm Thị Hoa {i}",
                    },
                },
            )
        api("post", "/dossiers", "tiepnhan", BODY)
        r = api("get", "/dossiers?q=pham thi hoa&limit=2", "tiepnhan")
        page1 = r.json()
        assert len(page1["items"]) == 2 and page1["next_cursor"]
        page2 = api(
            "get", f"/dossiers?q=pham thi hoa&limit=2&cursor={page1['next_cursor']}", "tiepnhan"
        ).json()
        codes = [d["code"] for d in page1["items"] + page2["items"]]
        assert len(codes) == len(set(codes)) == 3 and page2["next_cursor"] == ""
        r = api("get", "/dossiers?q=001085012345", "tiepnhan").json()
        assert len(r["items"]) == 1
        r = api("get", "/dossiers?q=000.00.20.H26-260310-000", "tiepnhan").json()
        assert len(r["items"]) == 4
        r = api("get", "/dossiers?kind=mine", "tiepnhan").json()
        assert len(r["items"]) == 4
        assert api("get", "/dossiers?kind=mine", "tiepnhan_khac").json()["items"] == []
