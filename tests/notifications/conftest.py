"""A ward with staff and a procedure, the three channel stand-ins, and a sender bound to them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import office_helpers
from motcua.org.models import Role


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ward(db):
    unit, other, office = office_helpers.kien_hung(code="NWARD", agency=30, office="kh")
    users = office_helpers.staff(
        ("tiepnhan", Role.RECEPTION, unit),
        ("lanhdao", Role.LEADER, unit),
        ("chuyenvien", Role.SPECIALIST, unit),
        ("khac", Role.RECEPTION, other),
        prefix="n-",
    )
    return SimpleNamespace(
        unit=unit, other=other, office=office, birth=office_helpers.birth(), **users
    )


@pytest.fixture
def doubles(settings):
    """The SMS, Zalo and SMTP stand-ins on free ports, and the settings pointing at them."""
    from motcua.notifications.channels import DEFAULT_ZALO_TEMPLATES
    from motcua.notifications.standins import SmsStandin, SmtpStandin, ZaloStandin

    sms = SmsStandin(secret="sms-test-secret", brandname="PHUONGKH").start_in_thread()
    zalo = ZaloStandin(
        token="zalo-test-token",
        templates=set(DEFAULT_ZALO_TEMPLATES.values()),
        oa_token="zalo-oa-test-token",
        oa_app_id="4242",
        oa_secret="oa-secret",
    )
    zalo.start_in_thread()
    smtp = SmtpStandin().start()
    settings.MOTCUA = {
        **getattr(settings, "MOTCUA", {}),
        "NOTIFY_SMS_URL": sms.base_url,
        "NOTIFY_SMS_SECRET": "sms-test-secret",
        "NOTIFY_SMS_BRANDNAME": "PHUONGKH",
        "NOTIFY_ZALO_URL": zalo.base_url,
        "NOTIFY_ZALO_TOKEN": "zalo-test-token",
        "NOTIFY_ZALO_OA_URL": zalo.base_url,
        "NOTIFY_ZALO_OA_TOKEN": "zalo-oa-test-token",
        "NOTIFY_ZALO_OA_APP_ID": "4242",
        "NOTIFY_ZALO_OA_SECRET": "oa-secret",
        "NOTIFY_SMTP_HOST": smtp.host,
        "NOTIFY_SMTP_PORT": str(smtp.port),
        "NOTIFY_TIMEOUT": "5",
    }
    yield SimpleNamespace(sms=sms, zalo=zalo, smtp=smtp)
    sms.stop()
    zalo.stop()
    smtp.stop()
