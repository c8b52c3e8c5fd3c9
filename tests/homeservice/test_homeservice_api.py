"""The home-visit API: public booking with the challenge, status with verify, day list, actions."""

from __future__ import annotations

import pytest
from django.test import Client
from homeservice_helpers import OLD_ID, book_kwargs

from challenge_helpers import challenge_header
from motcua.dossiers.models import Dossier
from motcua.homeservice import services

BODY = {
    "unit": "W-HOME", "procedure": "2.000286", "full_name": "Nguyễn Thị Hoa",
    "id_number": OLD_ID, "phone": "0912345678", "address": "Số 5 ngõ 12, tổ dân phố 3",
    "date": "2026-11-17", "half_day": "morning", "needs": "Xe lăn",
}  # fmt: skip


def test_public_booking_needs_the_challenge_then_gives_a_code(home, client):
    r = client.post("/api/v1/public/home-visits", BODY, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "challenge_required"
    r = client.post("/api/v1/public/home-visits", BODY, content_type="application/json",
                    **challenge_header())  # fmt: skip
    assert r.status_code == 201, r.json()
    out = r.json()
    assert out["status"] == "requested" and out["date"] == "2026-11-17"
    assert out["half_day"] == "morning" and out["code"].startswith("TN-")
    r = client.get(f"/api/v1/public/home-visits/{out['code']}?verify=0000")
    assert r.status_code == 404 and r.json()["code"] == "home_visit_not_found"
    r = client.get(f"/api/v1/public/home-visits/{out['code']}?verify=5678")
    assert r.status_code == 200 and r.json()["officer_name"] is None


def test_status_says_who_is_coming_and_when(home, client):
    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="k", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    out = client.get(f"/api/v1/public/home-visits/{visit.code}?verify=3456").json()
    assert out["officer_name"] == "Cán bộ tainha"
    # Morning window start + travel allowance (first visit of the half-day).
    assert out["eta"].startswith("2026-11-17T07:") or out["eta"].startswith("2026-11-17T08:")


def test_day_list_and_actions_are_per_unit(home):
    visit = services.visit_book(**book_kwargs(home))
    other = Client()
    other.force_login(home.quanly_khac)
    assert other.get("/api/v1/home-visits?date=2026-11-17").json() == []
    r = other.post(f"/api/v1/home-visits/{visit.code}/actions",
                   {"action": "assign", "key": "x", "officer": "tainha"},
                   content_type="application/json")  # fmt: skip
    assert r.status_code == 403
    mine = Client()
    mine.force_login(home.quanly)
    r = mine.post(f"/api/v1/home-visits/{visit.code}/actions",
                  {"action": "assign", "key": "x", "officer": "tainha"},
                  content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["officer"] == "tainha"
    rows = mine.get("/api/v1/home-visits?date=2026-11-17").json()
    assert [(v["code"], v["officer"], v["position"]) for v in rows] == [(visit.code, "tainha", 1)]
    bad = mine.get("/api/v1/home-visits?date=17/11/2026")
    assert bad.status_code == 422 and bad.json()["code"] == "date_invalid"


def test_same_key_twice_returns_the_first_answer(home):
    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="a", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    officer = Client()
    officer.force_login(home.tainha)
    body = {"action": "receive", "key": "offline-1", "papers": [0]}
    first = officer.post(f"/api/v1/home-visits/{visit.code}/actions", body,
                         content_type="application/json")  # fmt: skip
    assert first.status_code == 200, first.json()
    # A resend with the same key, even with a body re-serialised differently.
    second = officer.post(f"/api/v1/home-visits/{visit.code}/actions",
                          {**body, "notes": ""}, content_type="application/json")  # fmt: skip
    assert second.status_code == 200
    assert second.json()["replayed"] is True
    assert second.json()["dossier"] == first.json()["dossier"]
    assert Dossier.objects.count() == 1


def test_session_calls_need_the_csrf_header(home):
    visit = services.visit_book(**book_kwargs(home))
    c = Client(enforce_csrf_checks=True)
    c.force_login(home.quanly)
    r = c.post(f"/api/v1/home-visits/{visit.code}/actions",
               {"action": "assign", "key": "x", "officer": "tainha"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 401
    c.get("/can-bo/tai-nha/")  # sets the csrftoken cookie
    token = c.cookies["csrftoken"].value
    r = c.post(f"/api/v1/home-visits/{visit.code}/actions",
               {"action": "assign", "key": "x", "officer": "tainha"},
               content_type="application/json", HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert r.status_code == 200


@pytest.mark.parametrize("path", ["/can-bo/tai-nha/", "/can-bo/tai-nha/hom-nay/",
                                  "/can-bo/tai-nha/in/", "/dat-lich-tai-nha/"])  # fmt: skip
def test_pages_render(home, path):
    c = Client()
    c.force_login(home.quanly if "hom-nay" not in path else home.tainha)
    assert c.get(path).status_code == 200
