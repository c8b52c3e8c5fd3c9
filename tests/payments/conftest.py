"""A ward that collects fees: staff of every role, a priced procedure, a receipt series and an account."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from payments_helpers import FEES

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.org.models import Role, UnitLevel
from motcua.payments.models import BankAccount, ReceiptSeries


@pytest.fixture
def ward(db):
    ward = UnitFactory(
        code="WARD1", agency_code="000.00.20.H26", name="Phường Hà Đông", level=UnitLevel.WARD
    )
    other = UnitFactory(
        code="WARD2", agency_code="000.00.21.H26", name="Phường Dương Nội", level=UnitLevel.WARD
    )
    users = {}
    for name, role, unit in [
        ("tiepnhan", Role.RECEPTION, ward),
        ("chuyenvien", Role.SPECIALIST, ward),
        ("lanhdao", Role.LEADER, ward),
        ("quanly", Role.MANAGER, ward),
        ("tiepnhan_khac", Role.RECEPTION, other),
    ]:
        user = UserFactory(username=name, full_name=name.title())
        StaffRoleFactory(user=user, unit=unit, role=role)
        users[name] = user
    version = ProcedureVersionFactory(
        procedure__code="2.000635", name="Cấp bản sao trích lục hộ tịch", fees=FEES
    )
    free = ProcedureVersionFactory(procedure__code="1.000656", name="Đăng ký khai tử", fees=[])
    series = ReceiptSeries.objects.create(
        unit=ward, template_number="01BLP0-001", symbol="HD-26E", year=2026
    )
    account = BankAccount.objects.create(
        unit=ward,
        bank_bin="970415",
        bank_name="VietinBank",
        account_number="113366668888",
        account_name="UBND PHUONG HA DONG",
    )
    return SimpleNamespace(
        unit=ward, other=other, version=version, free=free, series=series, account=account, **users
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def standin(settings):
    """The stand-in gateway in a thread, with the site pointed at it."""
    from motcua.payments.gateways import conf
    from motcua.payments.standin import StandinGateway

    gw = StandinGateway(
        secrets_by_merchant={"MOTCUA-DEMO": conf("PAYMENT_GATEWAY_SECRET")}
    ).start_in_thread()
    settings.MOTCUA = {**settings.MOTCUA, "PAYMENT_GATEWAY_URL": gw.base_url}
    yield gw
    gw.stop()
