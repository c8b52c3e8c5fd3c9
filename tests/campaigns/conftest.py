"""A ward with its leaders, a procedure, an office; the Zalo OA, Facebook and SMTP stand-ins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from factories import (
    OfficeFactory,
    ProcedureVersionFactory,
    StaffRoleFactory,
    UnitFactory,
    UserFactory,
)
from motcua.org.models import Role, UnitLevel


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def ward(db):
    unit = UnitFactory(
        code="CWARD", agency_code="000.00.40.H26", name="Phường Kiến Hưng", level=UnitLevel.WARD
    )
    other = UnitFactory(
        code="CWARD2", agency_code="000.00.41.H26", name="Phường Phú Lương", level=UnitLevel.WARD
    )
    office = OfficeFactory(unit=unit, code="kien-hung", name="Bộ phận một cửa phường Kiến Hưng")
    users = {}
    for name, role, u in [
        ("lanhdao", Role.LEADER, unit),
        ("quanly", Role.MANAGER, unit),
        ("tiepnhan", Role.RECEPTION, unit),
        ("khac", Role.LEADER, other),
    ]:
        user = UserFactory(username=f"c-{name}", full_name=name.title())
        StaffRoleFactory(user=user, unit=u, role=role)
        users[name] = user
    birth = ProcedureVersionFactory(procedure__code="1.001193", name="Đăng ký khai sinh")
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
