"""What followed a campaign's link: visits, bookings and online dossiers, counted per campaign,
channel and day, with no personal data (the cookie holds the link's tag, the same for all)."""

from __future__ import annotations

import pytest
from campaigns_helpers import compose, vn

from factories import CounterFactory
from motcua.campaigns import selectors, services
from motcua.campaigns.models import CampaignDay
from motcua.campaigns.tracking import COOKIE
from motcua.queueing.models import CounterService, Service

NOW = vn(2026, 11, 17, 9, 0)


@pytest.fixture
def campaign(ward, freeze):
    freeze(NOW)
    svc = Service.objects.create(office=ward.office, code="A", name="Hộ tịch")
    CounterService.objects.create(counter=CounterFactory(office=ward.office, number=1), service=svc)
    return compose(ward, channels=["facebook", "zalo"])


def test_a_visit_through_the_link_is_counted_and_remembered_without_a_person(campaign, client):
    ref = f"{campaign.code}.facebook"
    r = client.get(f"/dat-lich/?bo-phan=kien-hung&cd={ref}")
    assert r.status_code == 200
    cookie = r.cookies[COOKIE]
    assert cookie.value == ref and cookie["httponly"] and cookie["max-age"] == 86400
    client.get(f"/thu-tuc/?cd={campaign.code}.zalo")
    client.get(f"/dat-lich/?cd={ref}")
    rows = {r.channel: r for r in CampaignDay.objects.all()}
    assert rows["facebook"].visits == 2 and rows["zalo"].visits == 1
    assert rows["facebook"].day == NOW.date()
    # Only totals: nothing that names or follows a visitor.
    fields = {f.name for f in CampaignDay._meta.get_fields()}
    assert fields == {"id", "campaign", "channel", "day", "visits", "bookings", "dossiers"}


@pytest.mark.parametrize("value", ["CDXXXXXX.facebook", "nothing", "CD234567.sms", ""])
def test_a_forged_or_unknown_tag_counts_nothing(campaign, client, value):
    r = client.get(f"/thu-tuc/?cd={value}")
    assert r.status_code == 200 and COOKIE not in r.cookies
    assert CampaignDay.objects.count() == 0


def test_staff_pages_and_the_api_never_count(campaign, client):
    client.get(f"/api/v1/public/procedures?cd={campaign.code}.zalo")
    client.get(f"/can-bo/?cd={campaign.code}.zalo")
    assert CampaignDay.objects.count() == 0


def _book(client, solve_challenge):
    return client.post(
        "/dat-lich/",
        {
            "bo-phan": "kien-hung",
            "dich-vu": "A",
            "ngay": "2026-11-17",
            "gio": "10:00",
            "id_number": "001085012345",
            "full_name": "Nguyễn Văn An",
            "phone": "0912345678",
            "consent": "on",
            "altcha": solve_challenge(),
        },
    )


def test_a_booking_after_the_link_counts_for_its_campaign_and_channel(
    campaign, client, solve_challenge
):
    client.get(f"/dat-lich/?bo-phan=kien-hung&cd={campaign.code}.zalo")
    r = _book(client, solve_challenge)
    assert r.status_code == 200, r.content.decode()[:500]
    report = {c["channel"]: c for c in selectors.campaign_report(campaign)["channels"]}
    assert report["zalo"]["visits"] == 1 and report["zalo"]["bookings"] == 1
    assert report["facebook"]["bookings"] == 0


def test_a_booking_without_the_link_counts_for_nobody(campaign, client, solve_challenge):
    assert _book(client, solve_challenge).status_code == 200
    assert CampaignDay.objects.count() == 0


def test_an_online_dossier_after_the_link_counts(campaign, ward, client):
    from challenge_helpers import challenge_header

    client.get(f"/thu-tuc/1.001193/?cd={campaign.code}.facebook")
    body = {
        "procedure": "1.001193",
        "channel": "online",
        "unit": ward.unit.code,
        "citizen": {
            "id_number": "001085012345",
            "full_name": "Nguyễn Văn An",
            "date_of_birth": "1985-05-17",
            "phone": "0912345678",
        },
    }
    r = client.post("/api/v1/dossiers", body, content_type="application/json", **challenge_header())
    assert r.status_code == 201, r.content
    [row] = CampaignDay.objects.all()
    assert (row.channel, row.visits, row.dossiers) == ("facebook", 1, 1)


def test_counts_from_two_days_stay_apart(campaign, freeze):
    ref = f"{campaign.code}.zalo"
    services.campaign_visit_record(ref=ref)
    freeze(vn(2026, 11, 18, 8, 0))
    services.campaign_visit_record(ref=ref)
    services.campaign_booking_record(ref=ref)
    days = selectors.campaign_report(campaign)["days"]
    assert [(d["day"], d["visits"], d["bookings"]) for d in days] == [
        ("2026-11-17", 1, 0),
        ("2026-11-18", 1, 1),
    ]
