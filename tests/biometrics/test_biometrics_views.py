"""Privacy page and the delete API: only managers and system administrators."""

from __future__ import annotations

import pytest
from biometrics_helpers import RED, encode

from factories import CitizenFactory, OfficeFactory, StaffRoleFactory
from motcua.biometrics.engine import draw_fake_face
from motcua.biometrics.models import FaceAccessLog, FaceTemplate
from motcua.biometrics.services import face_analyse, face_enrol
from motcua.core.services import api_token_issue
from motcua.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled():
    citizen = CitizenFactory(full_name="Trần Thị Bình")
    office = OfficeFactory()
    for _ in range(2):
        probe = face_analyse(image=encode(draw_fake_face(RED)))
        face_enrol(citizen=citizen, office=office, probe=probe, scope="remember", device="kiosk-7")
    return citizen


def staff(role):
    return StaffRoleFactory(role=role).user


def office_of(citizen):
    return FaceTemplate.objects.filter(citizen=citizen).first().office


def test_manager_sees_face_data_and_deletes_it(client, enrolled):
    client.force_login(StaffRoleFactory(role=Role.MANAGER, unit=office_of(enrolled).unit).user)
    page = client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Trần Thị Bình" in html
    assert 'data-testid="template-count">2<' in html
    assert "Máy lấy số tự động 7" in html  # consent channel and the access log, in Vietnamese
    assert "Ghi nhớ cho lần sau" in html

    resp = client.post(
        f"/can-bo/khuon-mat/{enrolled.id_number}/xoa/", {"reason": "Công dân yêu cầu tại quầy"}
    )
    assert resp.status_code == 302
    assert not FaceTemplate.objects.filter(citizen=enrolled).exists()
    page = client.get(resp.url)
    html = page.content.decode()
    assert "Đã xóa 2 mẫu khuôn mặt" in html
    assert 'data-testid="template-count">0<' in html


def test_every_look_at_face_data_is_logged_with_the_official(client, enrolled):
    manager = staff(Role.MANAGER)
    client.force_login(manager)
    client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number})
    html = client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number}).content.decode()
    views = FaceAccessLog.objects.filter(citizen=enrolled, operation="view")
    assert views.count() == 2 and {v.actor for v in views} == {manager}
    assert "Cán bộ xem dữ liệu khuôn mặt" in html  # the log on the page shows the earlier look
    # A look-up of an unknown number logs nothing (there is no one to log it against).
    client.get("/can-bo/khuon-mat/", {"id_number": "001099999999"})
    assert FaceAccessLog.objects.filter(operation="view").count() == 2


def test_a_manager_elsewhere_sees_only_their_offices_and_cannot_erase(client, enrolled):
    """Issue 9 point 4: a manager of another unit erased face data enrolled at Hà Đông (page)."""
    client.force_login(staff(Role.MANAGER))  # a manager of another unit
    html = client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number}).content.decode()
    assert 'data-testid="template-count">0<' in html and "Máy lấy số tự động 7" in html  # consent
    assert "Chỉ hiển thị mẫu khuôn mặt và lượt nhận diện tại các bộ phận" in html
    # A system administrator sees everything.
    client.force_login(staff(Role.SYSADMIN))
    html = client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number}).content.decode()
    assert 'data-testid="template-count">2<' in html and "Chỉ hiển thị" not in html
    # A manager acts only on data held at their units' offices: the erasure is refused.
    client.force_login(staff(Role.MANAGER))
    resp = client.post(
        f"/can-bo/khuon-mat/{enrolled.id_number}/xoa/", {"reason": "Công dân yêu cầu"}, follow=True
    )
    assert "chỉ cán bộ quản lý của đơn vị đó" in resp.content.decode()
    assert FaceTemplate.objects.filter(citizen=enrolled).count() == 2
    assert not enrolled.face_consents.filter(withdrawn_at__isnull=False).exists()


def test_a_manager_elsewhere_cannot_erase_through_the_api(client, enrolled):
    """Issue 9 point 4 through the API door: 403 with a code, nothing deleted."""
    token = api_token_issue(user=staff(Role.MANAGER))
    resp = client.delete(
        f"/api/v1/citizens/{enrolled.id_number}/face?reason=x",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 403 and resp.json()["code"] == "face_data_out_of_scope"
    assert FaceTemplate.objects.filter(citizen=enrolled).count() == 2


def test_a_manager_erases_only_what_their_offices_hold(client, enrolled):
    """Templates held at two offices: each unit's manager erases its own; consent goes with the last."""
    from motcua.biometrics.services import face_analyse, face_enrol

    here = office_of(enrolled)
    elsewhere = OfficeFactory()
    face_enrol(
        citizen=enrolled,
        office=elsewhere,
        probe=face_analyse(image=encode(draw_fake_face(RED))),
        scope="remember",
        device="kiosk-9",
    )
    manager_here = StaffRoleFactory(role=Role.MANAGER, unit=here.unit).user
    client.force_login(manager_here)
    client.post(f"/can-bo/khuon-mat/{enrolled.id_number}/xoa/", {"reason": "Công dân yêu cầu"})
    left = FaceTemplate.objects.filter(citizen=enrolled)
    assert [t.office_id for t in left] == [elsewhere.pk]
    assert enrolled.face_consents.filter(withdrawn_at__isnull=True).exists()
    client.force_login(StaffRoleFactory(role=Role.MANAGER, unit=elsewhere.unit).user)
    client.post(f"/can-bo/khuon-mat/{enrolled.id_number}/xoa/", {"reason": "Công dân yêu cầu"})
    assert not FaceTemplate.objects.filter(citizen=enrolled).exists()
    assert not enrolled.face_consents.filter(withdrawn_at__isnull=True).exists()


def test_delete_without_reason_keeps_data(client, enrolled):
    client.force_login(staff(Role.SYSADMIN))
    resp = client.post(f"/can-bo/khuon-mat/{enrolled.id_number}/xoa/", {"reason": ""}, follow=True)
    assert "Vui lòng ghi rõ lý do" in resp.content.decode()
    assert FaceTemplate.objects.filter(citizen=enrolled).count() == 2


def test_reception_staff_cannot_see_or_delete(client, enrolled):
    client.force_login(staff(Role.RECEPTION))
    assert client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number}).status_code == 403
    assert (
        client.post(f"/can-bo/khuon-mat/{enrolled.id_number}/xoa/", {"reason": "x"}).status_code
        == 403
    )
    assert FaceTemplate.objects.filter(citizen=enrolled).count() == 2


def test_unknown_id_number_says_so(client):
    client.force_login(staff(Role.MANAGER))
    html = client.get("/can-bo/khuon-mat/", {"id_number": "999999999999"}).content.decode()
    assert "Không tìm thấy công dân" in html


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/can-bo/khuon-mat/")
    assert resp.status_code == 302
    assert "login" in resp.url or "dang-nhap" in resp.url


def test_api_delete_with_token(client, enrolled):
    manager = StaffRoleFactory(role=Role.MANAGER, unit=office_of(enrolled).unit).user
    token = api_token_issue(user=manager)
    resp = client.delete(
        f"/api/v1/citizens/{enrolled.id_number}/face?reason=Y%C3%AAu%20c%E1%BA%A7u",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200
    assert resp.json() == {"deleted": 2}
    log = FaceAccessLog.objects.get(operation="delete")
    assert log.detail["reason"] == "Yêu cầu"


def test_api_delete_refusals(client, enrolled):
    assert client.delete(f"/api/v1/citizens/{enrolled.id_number}/face").status_code == 401
    clerk_token = api_token_issue(user=staff(Role.RECEPTION))
    auth = {"Authorization": f"Bearer {clerk_token}"}
    resp = client.delete(f"/api/v1/citizens/{enrolled.id_number}/face", headers=auth)
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    assert client.delete("/api/v1/citizens/000000000000/face", headers=auth).status_code == 404
    assert FaceTemplate.objects.filter(citizen=enrolled).count() == 2


def test_face_data_log_speaks_vietnamese_not_codes(client, enrolled):
    """Issue 8 B4: "viewed", "match", "remember", "kiosk" appeared raw in the log."""
    import re

    from motcua.biometrics.services import face_identify

    office = office_of(enrolled)
    face_identify(
        office=office, probe=face_analyse(image=encode(draw_fake_face(RED))), device="kiosk"
    )
    client.force_login(StaffRoleFactory(role=Role.MANAGER, unit=office.unit).user)
    client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number})  # logs a "viewed"
    html = client.get("/can-bo/khuon-mat/", {"id_number": enrolled.id_number}).content.decode()
    log = html[html.index('id="log-title"') :]
    cells = re.findall(r"<td>([^<]*)</td>", html[html.index('id="consent-title"') :])
    for code in ("viewed", "match", "remember", "kiosk", "today", "no_match"):
        assert code not in cells, code
    assert "Nhận diện được" in log
    assert "Đã xem" in log
    assert "Đã đăng ký – ghi nhớ cho lần sau" in log
    assert "Máy lấy số tự động" in log
