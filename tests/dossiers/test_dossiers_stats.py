"""Statistics on a handmade set of dossiers, computed in SQL; the API view of the same numbers."""

from __future__ import annotations

from datetime import date

import pytest
from dossiers_helpers import CITIZEN, pay_cash, vn

from factories import FieldFactory, ProcedureVersionFactory
from motcua.core import clock
from motcua.dossiers.selectors import dossier_stats
from motcua.dossiers.services import dossier_act, dossier_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def handmade(office):
    land = FieldFactory(code="dat-dai", name="Đất đai")
    ProcedureVersionFactory(
        procedure__code="1.004227",
        name="Đăng ký biến động đất đai",
        field=land,
        time_unit="working_days",
        time_value=10,
        papers=[],
    )

    def receive(at, procedure="1.001193", unit=None, actor=None, channel="direct", n=[0]):
        n[0] += 1
        with clock.frozen(at):
            return dossier_receive(
                procedure_code=procedure,
                channel=channel,
                citizen={**CITIZEN, "id_number": f"0010850{n[0]:05d}"},
                unit=unit or office.ward,
                actor=None if actor is False else (actor or office.tiepnhan),
            )

    def act(d, action, actor, at, **kw):
        with clock.frozen(at):
            return dossier_act(dossier=d, action=action, actor=getattr(office, actor), **kw)

    def resolve(at_received, at_finish, returned_at=None):
        d = receive(at_received)
        d = act(d, "assign", "tiepnhan", at_received, to_user="chuyenvien")
        d = act(d, "finish", "lanhdao", at_finish)
        if returned_at:
            pay_cash(d, office.tiepnhan, at_finish)
            d = act(d, "return", "tiepnhan", returned_at)
        return d

    t = vn(2026, 3, 10, 9, 0)  # due Friday 13 March 17:00
    resolve(t, vn(2026, 3, 11, 9, 0), vn(2026, 3, 11, 10, 0))  # A early, returned
    resolve(t, vn(2026, 3, 13, 16, 0))  # B on time
    resolve(t, vn(2026, 3, 16, 9, 0))  # C late
    d = receive(t)  # D overdue on 20 March
    act(d, "assign", "tiepnhan", t, to_user="chuyenvien")
    receive(vn(2026, 3, 19, 9, 0))  # E within time
    d = receive(t)  # F waiting for a supplement: not overdue
    act(d, "request_supplement", "tiepnhan", vn(2026, 3, 10, 10, 0), reason="Thiếu giấy tờ")
    receive(t, actor=False, channel="online")  # G online, not yet accepted (actor None below)
    d = receive(t, channel="online", actor=False)
    act(d, "refuse", "tiepnhan", vn(2026, 3, 10, 10, 0), reason="Sai thẩm quyền")  # H
    receive(t, procedure="1.004227")  # I land, within time (10 days)
    receive(t, unit=office.other, actor=office.tiepnhan_khac)  # J other ward, overdue
    receive(vn(2026, 2, 10, 9, 0))  # K February, overdue by 20 March
    return office


def row(rows, key):
    return next(r for r in rows if r["key"] == key)


def test_stats_per_unit(handmade, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        rows = dossier_stats(
            date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), now=vn(2026, 3, 20, 12, 0)
        )
    ward = row(rows, "WARD1")
    assert ward["name"] == "Phường Hà Đông"
    expected = {
        "received": 9,
        "online_pending": 1,
        "refused": 1,
        "resolved": 3,
        "resolved_early": 1,
        "resolved_on_time": 1,
        "resolved_late": 1,
        "in_progress": 4,
        "in_progress_overdue": 1,
        "in_progress_on_time": 3,
        "returned": 1,
        "withdrawn": 0,
        "stopped": 0,
        "on_time_pct": 66.7,
    }
    assert {k: ward[k] for k in expected} == expected
    other = row(rows, "WARD2")
    assert (other["received"], other["in_progress_overdue"], other["on_time_pct"]) == (1, 1, None)


def test_stats_filters_and_groups(handmade):
    now = vn(2026, 3, 20, 12, 0)
    by_field = dossier_stats(
        unit=handmade.ward, date_from=date(2026, 3, 1), group_by="field", now=now
    )
    assert {r["key"]: r["received"] for r in by_field} == {"ho-tich": 8, "dat-dai": 1}
    by_month = dossier_stats(unit=handmade.ward, group_by="month", now=now)
    assert [(r["key"], r["received"]) for r in by_month] == [("2026-02", 1), ("2026-03", 9)]
    assert by_month[0]["name"] == "Tháng 02/2026" and by_month[0]["in_progress_overdue"] == 1
    by_proc = dossier_stats(date_to=date(2026, 3, 15), group_by="procedure", now=now)
    # February K, seven at Hà Đông before the 15th (E came on the 19th; I is land) and J at Dương Nội.
    assert row(by_proc, "1.001193")["received"] == 9
    assert row(by_proc, "1.004227")["name"] == "Đăng ký biến động đất đai"


def test_stats_api(handmade, client):
    with clock.frozen(vn(2026, 3, 20, 12, 0)):
        r = client.get("/api/v1/stats/dossiers?unit=WARD1&from=2026-03-01&to=2026-03-31")
    assert r.status_code == 200
    body = r.json()
    assert body["from"] == "2026-03-01" and body["group_by"] == "unit"
    assert [(x["key"], x["received"], x["on_time_pct"]) for x in body["rows"]] == [
        ("WARD1", 9, 66.7)
    ]
    r = client.get("/api/v1/stats/dossiers?from=03/2026")
    assert r.status_code == 422 and r.json()["code"] == "invalid_date"
    assert (
        client.get("/api/v1/stats/dossiers?group_by=officer").json()["code"] == "invalid_group_by"
    )
