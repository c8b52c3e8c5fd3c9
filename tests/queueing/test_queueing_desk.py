"""Guidance desk: priority by age or confirmed by staff, tickets for authorised proxies, revocation,
and the kiosk API's rate limits and refusal of self-claimed priority."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from factories import CitizenFactory, StaffRoleFactory
from motcua.core import clock
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.org.models import Role
from motcua.queueing import services
from motcua.queueing.models import (
    Authorisation,
    Booking,
    EventKind,
    Method,
    PriorityGroup,
    Status,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(db):
    elderly = PriorityGroup.objects.create(
        code="elderly", name="Người cao tuổi", weight=30, min_age=75
    )
    very_old = PriorityGroup.objects.create(code="90plus", name="Từ 90 tuổi", weight=40, min_age=90)
    disability = PriorityGroup.objects.create(code="disability", name="Người khuyết tật", weight=30)
    return {"elderly": elderly, "90plus": very_old, "disability": disability}


def issue(office, svc, citizen, **kw):
    return services.ticket_issue(
        office=office, service=svc, citizen=citizen, method=kw.pop("method", Method.QR), **kw
    ).ticket


def test_age_from_the_id_card_grants_priority_by_itself(at, office, svc_a, groups):
    # 26/11/2026: born 27/11/1951 is still 74, born 26/11/1951 turns 75 today.
    almost = CitizenFactory(date_of_birth=date(1951, 11, 27))
    today75 = CitizenFactory(date_of_birth=date(1951, 11, 26))
    ninety = CitizenFactory(date_of_birth=date(1935, 1, 1))
    unknown = CitizenFactory(date_of_birth=None)
    assert issue(office, svc_a, almost).priority is None
    assert issue(office, svc_a, today75).priority == groups["elderly"]
    assert issue(office, svc_a, ninety).priority == groups["90plus"]  # the strongest group
    assert issue(office, svc_a, unknown).priority is None
    # Groups without an age rule are never granted automatically.
    assert PriorityGroup.objects.filter(min_age__isnull=True).count() == 1


def test_staff_confirm_priority_on_a_waiting_ticket(at, office, svc_a, citizens, officer, groups):
    t = issue(office, svc_a, citizens[0])
    services.ticket_set_priority(
        ticket=t, group=groups["disability"], officer=officer, note="Thẻ khuyết tật số 123"
    )
    t.refresh_from_db()
    assert t.priority == groups["disability"]
    ev = TicketEvent.objects.get(ticket=t, kind=EventKind.PRIORITY)
    assert ev.actor == officer and ev.detail["group"] == "disability"
    assert ev.detail["note"] == "Thẻ khuyết tật số 123"
    assert AuditEvent.objects.filter(action="queue.ticket.priority", actor=officer).exists()
    # Withdrawn (proof not shown after all): recorded too.
    services.ticket_set_priority(ticket=t, group=None, officer=officer)
    t.refresh_from_db()
    assert t.priority is None
    assert TicketEvent.objects.filter(ticket=t, kind=EventKind.PRIORITY).count() == 2


def test_priority_only_by_staff_of_the_office_and_only_while_waiting(
    at, office, svc_a, citizens, officer, counters, groups
):
    t = issue(office, svc_a, citizens[0])
    outsider = StaffRoleFactory(role=Role.RECEPTION).user  # another unit
    with pytest.raises(PermissionDenied):
        services.ticket_set_priority(ticket=t, group=groups["disability"], officer=outsider)
    services.ticket_call_next(counter=counters[0], officer=officer)
    with pytest.raises(Conflict) as exc:
        services.ticket_set_priority(ticket=t, group=groups["disability"], officer=officer)
    assert exc.value.code == "invalid_transition"


def test_proxy_ticket_records_the_authorisation_once_and_names_both(
    at, office, svc_a, svc_b, officer
):
    agent, principal = CitizenFactory(), CitizenFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue_for_proxy(
            office=office, service=svc_a, agent=agent, principal=principal, officer=officer
        )
    assert exc.value.code == "authorisation_document_required"
    assert not Ticket.objects.exists() and not Authorisation.objects.exists()

    first = services.ticket_issue_for_proxy(
        office=office, service=svc_a, agent=agent, principal=principal, officer=officer,
        document="Giấy ủy quyền số 12/2026", valid_to=date(2026, 11, 30),
    ).ticket  # fmt: skip
    assert (first.citizen, first.on_behalf_of, first.method) == (agent, principal, Method.STAFF)
    auth = first.authorisation
    assert auth.document == "Giấy ủy quyền số 12/2026" and auth.recorded_by == officer
    # The same authorisation serves another service and another day without a new paper.
    second = services.ticket_issue_for_proxy(
        office=office, service=svc_b, agent=agent, principal=principal, officer=officer
    ).ticket
    assert second.authorisation == auth and Authorisation.objects.count() == 1
    # The proxy asking again for the same service gets the same ticket back.
    again = services.ticket_issue_for_proxy(
        office=office, service=svc_a, agent=agent, principal=principal, officer=officer
    )
    assert again.reused and again.ticket == first


def test_revoked_authorisation_no_longer_issues(at, office, svc_a, officer):
    agent, principal = CitizenFactory(), CitizenFactory()
    auth = services.authorisation_record(
        office=office, principal=principal, agent=agent, document="GUQ 1", recorded_by=officer
    )
    services.authorisation_revoke(authorisation=auth, officer=officer)
    auth.refresh_from_db()
    assert auth.revoked_at is not None and auth.revoked_by == officer
    with pytest.raises(services.AuthorisationRequired):
        issue(office, svc_a, agent, on_behalf_of=principal, authorisation=auth)
    # Without a new paper the desk cannot issue either.
    with pytest.raises(ValidationFailed):
        services.ticket_issue_for_proxy(
            office=office, service=svc_a, agent=agent, principal=principal, officer=officer
        )


def test_proxy_needs_two_people_and_a_future_end_date(at, office, svc_a, officer):
    person = CitizenFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue_for_proxy(
            office=office, service=svc_a, agent=person, principal=person, officer=officer,
            document="GUQ",
        )  # fmt: skip
    assert exc.value.code == "authorisation_same_person"
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue_for_proxy(
            office=office, service=svc_a, agent=person, principal=CitizenFactory(),
            officer=officer, document="GUQ", valid_to=clock.today() - timedelta(days=1),
        )  # fmt: skip
    assert exc.value.code == "authorisation_expired"


# ---------------------------------------------------------------- the desk page


def test_desk_page_issues_for_a_proxy_and_confirms_priority(
    at, client, office, svc_a, officer, groups
):
    client.force_login(officer)
    page = client.get("/can-bo/xep-hang/huong-dan/")
    body = page.content.decode()
    assert page.status_code == 200
    for heading in (
        "Cấp số cho người được ủy quyền",
        "Đang chờ – xác nhận diện ưu tiên",
        "Ủy quyền đang hiệu lực",
        "Lịch hẹn hôm nay",
    ):
        assert heading in body
    form = {
        "office": office.code,
        "service": svc_a.pk,
        "agent_id": "001085099001",
        "agent_name": "Lê Văn Đến",
        "principal_id": "001190099002",
        "principal_name": "Phạm Thị Ủy",
        "document": "Giấy ủy quyền số 7/2026",
    }
    r = client.post("/can-bo/xep-hang/huong-dan/uy-quyen/", form, follow=True)
    body = r.content.decode()
    assert "Đã cấp số A001 cho Lê Văn Đến, làm thay Phạm Thị Ủy." in body
    assert "Giấy ủy quyền số 7/2026" in body  # listed among valid authorisations
    t = Ticket.objects.get()
    assert t.on_behalf_of.id_number == "001190099002" and t.status == Status.WAITING

    r = client.post(
        "/can-bo/xep-hang/huong-dan/uu-tien/",
        {"office": office.code, "ticket": t.pk, "group": "disability"},
        follow=True,
    )
    assert "Số A001: ưu tiên “Người khuyết tật”." in r.content.decode()
    t.refresh_from_db()
    assert t.priority == groups["disability"]


def test_desk_refuses_a_name_that_does_not_match_the_saved_id(at, client, office, svc_a, officer):
    known = CitizenFactory(full_name="Nguyễn Văn An")
    client.force_login(officer)
    r = client.post(
        "/can-bo/xep-hang/huong-dan/uy-quyen/",
        {
            "office": office.code, "service": svc_a.pk, "agent_id": known.id_number,
            "agent_name": "Trần Văn Khác", "principal_id": "001190099002",
            "principal_name": "Phạm Thị Ủy", "document": "GUQ",
        },
        follow=True,
    )  # fmt: skip
    assert "không khớp với số định danh" in r.content.decode()
    assert not Ticket.objects.exists()
    # Diacritics and case are not a mismatch.
    r = client.post(
        "/can-bo/xep-hang/huong-dan/uy-quyen/",
        {
            "office": office.code, "service": svc_a.pk, "agent_id": known.id_number,
            "agent_name": "nguyen van an", "principal_id": "001190099002",
            "principal_name": "Phạm Thị Ủy", "document": "GUQ",
        },
        follow=True,
    )  # fmt: skip
    assert Ticket.objects.get().citizen == known


def test_desk_lists_todays_bookings_and_revokes(at, client, office, svc_a, officer):
    citizen = CitizenFactory(full_name="Đỗ Thị Hẹn")
    Booking.objects.create(
        office=office, service=svc_a, citizen=citizen, code="LH-ABCDEF",
        slot_start=clock.now().replace(hour=9, minute=30), created_at=clock.now(),
    )  # fmt: skip
    auth = services.authorisation_record(
        office=office, principal=CitizenFactory(), agent=CitizenFactory(), document="GUQ 9",
        recorded_by=officer,
    )  # fmt: skip
    client.force_login(officer)
    body = client.get(f"/can-bo/xep-hang/huong-dan/?office={office.code}").content.decode()
    assert "LH-ABCDEF" in body and "Đỗ Thị Hẹn" in body and "09:30" in body
    r = client.post(
        "/can-bo/xep-hang/huong-dan/thu-hoi/",
        {"office": office.code, "authorisation": auth.pk},
        follow=True,
    )
    assert "Đã thu hồi ủy quyền." in r.content.decode()
    auth.refresh_from_db()
    assert auth.revoked_at is not None


def test_desk_is_for_the_office_staff_only(at, client, office, svc_a):
    specialist = StaffRoleFactory(unit=office.unit, role=Role.SPECIALIST).user
    client.force_login(specialist)
    assert client.get("/can-bo/xep-hang/huong-dan/").status_code == 403


# ---------------------------------------------------------------- kiosk API


def test_kiosk_ignores_a_self_claimed_priority(at, client, office, svc_a, groups):
    citizen = CitizenFactory(phone="0912000111")
    r = client.post(
        "/api/v1/kiosk/check-in",
        {"office": office.code, "service": "A", "phone": "0912000111", "priority": "disability"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert Ticket.objects.get(citizen=citizen).priority is None


def test_kiosk_limits_guessing_by_phone_or_qr(at, client, office, svc_a, settings):
    settings.MOTCUA = {**settings.MOTCUA, "KIOSK_IDENTIFY_PER_MINUTE": 3}
    codes = []
    for n in range(5):
        r = client.post(
            "/api/v1/kiosk/check-in",
            {"office": office.code, "service": "A", "phone": f"090000000{n}"},
            content_type="application/json",
        )
        codes.append((r.status_code, r.json()["code"]))
    assert codes[:3] == [(404, "phone_unknown")] * 3
    assert codes[3:] == [(429, "rate_limited")] * 2
    assert "vui lòng thử lại sau 1 phút" in r.json()["message"]


def test_desk_books_for_a_caller_and_cancels_with_a_reason(at, client, office, svc_a, officer):
    from motcua.queueing.models import BookingChannel, BookingStatus

    client.force_login(officer)
    page = client.get(
        "/can-bo/xep-hang/huong-dan/",
        {"office": office.code, "dv": svc_a.pk, "ngay": "2026-11-26"},
    ).content.decode()
    assert "Đặt lịch hẹn hộ công dân" in page and "còn 4 chỗ" in page
    slot = page.split('name="slot"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/can-bo/xep-hang/huong-dan/dat-lich/",
        {
            "office": office.code, "service": svc_a.pk, "slot": slot,
            "id_number": "001160012345", "full_name": "Hoàng Văn Gọi", "phone": "0913000222",
        },
        follow=True,
    )  # fmt: skip
    body = r.content.decode()
    booking = Booking.objects.get()
    assert f"Đã đặt lịch hẹn {booking.code}" in body and "Hoàng Văn Gọi" in body
    assert booking.channel == BookingChannel.STAFF and booking.created_by == officer
    # Cancelling needs a reason, then it is recorded.
    r = client.post(
        "/can-bo/xep-hang/huong-dan/huy-lich/",
        {"office": office.code, "booking": booking.pk, "reason": ""},
        follow=True,
    )
    assert "Vui lòng ghi lý do hủy lịch hẹn." in r.content.decode()
    client.post(
        "/can-bo/xep-hang/huong-dan/huy-lich/",
        {"office": office.code, "booking": booking.pk, "reason": "Công dân gọi điện báo bận"},
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancel_reason == "Công dân gọi điện báo bận"


def test_desk_refuses_a_made_up_slot(at, client, office, svc_a, officer):
    client.force_login(officer)
    r = client.post(
        "/can-bo/xep-hang/huong-dan/dat-lich/",
        {
            "office": office.code, "service": svc_a.pk, "slot": "2026-11-26T12:10:00+07:00",
            "id_number": "001160012345", "full_name": "Hoàng Văn Gọi",
        },
        follow=True,
    )  # fmt: skip
    assert "Khung giờ hẹn không hợp lệ" in r.content.decode()
    assert not Booking.objects.exists()


def test_garbage_ids_get_not_found_not_a_server_error(at, client, office, counters, officer):
    client.force_login(officer)
    for url, data in [
        ("/can-bo/xep-hang/huong-dan/uu-tien/", {"office": office.code, "ticket": "abc"}),
        ("/can-bo/xep-hang/huong-dan/thu-hoi/", {"office": office.code, "authorisation": "1;"}),
        ("/can-bo/xep-hang/huong-dan/huy-lich/", {"office": office.code, "booking": "x"}),
        ("/can-bo/xep-hang/huong-dan/dat-lich/", {"office": office.code, "service": "9" * 30}),
        (f"/can-bo/xep-hang/quay/{counters[0].pk}/recall/", {"ticket": "abc"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert client.get("/can-bo/xep-hang/huong-dan/", {"cap": "abc"}).status_code == 200


def test_desk_actions_need_a_desk_role_before_anything_is_written(at, client, office, svc_a):
    from motcua.org.models import Citizen

    specialist = StaffRoleFactory(unit=office.unit, role=Role.SPECIALIST).user
    client.force_login(specialist)
    r = client.post(
        "/can-bo/xep-hang/huong-dan/uy-quyen/",
        {
            "office": office.code, "service": svc_a.pk, "agent_id": "001085099001",
            "agent_name": "Lê Văn Đến", "principal_id": "001190099002",
            "principal_name": "Phạm Thị Ủy", "document": "GUQ",
        },
    )  # fmt: skip
    assert r.status_code == 403
    assert not Citizen.objects.exists() and not Ticket.objects.exists()


def test_a_manager_can_issue_for_a_proxy_at_the_desk(at, office, svc_a):
    manager = StaffRoleFactory(unit=office.unit, role=Role.MANAGER).user
    result = services.ticket_issue_for_proxy(
        office=office, service=svc_a, agent=CitizenFactory(), principal=CitizenFactory(),
        officer=manager, document="GUQ 3",
    )  # fmt: skip
    assert result.ticket.authorisation.recorded_by == manager


def test_a_proxy_does_not_inherit_the_principals_age_priority(at, office, svc_a, officer, groups):
    old = CitizenFactory(date_of_birth=date(1940, 1, 1))
    young = CitizenFactory(date_of_birth=date(1996, 1, 1))
    t = services.ticket_issue_for_proxy(
        office=office, service=svc_a, agent=young, principal=old, officer=officer, document="GUQ"
    ).ticket
    assert t.priority is None
    # The other way round, the elderly person standing in the queue keeps their priority.
    t2 = services.ticket_issue_for_proxy(
        office=office, service=svc_a, agent=old, principal=young, officer=officer, document="GUQ"
    ).ticket
    assert t2.priority == groups["elderly"]


def test_kiosk_identify_limit_also_counts_guesses_sent_with_an_image(
    at, client, office, svc_a, settings, fake_engine
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from queueing_helpers import face_jpeg

    settings.MOTCUA = {**settings.MOTCUA, "KIOSK_IDENTIFY_PER_MINUTE": 2}
    statuses = []
    for n in range(3):
        r = client.post(
            "/api/v1/kiosk/check-in",
            {
                "office": office.code,
                "service": "A",
                "phone": f"090000000{n}",
                "image": SimpleUploadedFile("f.jpg", face_jpeg(), content_type="image/jpeg"),
            },
        )
        statuses.append(r.status_code)
    assert statuses[-1] == 429 and 429 not in statuses[:2]


def test_kiosk_answer_names_the_age_priority_and_no_booking(at, client, office, svc_a, groups):
    CitizenFactory(phone="0912000222", date_of_birth=date(1940, 2, 2))
    r = client.post(
        "/api/v1/kiosk/check-in",
        {"office": office.code, "service": "A", "phone": "0912000222"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert r.json()["priority"] == "Người cao tuổi" and r.json()["booking_slot"] is None


def test_desk_booking_asks_the_channels_with_their_own_consent(at, client, office, svc_a, officer):
    """Like the portal booking form: optional channels with their own consent, recorded in the
    booking's transaction by the officer; a bad choice books nothing."""
    from motcua.notifications.models import ContactPreference

    client.force_login(officer)
    page = client.get(
        "/can-bo/xep-hang/huong-dan/",
        {"office": office.code, "dv": svc_a.pk, "ngay": "2026-11-26"},
    ).content.decode()
    assert 'name="notify_consent"' in page and 'name="notify_email"' in page
    slot = page.split('name="slot"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {
        "office": office.code, "service": svc_a.pk, "slot": slot,
        "id_number": "001160012345", "full_name": "Hoàng Văn Gọi", "phone": "0913000222",
        "notify_consent": "on", "notify_channels": ["email"],
    }  # fmt: skip
    r = client.post("/can-bo/xep-hang/huong-dan/dat-lich/", data, follow=True)
    assert "Vui lòng nhập địa chỉ thư điện tử" in r.content.decode()
    assert not Booking.objects.exists()
    client.post("/can-bo/xep-hang/huong-dan/dat-lich/", {**data, "notify_email": "goi@example.vn"})
    booking = Booking.objects.get()
    pref = ContactPreference.objects.get(citizen=booking.citizen)
    assert pref.channels == ["email"] and pref.email == "goi@example.vn"
    assert pref.phone == "0913000222" and pref.recorded_by == officer
    assert pref.consent_source == "booking"
