"""Citizens' satisfaction ratings: verification, one per dossier or visit, never editable, stats."""

from __future__ import annotations

import pytest

from motcua.portal import services
from motcua.portal.models import ServiceRating
from motcua.portal.selectors import satisfaction_stats

pytestmark = pytest.mark.django_db

API = "/api/v1/public/ratings"


def _post(client, body):
    return client.post(API, body, content_type="application/json")


def test_dossier_rating_via_api_copies_unit_officer_procedure(client, make_dossier):
    from factories import UserFactory

    officer = UserFactory(full_name="Nguyễn Thị Tiếp Nhận")
    dossier = make_dossier(created_by=officer)
    response = _post(
        client,
        {
            "dossier": dossier.code,
            "verify": dossier.citizen_id_number[-4:],
            "level": "very_satisfied",
            "indicators": {"attitude": 2, "total_time": 1},
        },
    )
    assert response.status_code == 201, response.content
    rating = ServiceRating.objects.get()
    assert rating.unit_id == dossier.unit_id
    assert rating.officer == officer
    assert rating.procedure_version_id == dossier.procedure_version_id
    assert rating.field_id == dossier.field_id
    assert rating.channel == "kiosk"
    assert rating.indicators == {"attitude": 2, "total_time": 1}


def test_phone_digits_also_verify(client, make_dossier):
    dossier = make_dossier()
    response = _post(
        client,
        {"dossier": dossier.code, "verify": dossier.citizen_phone_last4, "level": "satisfied"},
    )
    assert response.status_code == 201


def test_verify_mismatch_is_refused(client, make_dossier):
    dossier = make_dossier()
    response = _post(client, {"dossier": dossier.code, "verify": "0000", "level": "satisfied"})
    assert response.status_code == 403
    assert response.json()["code"] == "verify_mismatch"
    assert ServiceRating.objects.count() == 0


def test_second_rating_of_a_dossier_is_a_conflict(client, make_dossier):
    dossier = make_dossier()
    body = {"dossier": dossier.code, "verify": dossier.citizen_id_number[-4:], "level": "satisfied"}
    assert _post(client, body).status_code == 201
    second = _post(client, dict(body, level="dissatisfied"))
    assert second.status_code == 409
    assert second.json()["code"] == "already_rated"
    assert ServiceRating.objects.get().level == "satisfied"


@pytest.mark.parametrize(
    "patch",
    [
        {"level": "great"},
        {"indicators": {"attitude": 3}},
        {"indicators": {"unknown": 1}},
        {"channel": "fax"},
    ],
)
def test_invalid_rating_payloads_are_422(client, make_dossier, patch):
    dossier = make_dossier()
    body = {
        "dossier": dossier.code,
        "verify": dossier.citizen_id_number[-4:],
        "level": "satisfied",
        **patch,
    }
    response = _post(client, body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_ticket_rating_uses_public_token(client, make_ticket):
    ticket = make_ticket()
    assert (
        _post(
            client, {"ticket": ticket.pk, "verify": "wrong-token", "level": "satisfied"}
        ).status_code
        == 403
    )
    response = _post(
        client,
        {"ticket": ticket.pk, "verify": ticket.token, "level": "satisfied", "channel": "tablet"},
    )
    assert response.status_code == 201
    rating = ServiceRating.objects.get()
    assert (
        rating.ticket == ticket
        and rating.officer_id == ticket.officer_id
        and rating.unit_id == ticket.office.unit_id
    )
    assert _post(client, {"verify": ticket.token, "level": "satisfied"}).status_code == 409


def test_unfinished_visit_cannot_be_rated(client, make_ticket):
    ticket = make_ticket(finished=False)
    response = _post(client, {"ticket": ticket.pk, "verify": ticket.token, "level": "satisfied"})
    assert response.status_code == 409 and response.json()["code"] == "not_ready"


def test_rating_api_is_rate_limited(client, make_dossier):
    # A different code each time: one code alone is locked after 5 wrong verifiers (issue 9.8,
    # tests/dossiers/test_dossiers_code_lock.py).
    dossier = make_dossier()
    codes = [
        _post(
            client, {"dossier": f"{dossier.code}{i}", "verify": "0000", "level": "satisfied"}
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429, 429]


def test_rating_page_from_qr_of_a_ticket(client, make_ticket):
    ticket = make_ticket()
    page = client.get("/danh-gia/", {"ve": ticket.token})
    assert page.status_code == 200 and "Đánh giá mức độ hài lòng" in page.content.decode()
    response = client.post(
        "/danh-gia/", {"ve": ticket.token, "level": "very_satisfied", "ind_attitude": "2"}
    )
    assert response.status_code == 200
    assert "Cảm ơn bạn đã đánh giá" in response.content.decode()
    rating = ServiceRating.objects.get()
    assert rating.channel == "qr" and rating.indicators == {"attitude": 2}


def test_rating_page_for_a_dossier_asks_for_verification(client, make_dossier):
    dossier = make_dossier()
    bad = client.post(
        "/danh-gia/",
        {"ho-so": dossier.code, "verify": "9999", "level": "satisfied", "kenh": "lookup"},
    )
    assert bad.status_code == 400 and "Thông tin xác minh không đúng" in bad.content.decode()
    ok = client.post(
        "/danh-gia/",
        {
            "ho-so": dossier.code,
            "verify": dossier.citizen_id_number[-4:],
            "level": "satisfied",
            "kenh": "lookup",
        },
    )
    assert ok.status_code == 200
    assert ServiceRating.objects.get().channel == "lookup"


def test_lookup_shows_timeline_and_rating_link_for_returned_dossier(client, make_dossier):
    dossier = make_dossier(status=10)
    html = client.post(
        "/tra-cuu/", {"code": dossier.code, "verify": dossier.citizen_id_number[-4:]}
    ).content.decode()
    assert "Đã trả kết quả" in html
    assert "Ngày hẹn trả kết quả" in html
    assert f"/danh-gia/?ho-so={dossier.code}" in html
    assert (
        dossier.citizen.full_name not in html and dossier.citizen_id_number not in html
    )  # no personal data
    wrong = client.post("/tra-cuu/", {"code": dossier.code, "verify": "0000"})
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in wrong.content.decode()


def test_lookup_offers_no_rating_for_dossier_in_progress(client, make_dossier):
    dossier = make_dossier(status=4)
    html = client.post(
        "/tra-cuu/", {"code": dossier.code, "verify": dossier.citizen_id_number[-4:]}
    ).content.decode()
    assert "Đang xử lý" in html and "/danh-gia/" not in html


def test_admin_cannot_change_or_delete_ratings(admin_client, admin_user, make_dossier, rf):
    from django.contrib.admin.sites import site

    dossier = make_dossier()
    rating = services.rating_submit(
        dossier_code=dossier.code, verify=dossier.citizen_id_number[-4:], level="satisfied"
    )
    request = rf.get("/")
    request.user = admin_user  # even a superuser
    model_admin = site._registry[ServiceRating]
    assert model_admin.has_change_permission(request, rating) is False
    assert model_admin.has_delete_permission(request, rating) is False
    assert model_admin.has_add_permission(request) is False
    assert admin_client.get("/quan-tri/portal/servicerating/").status_code == 200  # readable
    admin_client.post(
        f"/quan-tri/portal/servicerating/{rating.pk}/change/", {"level": "dissatisfied"}
    )
    admin_client.post(f"/quan-tri/portal/servicerating/{rating.pk}/delete/", {"post": "yes"})
    rating.refresh_from_db()
    assert rating.level == "satisfied"


def test_satisfaction_stats_by_unit_officer_and_month(make_dossier, make_ticket):
    from factories import UnitFactory, UserFactory

    unit_a, unit_b = UnitFactory(name="Phường Hà Đông"), UnitFactory(name="Phường Dương Nội")
    officer = UserFactory(full_name="Trần Văn Quầy")
    levels_a = ["very_satisfied", "satisfied", "satisfied", "dissatisfied"]
    for level in levels_a:
        d = make_dossier(unit=unit_a, created_by=officer)
        services.rating_submit(
            dossier_code=d.code,
            verify=d.citizen_id_number[-4:],
            level=level,
            indicators={"attitude": 2 if level != "dissatisfied" else 0},
        )
    d = make_dossier(unit=unit_b)
    services.rating_submit(
        dossier_code=d.code, verify=d.citizen_id_number[-4:], level="dissatisfied"
    )

    rows = {r["label"]: r for r in satisfaction_stats(group_by="unit")}
    assert rows["Phường Hà Đông"]["total"] == 4
    assert rows["Phường Hà Đông"]["satisfaction_pct"] == 75.0
    assert rows["Phường Hà Đông"]["indicators"]["attitude"] == 1.5
    assert rows["Phường Dương Nội"]["satisfaction_pct"] == 0.0

    by_officer = {r["label"]: r for r in satisfaction_stats(group_by="officer", unit=unit_a)}
    assert by_officer["Trần Văn Quầy"]["total"] == 4
    total = satisfaction_stats(group_by="total")[0]
    assert total["total"] == 5 and total["satisfaction_pct"] == 60.0
    months = satisfaction_stats(group_by="month")
    assert len(months) == 1 and months[0]["total"] == 5
    assert satisfaction_stats(group_by="field", field="ho-tich")[0]["total"] == 5


def test_rating_url_for_qr_codes():
    from motcua.portal.selectors import rating_url

    assert (
        rating_url(dossier_code="000.00.20.H26-260115-0001")
        == "/danh-gia/?ho-so=000.00.20.H26-260115-0001"
    )
    assert rating_url(ticket_token="abc_DEF-1") == "/danh-gia/?ve=abc_DEF-1"


def test_rating_page_says_when_a_visit_cannot_be_rated(client, make_ticket):
    waiting = make_ticket(finished=False)
    assert "chưa kết thúc" in client.get("/danh-gia/", {"ve": waiting.token}).content.decode()
    assert client.get("/danh-gia/", {"ve": "khong-co"}).status_code == 404
    served = make_ticket()
    client.post("/danh-gia/", {"ve": served.token, "level": "satisfied", "kenh": "tablet"})
    assert ServiceRating.objects.get().channel == "tablet"
    again = client.get("/danh-gia/", {"ve": served.token})
    assert again.status_code == 409 and "đã được đánh giá" in again.content.decode()
