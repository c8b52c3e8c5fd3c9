"""Admin: published versions are read-only; changes go through "Tạo phiên bản mới" then "Công bố"."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.selectors import procedure_current
from motcua.catalog.services import catalog_export, procedure_version_create
from motcua.org.models import User

pytestmark = pytest.mark.django_db

DATA = {
    "name": "Thủ tục đăng ký khai sinh",
    "field": {"code": "ho-tich", "name": "Hộ tịch"},
    "level": "commune",
    "time_unit": "same_day",
    "cutoff": "15:00",
    "fees": [{"name": "Lệ phí", "amount": 0}],
    "papers": [{"name": "Tờ khai", "original": 1, "copy": 0, "required": True}],
    "channels": ["direct", "online"],
}


@pytest.fixture
def admin_client(client):
    # No password hashing: force_login is enough and keeps the test fast.
    user = User.objects.create(username="quantri", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def v1():
    return procedure_version_create(code="1.001193", data=DATA, publish=True)


def test_published_version_is_read_only(admin_client, v1):
    url = reverse("admin:catalog_procedureversion_change", args=[v1.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    assert "Phiên bản đã công bố chỉ được xem" in page.content.decode()
    assert admin_client.post(url, {"name": "Tên bị sửa"}).status_code == 403
    assert ProcedureVersion.objects.get(pk=v1.pk).name == "Thủ tục đăng ký khai sinh"


def test_new_version_action_then_edit_draft_then_publish(admin_client, v1):
    changelist = reverse("admin:catalog_procedureversion_changelist")
    response = admin_client.post(
        changelist, {"action": "make_new_version", "_selected_action": [v1.pk]}, follow=True
    )
    assert "Đã tạo bản nháp 1.001193 phiên bản 2" in response.content.decode()
    draft = ProcedureVersion.objects.get(procedure=v1.procedure, version=2)
    assert not draft.is_published

    url = reverse("admin:catalog_procedureversion_change", args=[draft.pk])
    form = {
        "name": "Thủ tục đăng ký khai sinh (sửa đổi)",
        "field": str(draft.field_id),
        "level": "commune",
        "time_unit": "working_days",
        "time_value": "1",
        "cutoff": "",
        "fees": json.dumps([{"name": "Lệ phí", "amount": 5000}]),
        "papers": json.dumps(draft.papers),
        "result_paper": "Giấy khai sinh",
        "legal_basis": "[]",
        "channels": json.dumps(["online", "direct"]),
        "forms": "[]",
        "conditions": "",
        "steps": "",
        "agency": "",
        "decision": "",
        "valid_from": "",
        "note": "",
    }
    bad = admin_client.post(url, {**form, "channels": json.dumps(["fax"])})
    assert bad.status_code == 200 and "cách thức thực hiện không hợp lệ" in bad.content.decode()
    ok = admin_client.post(url, form)
    assert ok.status_code == 302, ok.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.name == "Thủ tục đăng ký khai sinh (sửa đổi)" and draft.channels == [
        "direct",
        "online",
    ]
    assert procedure_current(code="1.001193").version == 1

    admin_client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert procedure_current(code="1.001193").version == 2
    assert ProcedureVersion.objects.get(pk=v1.pk).name == "Thủ tục đăng ký khai sinh"


def test_procedure_page_lists_versions_and_import_export_views(admin_client, v1):
    page = admin_client.get(reverse("admin:catalog_procedure_change", args=[v1.procedure.pk]))
    assert page.status_code == 200 and "Thủ tục đăng ký khai sinh" in page.content.decode()
    exported = admin_client.get(reverse("admin:catalog_procedure_export"))
    assert exported.status_code == 200
    data = json.loads(exported.content)
    assert data == catalog_export()
    data[0]["fees"] = [{"name": "Lệ phí", "amount": 1000}]
    upload = SimpleUploadedFile(
        "thu-tuc.json", json.dumps(data).encode(), content_type="application/json"
    )
    response = admin_client.post(
        reverse("admin:catalog_procedure_import"), {"file": upload, "publish": "on"}, follow=True
    )
    assert "1 phiên bản mới" in response.content.decode()
    assert procedure_current(code="1.001193").fee_total == 1000
    bad = SimpleUploadedFile("x.json", b"{oops", content_type="application/json")
    response = admin_client.post(reverse("admin:catalog_procedure_import"), {"file": bad})
    assert "Tệp JSON không đọc được" in response.content.decode()


def test_admin_lists_and_add_form_render(admin_client, v1):
    procedures = admin_client.get(reverse("admin:catalog_procedure_changelist"))
    assert procedures.status_code == 200
    html = procedures.content.decode()
    assert "Nhập JSON" in html and "Thủ tục đăng ký khai sinh" in html
    versions = admin_client.get(reverse("admin:catalog_procedureversion_changelist"), {"q": "khai"})
    assert versions.status_code == 200 and "Tạo phiên bản mới" in versions.content.decode()
    assert admin_client.get(reverse("admin:catalog_procedureversion_add")).status_code == 200
    assert admin_client.get(reverse("admin:catalog_field_changelist")).status_code == 200


def test_admin_add_creates_the_next_draft_version(admin_client, v1):
    form = {
        "procedure": str(v1.procedure_id),
        "name": "Thủ tục đăng ký khai sinh (dự thảo)",
        "field": str(v1.field_id),
        "level": "commune",
        "time_unit": "same_day",
        "time_value": "0",
        "cutoff": "15:00",
        "fees": "[]",
        "papers": "[]",
        "result_paper": "",
        "legal_basis": "[]",
        "channels": json.dumps(["direct"]),
        "forms": "[]",
        "conditions": "",
        "steps": "",
        "agency": "",
        "decision": "",
        "valid_from": "",
        "note": "",
    }
    response = admin_client.post(reverse("admin:catalog_procedureversion_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = ProcedureVersion.objects.get(procedure=v1.procedure, version=2)
    assert not draft.is_published and draft.name_folded == "thu tuc dang ky khai sinh (du thao)"
    assert procedure_current(code="1.001193").version == 1
