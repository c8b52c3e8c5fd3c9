"""Issue 8 B8: a citizen who has just looked a dossier up rates it without typing the digits again."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from motcua.portal import services
from motcua.portal.models import ServiceRating

pytestmark = pytest.mark.django_db


def _rating_link(client, dossier) -> str:  # type: ignore[no-untyped-def]
    page = client.post(
        "/tra-cuu/", {"code": dossier.code, "verify": dossier.citizen_id_number[-4:]}
    ).content.decode()
    match = re.search(r'href="(/danh-gia/\?[^"]+)"', page)
    assert match, "the lookup offers no rating link"
    return htmllib.unescape(match.group(1))


def test_lookup_carries_a_signed_token_not_the_digits(client, make_dossier):
    dossier = make_dossier(status=10)
    link = _rating_link(client, dossier)
    assert "xac-nhan=" in link
    assert dossier.citizen_id_number[-4:] not in link.split("xac-nhan=", 1)[1]
    assert "verify" not in link
    page = client.get(link).content.decode()
    assert 'id="verified-by-lookup"' in page
    assert 'name="verify"' not in page  # nothing to type again
    token = re.search(r'name="xac-nhan" value="([^"]+)"', page).group(1)
    response = client.post(
        "/danh-gia/",
        {"ho-so": dossier.code, "xac-nhan": token, "kenh": "lookup", "level": "satisfied"},
    )
    assert response.status_code == 200 and 'id="rating-done"' in response.content.decode()
    rating = ServiceRating.objects.get()
    assert rating.dossier_id == dossier.pk and rating.channel == "lookup"


def test_a_token_proves_only_its_own_dossier_and_only_for_a_while(
    client, make_dossier, monkeypatch
):
    dossier, other = make_dossier(status=10), make_dossier(status=10)
    token = services.rating_token_issue(dossier_code=dossier.code)
    assert services.rating_token_valid(token, dossier_code=dossier.code)
    assert not services.rating_token_valid(token, dossier_code=other.code)
    assert not services.rating_token_valid(token[:-2] + "xx", dossier_code=dossier.code)
    # Another dossier with this token still needs the digits: the form asks for them.
    page = client.get("/danh-gia/", {"ho-so": other.code, "xac-nhan": token}).content.decode()
    assert 'name="verify"' in page
    refused = client.post(
        "/danh-gia/", {"ho-so": other.code, "xac-nhan": token, "level": "satisfied"}
    )
    assert "rating-done" not in refused.content.decode()
    assert not ServiceRating.objects.exists()
    # An expired token is no proof either.
    monkeypatch.setattr(services, "RATING_TOKEN_MAX_AGE", -1)
    assert not services.rating_token_valid(token, dossier_code=dossier.code)
    with pytest.raises(services.VerifyMismatch):
        services.rating_submit(
            dossier_code=dossier.code, verify="", level="satisfied", lookup_token=token
        )
