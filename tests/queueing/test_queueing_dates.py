"""Issue 8 B4: the guidance desk and the queue report read and show dates as dd/mm/yyyy."""

from __future__ import annotations

from datetime import date

import pytest

from factories import StaffRoleFactory
from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.models import Authorisation

pytestmark = pytest.mark.django_db

PROXY = {
    "agent_id": "001085099001",
    "agent_name": "Lê Văn Đến",
    "principal_id": "001190099002",
    "principal_name": "Phạm Thị Ủy",
    "document": "Giấy ủy quyền số 7/2026",
}


def test_desk_reads_the_authorisation_end_as_day_month_year(at, client, office, svc_a, officer):
    client.force_login(officer)
    page = client.get("/can-bo/xep-hang/huong-dan/").content.decode()
    assert 'type="date"' not in page and 'placeholder="dd/mm/yyyy"' in page
    end = date(clock.today().year + 1, 2, 3)  # 03/02: the 3rd of February, not the 2nd of March
    form = {"office": office.code, "service": svc_a.pk, **PROXY}
    r = client.post("/can-bo/xep-hang/huong-dan/uy-quyen/", {**form, "valid_to": f"{end:%d/%m/%Y}"})
    assert r.status_code in (200, 302)
    assert Authorisation.objects.get().valid_to == end


def test_desk_explains_a_date_that_does_not_exist(at, client, office, svc_a, officer):
    client.force_login(officer)
    form = {"office": office.code, "service": svc_a.pk, **PROXY, "valid_to": "31/02/2027"}
    r = client.post("/can-bo/xep-hang/huong-dan/uy-quyen/", form, follow=True)
    assert "nhập theo dạng ngày/tháng/năm (dd/mm/yyyy)" in r.content.decode()
    assert not Authorisation.objects.exists()


def test_queue_report_filters_take_and_show_day_first_dates(at, client, office):
    client.force_login(StaffRoleFactory(unit=office.unit, role=Role.MANAGER).user)
    html = client.get(
        "/can-bo/xep-hang/bao-cao/", {"office": office.pk, "from": "03/02/2026", "to": "04/02/2026"}
    ).content.decode()
    assert 'value="03/02/2026"' in html and 'value="04/02/2026"' in html
    assert 'type="date"' not in html
    # Links and API clients with ISO dates keep working.
    html = client.get(
        "/can-bo/xep-hang/bao-cao/", {"office": office.pk, "from": "2026-02-03", "to": "2026-02-04"}
    ).content.decode()
    assert 'value="03/02/2026"' in html
