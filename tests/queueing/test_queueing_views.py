"""Queue pages: counter actions, kiosk/board/ticket pages, voice, the manager report and exports."""

from __future__ import annotations

import io
import re
import shutil
from datetime import timedelta

import pytest

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing import services
from motcua.queueing.models import Method, Status, Ticket

pytestmark = pytest.mark.django_db


def issue(office, svc, citizen, method=Method.QR):
    return services.ticket_issue(office=office, service=svc, citizen=citizen, method=method).ticket


def test_counter_page_call_start_finish_and_receive_link(
    at, client, office, counters, svc_a, citizens, officer
):
    t = issue(office, svc_a, citizens[0])
    client.force_login(officer)
    page = client.get(f"/can-bo/xep-hang/quay/{counters[0].pk}/")
    assert page.status_code == 200 and "Gọi số tiếp theo" in page.content.decode()
    r = client.post(f"/can-bo/xep-hang/quay/{counters[0].pk}/call-next/", follow=True)
    body = r.content.decode()
    assert "Đã gọi số A001" in body and citizens[0].full_name in body
    assert f"/can-bo/ho-so/tiep-nhan/?citizen={citizens[0].id_number}&amp;ticket={t.pk}" in body
    client.post(f"/can-bo/xep-hang/quay/{counters[0].pk}/start/", {"ticket": t.pk})
    client.post(f"/can-bo/xep-hang/quay/{counters[0].pk}/finish/", {"ticket": t.pk})
    t.refresh_from_db()
    assert t.status == Status.DONE and t.officer == officer


def test_counter_page_one_press_ends_the_current_ticket_and_calls_the_next(
    at, client, office, counters, svc_a, citizens, officer
):
    """ "Kết thúc và gọi số tiếp theo" (and "Vắng mặt, gọi số tiếp theo"): the API's one press
    of next from the page; a second submit of the same form (a double click) ends nothing."""
    first, second, third = (issue(office, svc_a, c) for c in citizens[:3])
    client.force_login(officer)
    url = f"/can-bo/xep-hang/quay/{counters[0].pk}"
    client.post(f"{url}/call-next/")
    page = client.get(f"{url}/").content.decode()
    assert "Kết thúc và gọi số tiếp theo" in page and "Vắng mặt, gọi số tiếp theo" in page
    body = client.post(f"{url}/finish-next/", {"ticket": first.pk}, follow=True).content.decode()
    assert "Đã kết thúc số A001 và gọi số A002." in body
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.DONE and second.status == Status.CALLED
    again = client.post(f"{url}/finish-next/", {"ticket": first.pk}, follow=True)
    assert "không còn là số hiện tại của quầy" in again.content.decode()
    second.refresh_from_db()
    assert second.status == Status.CALLED  # the double click ended nothing
    body = client.post(f"{url}/no-show-next/", {"ticket": second.pk}, follow=True).content.decode()
    assert "Đã báo vắng mặt số A002 và gọi số A003." in body
    second.refresh_from_db()
    assert second.status == Status.NO_SHOW
    body = client.post(f"{url}/finish-next/", {"ticket": third.pk}, follow=True).content.decode()
    assert "Đã kết thúc số A003. Hiện không có công dân nào đang chờ." in body
    third.refresh_from_db()
    assert third.status == Status.DONE


def test_counter_page_one_press_from_a_stale_page_ends_nothing_and_calls_nobody(
    at, client, office, counters, svc_a, citizens, officer
):
    """The page showed A001, which was since parked in another tab, or the form of another
    counter's page is posted here: nothing is ended, nobody is called, and the page says so."""
    first, second = (issue(office, svc_a, c) for c in citizens[:2])
    client.force_login(officer)
    url = f"/can-bo/xep-hang/quay/{counters[0].pk}"
    client.post(f"{url}/call-next/")
    client.post(f"{url}/park/", {"ticket": first.pk})
    body = client.post(f"{url}/finish-next/", {"ticket": first.pk}, follow=True).content.decode()
    assert "không còn là số hiện tại của quầy" in body
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.PARKED and second.status == Status.WAITING
    client.post(f"{url}/call-next/")  # A002 current at counter 1
    other = f"/can-bo/xep-hang/quay/{counters[1].pk}"
    body = client.post(f"{other}/no-show-next/", {"ticket": second.pk}, follow=True)
    assert "không còn là số hiện tại của quầy" in body.content.decode()
    second.refresh_from_db()
    assert second.status == Status.CALLED and second.counter_id == counters[0].pk


def test_counter_transfer_via_page(at, client, office, counters, svc_a, svc_b, citizens, officer):
    t = issue(office, svc_a, citizens[0])
    client.force_login(officer)
    client.post(f"/can-bo/xep-hang/quay/{counters[0].pk}/call-next/")
    client.post(
        f"/can-bo/xep-hang/quay/{counters[0].pk}/transfer/",
        {"ticket": t.pk, "to_service": svc_b.pk, "to_counter": counters[1].pk},
    )
    t.refresh_from_db()
    assert t.status == Status.WAITING and t.service == svc_b and t.target_counter == counters[1]


def test_counter_page_refuses_other_units(at, client, counters):
    from factories import StaffRoleFactory

    outsider = StaffRoleFactory(role=Role.RECEPTION).user
    client.force_login(outsider)
    assert client.get(f"/can-bo/xep-hang/quay/{counters[0].pk}/").status_code == 403


def test_public_pages_render(at, client, office, counters, svc_a, citizens):
    t = issue(office, svc_a, citizens[0])
    kiosk = client.get(f"/can-bo/xep-hang/kiosk/{office.code}/").content.decode()
    assert "Lấy số thứ tự" in kiosk and "Hộ tịch" in kiosk and "Ghi nhớ cho những lần sau" in kiosk
    board = client.get(f"/can-bo/xep-hang/bang/{office.code}/").content.decode()
    assert "Quầy 1" in board and "A001" in board
    live = client.get(f"/can-bo/xep-hang/ve/{t.token}/").content.decode()
    assert "A001" in live and "Số người đang chờ trước bạn" in live
    qr = client.get(f"/can-bo/xep-hang/ve/{t.token}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert client.get("/can-bo/xep-hang/ve/not-a-token/").status_code == 404


def test_slip_qr_carries_the_public_address_not_the_request_host(
    at, client, settings, office, svc_a, citizens
):
    import io

    import segno

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": "https://dvc.hadong.hanoi.gov.vn"}
    t = issue(office, svc_a, citizens[0])
    qr = client.get(f"/can-bo/xep-hang/ve/{t.token}/qr.svg", HTTP_HOST="127.0.0.1:8101")
    expected = io.BytesIO()
    url = f"https://dvc.hadong.hanoi.gov.vn/can-bo/xep-hang/ve/{t.token}/"
    segno.make(url, error="m").save(expected, kind="svg", scale=6, border=2, xmldecl=False)
    assert qr.content == expected.getvalue()


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng not installed")
def test_server_voice_wav(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    r = client.get("/can-bo/xep-hang/giong-noi/?so=A015&quay=3")
    assert r.status_code == 200 and r["Content-Type"] == "audio/wav" and r.content[:4] == b"RIFF"
    assert len(list((tmp_path / "voice").glob("*.wav"))) == 4  # one cached clip per phrase part
    assert client.get("/can-bo/xep-hang/giong-noi/?so=A015;rm&quay=3").status_code == 404


def test_report_and_exports(at, client, office, counters, svc_a, citizens, officer):
    from factories import StaffRoleFactory

    t = issue(office, svc_a, citizens[0], method=Method.FACE)
    issue(office, svc_a, citizens[0], method=Method.FACE)  # blocked duplicate
    services.ticket_call_next(counter=counters[0], officer=officer)
    at(clock.now() + timedelta(minutes=4))
    services.ticket_finish(ticket=t, officer=officer)
    client.force_login(officer)
    assert client.get("/can-bo/xep-hang/bao-cao/").status_code == 403  # reception is not a manager
    manager = StaffRoleFactory(unit=office.unit, role=Role.MANAGER).user
    client.force_login(manager)
    page = client.get(f"/can-bo/xep-hang/bao-cao/?office={office.pk}").content.decode()
    assert citizens[0].full_name in page and "Khuôn mặt" in page
    # Served per day: a chart (chart.js) with the same figures in its table.
    assert '<canvas data-chart="chart-data-luot-phuc-vu"' in page
    day = f"{clock.now():%d/%m/%Y}"
    assert re.search(rf'<th scope="row">{day}</th><td>1</td><td>0</td><td>1</td>', page)
    csv_text = client.get(f"/can-bo/xep-hang/bao-cao/xuat.csv?office={office.pk}").content.decode(
        "utf-8-sig"
    )
    lines = csv_text.strip().splitlines()
    assert (
        lines[0].startswith("Ngày,Số thứ tự,Dịch vụ,Công dân")
        and "A001" in lines[1]
        and "Khuôn mặt" in lines[1]
    )
    assert lines[1].endswith(",240")  # four minutes of service
    from openpyxl import load_workbook

    xlsx = client.get(f"/can-bo/xep-hang/bao-cao/xuat.xlsx?office={office.pk}")
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["Lượt phục vụ", "Tổng hợp", "Lượt bị chặn"]
    assert wb["Lượt phục vụ"]["B2"].value == "A001"
    # Vietnamese labels and dd/mm/yyyy in exports (issue 8 B4), not "duplicate" and ISO dates.
    assert [c.value for c in wb["Lượt bị chặn"][2]] == [
        f"{clock.today():%d/%m/%Y}",
        "Lấy trùng số (trả lại số đang có)",
        1,
    ]
    assert lines[1].startswith(f"{clock.today():%d/%m/%Y},A001,")
    assert Ticket.objects.count() == 1
