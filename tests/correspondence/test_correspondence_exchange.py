"""The exchange platform adapter against its local stand-in: queued packages go out once; a
platform that refuses or is down leaves them queued; the stand-in hands a package on to our inbox."""

from __future__ import annotations

import pytest
from correspondence_helpers import pdf_bytes

from motcua.correspondence import services
from motcua.correspondence.models import Dispatch, Document, Partner
from motcua.correspondence.standin import StandinExchange

AGENCY, KEY = "000.00.21.H26", "khoa-cua-phuong"


@pytest.fixture
def platform(settings, tmp_path):  # type: ignore[no-untyped-def]
    standin = StandinExchange(keys_by_agency={AGENCY: KEY}).start_in_thread()
    settings.MEDIA_ROOT = tmp_path
    settings.MOTCUA = {
        **settings.MOTCUA,
        "EXCHANGE_URL": standin.base_url,
        "EXCHANGE_AGENCY_CODE": AGENCY,
        "EXCHANGE_KEY": KEY,
        "EXCHANGE_INBOX_KEY": "khoa-hop-thu",
    }
    yield standin
    standin.stop()


def _queued(w):  # type: ignore[no-untyped-def]
    Partner.objects.create(code="G01.H26.CAH", name="Công an quận Hà Đông")
    Partner.objects.create(code="G02.H26.BHXH", name="Bảo hiểm xã hội quận Hà Đông")
    doc = services.document_create(
        unit=w.a,
        actor=w.a_reception,
        doc_type="CV",
        summary="Về việc đề nghị cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        signer_name="Nguyễn Văn Hùng",
        files=[services.Upload("cv.pdf", pdf_bytes(), True)],
    )
    services.document_send(document=doc, to=["G01.H26.CAH", "G02.H26.BHXH"], actor=w.a_reception)
    return doc


@pytest.mark.django_db
def test_queued_packages_go_out_once_one_per_recipient(two_wards, platform):
    _queued(two_wards)
    assert services.exchange_send_queued() == (2, 0)
    assert services.exchange_send_queued() == (0, 0)
    states = list(
        Dispatch.objects.order_by("to_code").values_list("state", "remote_id", "attempts")
    )
    assert [s for s, _, _ in states] == ["delivered", "delivered"]
    assert sorted(r for _, r, _ in states) == sorted(platform.packages)
    assert sorted(p["to"][0] for p in platform.packages.values()) == ["G01.H26.CAH", "G02.H26.BHXH"]


@pytest.mark.django_db
def test_a_wrong_key_or_a_platform_down_leaves_them_queued(two_wards, platform, settings):
    _queued(two_wards)
    settings.MOTCUA = {**settings.MOTCUA, "EXCHANGE_KEY": "sai"}
    assert services.exchange_send_queued() == (0, 2)
    d = Dispatch.objects.first()
    assert d.state == "queued" and d.attempts == 1 and "401" in d.last_error
    platform.stop()
    settings.MOTCUA = {**settings.MOTCUA, "EXCHANGE_KEY": KEY}
    assert services.exchange_send_queued() == (0, 2)
    assert set(Dispatch.objects.values_list("state", flat=True)) == {"queued"}
    assert not platform.packages


@pytest.mark.django_db(transaction=True)
def test_the_standin_forwards_a_package_to_our_inbox(two_wards, platform, live_server):
    w = two_wards
    # addressed by the electronic code of unit B: the platform brings it back to motcua
    doc = services.document_create(
        unit=w.a,
        actor=w.a_reception,
        doc_type="TB",
        summary="Thông báo lịch tiếp dân",
        signer_name="A",
    )
    Dispatch.objects.create(
        document=doc,
        to_code=w.b.agency_code,
        to_name=w.b.name,
        channel="edxml",
        state="queued",
        sent_at=doc.created_at,
    )
    assert services.exchange_send_queued() == (1, 0)
    [package_id] = platform.packages
    status = platform.forward(
        package_id, f"{live_server.url}/api/v1/exchange/inbox", "khoa-hop-thu"
    )
    assert status == 200
    arrived = Document.objects.get(direction="in")
    assert (arrived.unit, arrived.number_notation, arrived.status) == (
        w.b,
        doc.number_notation,
        "arrived",
    )
