"""Issue 9 point 2: a name typed by an anonymous visitor (a booking through the public API)
reaches the manager's queue exports as text, never as a live formula."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from challenge_helpers import challenge_header
from factories import StaffRoleFactory
from motcua.core import clock
from motcua.org.models import Citizen, Role
from motcua.queueing import services
from motcua.queueing.models import Method

EVIL = '=HYPERLINK("http://evil","x")'


def test_visitor_name_is_not_a_formula_in_queue_exports(at, client, office, counters, svc_a):
    booked = client.post(
        "/api/v1/public/bookings",
        {
            "office": office.code,
            "service": "A",
            "slot_start": clock.local(clock.now()).replace(hour=14, minute=0).isoformat(),
            "id_number": "001085012345",
            "full_name": EVIL,
            "phone": "0912345678",
        },
        content_type="application/json",
        **challenge_header(),  # an anonymous caller solves the proof of work, as a browser does
    )
    assert booked.status_code == 201, booked.content
    visitor = Citizen.objects.get(id_number="001085012345")
    assert visitor.full_name == EVIL  # stored as typed; neutralised only where it is exported
    officer = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user
    ticket = services.ticket_issue(
        office=office, service=svc_a, citizen=visitor, method=Method.QR
    ).ticket
    services.ticket_call_next(counter=counters[0], officer=officer)
    at(clock.now() + timedelta(minutes=3))
    services.ticket_finish(ticket=ticket, officer=officer)

    client.force_login(StaffRoleFactory(unit=office.unit, role=Role.MANAGER).user)
    body = client.get(f"/can-bo/xep-hang/bao-cao/xuat.csv?office={office.pk}")
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert rows[1][3] == "'" + EVIL
    assert not any(c.startswith(("=", "+", "@")) for row in rows for c in row)

    xlsx = client.get(f"/can-bo/xep-hang/bao-cao/xuat.xlsx?office={office.pk}")
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["Lượt phục vụ"]["D2"].value == "'" + EVIL
    formulas = [
        c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
