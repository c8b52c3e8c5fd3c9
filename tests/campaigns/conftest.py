"""A ward with its leaders, a procedure, an office; the Zalo OA, Facebook and SMTP stand-ins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import office_helpers
from motcua.org.models import Role


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def ward(db):
    unit, other, office = office_helpers.kien_hung(code="CWARD", agency=40, office="kien-hung")
    users = office_helpers.staff(
        ("lanhdao", Role.LEADER, unit),
        ("quanly", Role.MANAGER, unit),
        ("tiepnhan", Role.RECEPTION, unit),
        ("khac", Role.LEADER, other),
        prefix="c-",
    )
    birth = office_helpers.birth()
    return SimpleNamespace(
        unit=unit, other=other, office=office, birth=birth, field=birth.field, **users
    )


@pytest.fixture
def doubles(settings):
    """The Zalo OA and Facebook stand-ins and the SMTP one, with the settings pointing at them."""
    from motcua.campaigns.standins import FacebookStandin, ZaloOaStandin
    from motcua.notifications.standins import SmtpStandin

    zalo = ZaloOaStandin(token="zalo-oa-test").start_in_thread()
    facebook = FacebookStandin(token="fb-page-test", page_id="555000111").start_in_thread()
    smtp = SmtpStandin().start()
    settings.MOTCUA = {
        **getattr(settings, "MOTCUA", {}),
        "CAMPAIGN_ZALO_URL": zalo.base_url,
        "CAMPAIGN_ZALO_TOKEN": "zalo-oa-test",
        "CAMPAIGN_FACEBOOK_URL": facebook.base_url,
        "CAMPAIGN_FACEBOOK_PAGE_ID": "555000111",
        "CAMPAIGN_FACEBOOK_TOKEN": "fb-page-test",
        "CAMPAIGN_TIMEOUT": "5",
        "NOTIFY_SMTP_HOST": smtp.host,
        "NOTIFY_SMTP_PORT": str(smtp.port),
        "NOTIFY_TIMEOUT": "5",
    }
    yield SimpleNamespace(zalo=zalo, facebook=facebook, smtp=smtp)
    zalo.stop()
    facebook.stop()
    smtp.stop()
