"""citizen_upsert / citizen_from_qr: validation, updates that never erase, audit rows."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from django.db import connection

from motcua.core.errors import ValidationFailed
from motcua.core.models import AuditEvent
from motcua.org.models import Citizen
from motcua.org.selectors import citizen_by_id_number
from motcua.org.services import citizen_from_qr, citizen_upsert

pytestmark = pytest.mark.django_db

QR = "001185012345|123456789|Trần  Thị Bình|17051985|Nữ|Số 5 Tô Hiệu, phường Hà Đông, Hà Nội|01022022"


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(datetime(2026, 3, 10, 9, 0))


def test_creates_a_citizen_with_normalised_fields():
    c = citizen_upsert(
        id_number=" 001085012345 ",
        full_name="  nguyễn  Văn   An ",
        date_of_birth=date(1985, 5, 17),
        sex="Nam",
        phone="+84 912 345 678",
        email="An@Example.VN",
        address=" Số 2  Quang Trung ",
    )
    c.refresh_from_db()
    assert c.id_number == "001085012345"
    assert c.full_name == "nguyễn Văn An"
    assert c.name_folded == "nguyen van an"
    assert (c.sex, c.phone, c.email, c.address) == (
        "M",
        "0912345678",
        "an@example.vn",
        "Số 2 Quang Trung",
    )
    assert AuditEvent.objects.filter(action="citizen.create", object_id=str(c.pk)).count() == 1


def test_blank_contact_fields_never_erase_saved_values():
    first = citizen_upsert(
        id_number="001085012345",
        full_name="Nguyễn Văn An",
        date_of_birth=date(1985, 5, 17),
        sex="M",
        phone="0912345678",
        address="Số 2 Quang Trung",
        email="an@example.vn",
    )
    again = citizen_upsert(id_number="001085012345", full_name="Nguyễn Văn An")
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.phone, again.address, again.email, again.sex, again.date_of_birth) == (
        "0912345678",
        "Số 2 Quang Trung",
        "an@example.vn",
        "M",
        date(1985, 5, 17),
    )
    assert not AuditEvent.objects.filter(action="citizen.update").exists()  # nothing changed


def test_given_values_update_a_known_citizen():
    citizen_upsert(id_number="001085012345", full_name="Nguyễn Văn An", phone="0912345678")
    c = citizen_upsert(
        id_number="001085012345",
        full_name="Nguyễn Văn Ân",
        phone="0987654321",
        address="Số 9 Trần Phú",
    )
    c.refresh_from_db()
    assert (c.full_name, c.phone, c.address, c.name_folded) == (
        "Nguyễn Văn Ân",
        "0987654321",
        "Số 9 Trần Phú",
        "nguyen van an",
    )
    assert Citizen.objects.count() == 1
    event = AuditEvent.objects.get(action="citizen.update")
    assert event.detail["fields"] == ["address", "full_name", "phone"]


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"id_number": "12345", "full_name": "A"}, "id_number_format"),
        ({"id_number": "003085012345", "full_name": "A"}, "id_number_province"),
        (
            {"id_number": "001085012345", "full_name": "A", "date_of_birth": date(1986, 1, 1)},
            "id_number_birth_year",
        ),
        ({"id_number": "001085012345", "full_name": "A", "sex": "Nữ"}, "id_number_sex"),
        ({"id_number": "001085012345", "full_name": "A", "sex": "?"}, "sex_invalid"),
        ({"id_number": "001085012345", "full_name": "   "}, "full_name_required"),
        (
            {"id_number": "001085012345", "full_name": "A", "phone": "024 3825 1234"},
            "phone_invalid",
        ),
        ({"id_number": "001085012345", "full_name": "A", "email": "not-an-email"}, "email_invalid"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_saved(kwargs, code):
    with pytest.raises(ValidationFailed) as exc:
        citizen_upsert(**kwargs)
    assert exc.value.code == code
    assert not Citizen.objects.exists()


def test_from_qr_creates_then_updates_without_erasing_the_phone():
    c = citizen_from_qr(payload=QR, phone="0912345678")
    assert (c.full_name, c.sex, c.date_of_birth, c.old_id_number) == (
        "Trần Thị Bình",
        "F",
        date(1985, 5, 17),
        "123456789",
    )
    again = citizen_from_qr(payload=QR.replace("Số 5 Tô Hiệu", "Số 7 Tô Hiệu"))
    again.refresh_from_db()
    assert again.pk == c.pk
    assert again.phone == "0912345678"
    assert again.address.startswith("Số 7 Tô Hiệu")
    assert citizen_by_id_number("001185012345") == again


def test_from_qr_refuses_a_malformed_payload():
    with pytest.raises(ValidationFailed) as exc:
        citizen_from_qr(payload="001185012345|x")
    assert exc.value.code == "qr_malformed"
    assert not Citizen.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_counters_registering_the_same_person_at_once_make_one_row():
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def register(phone: str) -> None:
        try:
            barrier.wait()
            citizen_upsert(id_number="001085012345", full_name="Nguyễn Văn An", phone=phone)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(f"091234567{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Citizen.objects.filter(id_number="001085012345").count() == 1


def test_from_qr_known_card_with_nothing_new_is_one_read():
    """The kiosk's hot path: a known person whose card says nothing new is read, not written
    (no transaction, no audit row); a card with something new is recorded and audited."""
    from django.test.utils import CaptureQueriesContext

    c = citizen_from_qr(payload=QR)
    assert AuditEvent.objects.filter(action="citizen.create", object_id=str(c.pk)).count() == 1
    with CaptureQueriesContext(connection) as ctx:
        same = citizen_from_qr(payload=QR)
    assert same.pk == c.pk and len(ctx.captured_queries) == 1
    assert (same.full_name, same.date_of_birth, same.verified) == (
        "Trần Thị Bình",
        date(1985, 5, 17),
        True,
    )
    assert not AuditEvent.objects.filter(action="citizen.update").exists()
    Citizen.objects.filter(pk=c.pk).update(verified=False)  # typed online before
    citizen_from_qr(payload=QR)
    assert Citizen.objects.get(pk=c.pk).verified
    assert AuditEvent.objects.get(action="citizen.update").detail["fields"] == ["verified"]


@pytest.mark.django_db(transaction=True)
def test_two_kiosks_scanning_a_new_card_at_once_make_one_row_and_one_audit():
    errors: list[BaseException] = []
    found: list[int] = []
    barrier = threading.Barrier(4)

    def scan() -> None:
        try:
            barrier.wait()
            found.append(citizen_from_qr(payload=QR).pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    (pk,) = Citizen.objects.filter(id_number="001185012345").values_list("pk", flat=True)
    assert found == [pk] * 4
    assert AuditEvent.objects.filter(action="citizen.create", object_id=str(pk)).count() == 1
