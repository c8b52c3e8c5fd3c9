"""Point 6 for home visits: the visit's events in the dossier's timeline and the public lookup,
and visits per officer on the management dashboard."""

from __future__ import annotations

import base64
import io
from datetime import date, datetime, timedelta

from homeservice_helpers import OLD_ID, book_kwargs
from PIL import Image

from motcua.core import clock
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers.models import Dossier
from motcua.homeservice import services
from motcua.homeservice.selectors import visits_per_officer


def _png_b64() -> str:
    buf = io.BytesIO()
    Image.new("RGBA", (60, 30), (0, 0, 0, 255)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 17, hour, minute, tzinfo=clock.VN_TZ)


def _visit_with_history(home):  # type: ignore[no-untyped-def]
    """Booked, assigned, no one home, rescheduled to the afternoon, assigned again, arrived,
    received with a signature, appraised, completed."""
    visit = services.visit_book(**book_kwargs(home))
    steps = [
        (7, "assign", home.quanly, {"officer": "tainha"}),
        (9, "arrive", home.tainha, {}),
        (9, "no_one_home", home.tainha, {"note": "Gọi điện không ai nghe"}),
        (10, "reschedule", home.tainha, {"date": "2026-11-17", "half_day": "afternoon"}),
        (11, "assign", home.quanly, {"officer": "tainha"}),
        (14, "arrive", home.tainha, {}),
        (14, "receive", home.tainha, {"papers": [0], "signature": _png_b64()}),
        (15, "appraise", home.tainha, {"checklist": {"Tờ khai": True}, "notes": "Đủ"}),
        (16, "complete", home.tainha, {}),
    ]
    for i, (hour, action, actor, params) in enumerate(steps):
        clock.set_frozen(_at(hour, i))
        services.visit_act(code=visit.code, action=action, key=f"k{i}", actor=actor,
                           params=params)  # fmt: skip
    visit.refresh_from_db()
    return visit


def test_staff_timeline_shows_every_visit_event_in_vietnamese_in_order(home):
    visit = _visit_with_history(home)
    dossier = Dossier.objects.get()
    rows = dossier_selectors.dossier_timeline(dossier=dossier)
    labels = [r["action_label"] for r in rows]
    assert labels[:4] == [
        "Đặt lịch phục vụ tại nhà",
        "Phân công cán bộ phục vụ tại nhà",
        "Cán bộ đã đến nhà công dân",
        "Cán bộ đến nhưng không có người ở nhà",
    ]
    for label in ("Hẹn lại ngày phục vụ tại nhà", "Tiếp nhận hồ sơ tại nhà", "Thẩm định tại nhà",
                  "Hoàn thành lượt phục vụ tại nhà"):  # fmt: skip
        assert label in labels
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    # The dossier's own reception is there too, once, between the arrival and the appraisal.
    assert [r["action"] for r in rows].count("receive") == 1
    resched = next(r for r in rows if r["action"] == "home_reschedule")
    assert resched["note"].startswith("Buổi chiều 17/11/2026")
    assign = next(r for r in rows if r["action"] == "home_assign")
    assert "Cán bộ tainha" in assign["note"] and assign["actor"]
    assert visit.code in rows[0]["status_label"]
    # Form 05 (the control slip of hand-offs) keeps the dossier's own moves only.
    slip = dossier_selectors.dossier_control_slip(dossier=dossier)
    assert len(slip) == 2 and slip[1]["action"] == "Chọn cách nhận kết quả"
    assert not any("tại nhà" in r["action"] for r in slip)


def test_staff_page_and_api_show_the_visit_events(home, client):
    _visit_with_history(home)
    dossier = Dossier.objects.get()
    client.force_login(home.tainha)
    html = client.get(f"/can-bo/ho-so/{dossier.code}/").content.decode()
    assert "Cán bộ đến nhưng không có người ở nhà" in html
    assert "Hẹn lại ngày phục vụ tại nhà" in html
    client.force_login(home.quanly)
    body = client.get(f"/api/v1/dossiers/{dossier.code}").json()
    actions = [e["action"] for e in body["events"]]
    assert "home_no_one_home" in actions and "home_book" in actions


def test_public_lookup_shows_visit_events_without_names_or_notes(home, client):
    _visit_with_history(home)
    dossier = Dossier.objects.get()
    view = dossier_selectors.dossier_public_view(code=dossier.code, verify=OLD_ID[-4:])
    labels = [e["action_label"] for e in view["timeline"]]
    assert "Cán bộ đến nhưng không có người ở nhà" in labels
    assert "Tiếp nhận hồ sơ tại nhà" in labels
    for row in view["timeline"]:
        assert set(row) == {"at", "action", "action_label", "status", "status_label"}
    api = client.get(f"/api/v1/public/dossiers/{dossier.code}", {"verify": OLD_ID[-4:]}).json()
    text = str(api["timeline"])
    assert "Gọi điện không ai nghe" not in text and "tainha" not in text
    assert "Đặt lịch phục vụ tại nhà" in text
    page = client.post("/tra-cuu/", {"code": dossier.code, "verify": OLD_ID[-4:]})
    assert "Cán bộ đến nhưng không có người ở nhà" in page.content.decode()


def test_visits_per_officer_counts_outcomes_and_trips(home):
    _visit_with_history(home)
    clock.set_frozen(_at(6, 40))
    other = services.visit_book(**book_kwargs(home, id_number="001050123456",
                                              full_name="Trần Văn Bình"))  # fmt: skip
    services.visit_act(code=other.code, action="assign", key="o1", actor=home.quanly,
                       params={"officer": "tainha2"})  # fmt: skip
    services.visit_act(code=other.code, action="no_one_home", key="o2", actor=home.tainha2)
    day = date(2026, 11, 17)
    rows = {r["username"]: r for r in visits_per_officer([home.ward], day, day)}
    assert rows["tainha"] == {
        "officer": "Cán bộ tainha", "username": "tainha", "total": 1, "received": 1,
        "completed": 1, "no_one_home": 1, "planned": 0, "success_pct": 50.0,
    }  # fmt: skip
    assert rows["tainha2"]["no_one_home"] == 1 and rows["tainha2"]["success_pct"] == 0.0
    # Another unit's figures are not counted; None counts every unit.
    assert visits_per_officer([home.other], day, day) == []
    assert len(visits_per_officer(None, day, day)) == 2
    assert visits_per_officer([home.ward], day + timedelta(1), day + timedelta(2)) == []


def test_dashboard_shows_visits_per_officer(home, client):
    _visit_with_history(home)
    client.force_login(home.quanly)
    html = client.get("/can-bo/bao-cao/", {"from": "01/11/2026", "to": "30/11/2026"})
    text = html.content.decode()
    assert "Phục vụ tại nhà theo cán bộ" in text
    section = text[text.index('id="tai-nha"') :]
    section = section[: section.index("</section>")]
    assert "Cán bộ tainha" in section and "50,0%" in section


def test_received_at_home_the_result_comes_home_unless_asked_otherwise(home):
    from motcua.delivery.models import Delivery

    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="a", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    services.visit_act(code=visit.code, action="receive", key="r", actor=home.tainha,
                       params={"papers": [0], "delivery_method": "post"})  # fmt: skip
    delivery = Delivery.objects.get()
    assert (delivery.method, delivery.address, delivery.recipient_name) == (
        "post", visit.address, visit.full_name,
    )  # fmt: skip


def test_visits_to_remind_lists_the_days_visits_still_to_happen(home):
    from motcua.homeservice.selectors import visits_to_remind

    waiting = services.visit_book(**book_kwargs(home))
    gone = services.visit_book(**book_kwargs(home, id_number="001050123456",
                                             full_name="Trần Văn Bình"))  # fmt: skip
    services.visit_act(code=gone.code, action="cancel", key="c", actor=home.quanly,
                       params={"note": "Công dân báo bận"})  # fmt: skip
    assert [v.code for v in visits_to_remind(date(2026, 11, 17))] == [waiting.code]
    assert list(visits_to_remind(date(2026, 11, 18))) == []


def test_the_desk_records_the_callers_channels_with_their_consent(home, client):
    """The guidance desk asks the caller's channels with their own consent, like the portal form
    (recorded in the visit's transaction, by the officer who read it out)."""
    from motcua.homeservice.models import HomeVisit
    from motcua.notifications.models import ContactPreference

    client.force_login(home.tiepnhan)
    page = client.get("/can-bo/tai-nha/dat-lich/").content.decode()
    assert 'name="notify_consent"' in page and 'name="notify_channels"' in page
    data = {
        "unit": home.ward.code, "procedure": home.bttx.procedure.code, "eligibility": "social",
        "full_name": "Nguyễn Thị Hoa", "id_number": "001040123456", "phone": "0912345678",
        "address": "Số 5 ngõ 12", "date": "2026-11-17", "half_day": "afternoon",
    }  # fmt: skip
    # E-mail chosen with consent but no address: refused, nothing booked.
    answer = client.post(
        "/can-bo/tai-nha/dat-lich/", {**data, "notify_consent": "on", "notify_channels": "email"}
    )
    assert (
        answer.status_code == 400 and "Vui lòng nhập địa chỉ thư điện tử" in answer.content.decode()
    )
    assert not HomeVisit.objects.exists()
    answer = client.post(
        "/can-bo/tai-nha/dat-lich/",
        {**data, "notify_consent": "on", "notify_channels": ["email", "zalo"],
         "notify_email": "hoa@example.vn"},
    )  # fmt: skip
    assert answer.status_code == 302
    visit = HomeVisit.objects.get()
    pref = ContactPreference.objects.get(citizen=visit.citizen)
    assert pref.channels == ["email", "zalo"] and pref.email == "hoa@example.vn"
    assert pref.consent_source == "booking" and pref.recorded_by == home.tiepnhan


def test_the_desk_without_consent_records_no_channels(home, client):
    from motcua.homeservice.models import HomeVisit
    from motcua.notifications.models import ContactPreference

    client.force_login(home.tiepnhan)
    answer = client.post(
        "/can-bo/tai-nha/dat-lich/",
        {"unit": home.ward.code, "procedure": home.bttx.procedure.code, "eligibility": "social",
         "full_name": "Nguyễn Thị Hoa", "id_number": "001040123456", "phone": "0912345678",
         "address": "Số 5 ngõ 12", "date": "2026-11-17", "half_day": "afternoon",
         "notify_channels": ["email"]},
    )  # fmt: skip
    assert answer.status_code == 302 and HomeVisit.objects.exists()
    assert not ContactPreference.objects.exists()


def test_public_lookup_plain_sql_matches_the_orm_read_with_visit_events(home):
    """The lookup's one statement for the events and the visit's rows gives the rows the ORM
    read gave: the visit's events merged by time, the dossier's own event first at a tie."""
    from public_lookup_reference import same_answer

    _visit_with_history(home)
    dossier = Dossier.objects.get()
    view = same_answer(dossier.code, OLD_ID[-4:])
    assert any(r["action"] == "home_no_one_home" for r in view["timeline"])
    assert not any(r["action"] == "home_reorder" for r in view["timeline"])
