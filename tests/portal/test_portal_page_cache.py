"""Issue 10 point 3: public pages kept whole in the shared cache, dropped when their data changes,
never given from one visitor's session to another."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from motcua.catalog.models import Field
from motcua.portal.models import WebLink


@pytest.fixture(autouse=True)
def _clean_shared_cache():
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def _get(path: str, client: Client | None = None) -> str:
    response = (client or Client()).get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_home_is_cached_and_dropped_when_a_link_changes():
    _get("/")
    link = WebLink.objects.create(title="Cổng thử nghiệm XYZ", url="https://example.gov.vn/")
    assert "Cổng thử nghiệm XYZ" in _get("/")
    # A change that no signal sees (a raw update) is not shown until the next bump.
    WebLink.objects.filter(pk=link.pk).update(title="Tên mới ABC")
    assert "Tên mới ABC" not in _get("/")
    link.refresh_from_db()
    link.save()
    assert "Tên mới ABC" in _get("/")


@pytest.mark.django_db(transaction=True)
def test_procedures_list_dropped_when_a_field_is_added():
    _get("/thu-tuc/")
    Field.objects.create(code="ZZTEST", name="Lĩnh vực thử nghiệm QWE")
    assert "Lĩnh vực thử nghiệm QWE" in _get("/thu-tuc/")


@pytest.mark.django_db(transaction=True)
def test_each_visitor_gets_its_own_csrf_token_and_logged_in_pages_are_not_shared(django_user_model):
    a, b = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_a, page_b = _get("/", a), _get("/", b)
    token_a = page_a.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    token_b = page_b.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert "@@motcua-csrf@@" not in page_b and token_a != token_b
    from django.middleware.csrf import _unmask_cipher_token

    assert _unmask_cipher_token(token_b) == b.cookies["csrftoken"].value  # b's own secret
    # A visitor with a session (logged in, or messages waiting) is never served the shared copy.
    link = WebLink.objects.create(title="Liên kết cũ", url="https://example.gov.vn/")
    _get("/")
    WebLink.objects.filter(pk=link.pk).update(title="Liên kết riêng JKL")  # no bump
    staff = django_user_model.objects.create_user(username="pagecache", password="x")
    c = Client()
    c.force_login(staff)
    assert "Liên kết riêng JKL" in _get("/", c)
    assert "Liên kết riêng JKL" not in _get("/")
