"""The campaigns API: compose, publish, report (a unit's leaders and managers)."""

from __future__ import annotations

import base64

from campaigns_helpers import photo_with_gps, vn

from motcua.campaigns import services
from motcua.campaigns.models import Campaign, CampaignDay
from motcua.core.services import api_token_issue

NOW = vn(2026, 11, 17, 9, 30)


def _call(client, user, method, path, body=None, **headers):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}", **headers}
    if method == "GET":
        return client.get(path, **kwargs)
    return client.post(path, body or {}, content_type="application/json", **kwargs)


def _body(ward, **extra):
    return {
        "unit": ward.unit.code,
        "title": "Nộp hồ sơ khai sinh trực tuyến",
        "text": "Phường Kiến Hưng nhận hồ sơ khai sinh trực tuyến.",
        "link_kind": "procedure",
        "link_target": "1.001193",
        "channels": ["portal", "facebook"],
        **extra,
    }


def test_compose_publish_and_report(ward, doubles, freeze, client):
    freeze(NOW)
    image = "data:image/jpeg;base64," + base64.b64encode(photo_with_gps((400, 300))).decode()
    r = _call(
        client, ward.quanly, "POST", "/api/v1/campaigns", _body(ward, image=image),
        HTTP_IDEMPOTENCY_KEY="camp-1",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["status"] == "draft" and out["code"].startswith("CD")
    assert out["links"]["facebook"].endswith(f"/thu-tuc/1.001193/?cd={out['code']}.facebook")
    again = _call(
        client, ward.quanly, "POST", "/api/v1/campaigns", _body(ward, image=image),
        HTTP_IDEMPOTENCY_KEY="camp-1",
    )  # fmt: skip
    assert again.json()["id"] == out["id"] and Campaign.objects.count() == 1

    published = _call(client, ward.lanhdao, "POST", f"/api/v1/campaigns/{out['id']}/publish", {})
    assert published.status_code == 200 and published.json()["status"] == "publishing"
    services.campaign_posts_send_due()
    services.campaign_visit_record(ref=f"{out['code']}.facebook")
    services.campaign_booking_record(ref=f"{out['code']}.facebook")

    report = _call(client, ward.lanhdao, "GET", f"/api/v1/campaigns/{out['id']}/report")
    assert report.status_code == 200
    data = report.json()
    assert data["status"] == "published"
    fb = next(c for c in data["channels"] if c["channel"] == "facebook")
    assert fb["state"] == "posted" and fb["provider_id"].startswith("555000111_")
    assert (fb["visits"], fb["bookings"], fb["dossiers"]) == (1, 1, 0)
    assert data["totals"]["bookings"] == 1 and data["days"][0]["day"] == "2026-11-17"


def test_scheduled_through_the_api(ward, freeze, client):
    freeze(NOW)
    created = _call(client, ward.lanhdao, "POST", "/api/v1/campaigns", _body(ward)).json()
    r = _call(
        client, ward.lanhdao, "POST", f"/api/v1/campaigns/{created['id']}/publish",
        {"at": "2026-11-18T08:00"},
    )  # fmt: skip
    assert r.status_code == 200
    assert r.json()["status"] == "scheduled" and r.json()["scheduled_at"].startswith(
        "2026-11-18T08:00"
    )


def test_who_may(ward, freeze, client):
    freeze(NOW)
    created = _call(client, ward.lanhdao, "POST", "/api/v1/campaigns", _body(ward)).json()
    refused = _call(client, ward.tiepnhan, "POST", "/api/v1/campaigns", _body(ward))
    assert refused.status_code == 403
    other = _call(client, ward.khac, "GET", f"/api/v1/campaigns/{created['id']}/report")
    assert other.status_code == 404 and other.json()["code"] == "campaign_not_found"
    other = _call(client, ward.khac, "POST", f"/api/v1/campaigns/{created['id']}/publish", {})
    assert other.status_code == 404
    assert client.get(f"/api/v1/campaigns/{created['id']}/report").status_code == 401
    assert CampaignDay.objects.count() == 0


def test_strict_input(ward, freeze, client):
    freeze(NOW)
    for change, code in [
        ({"channels": ["myspace"]}, "invalid_channel"),
        ({"link_kind": "video"}, "invalid_link_kind"),
        ({"link_target": "9.999"}, "link_not_found"),
        ({"unit": "KHONGCO"}, "unit_not_found"),
        ({"image": "không phải base64"}, "image_invalid"),
        ({"title": "x" * 151}, "invalid"),
    ]:
        r = _call(client, ward.lanhdao, "POST", "/api/v1/campaigns", _body(ward, **change))
        assert r.status_code in (404, 422) and r.json()["code"] == code, (change, r.content)
    assert _call(client, ward.lanhdao, "GET", "/api/v1/campaigns/0/report").status_code == 422
