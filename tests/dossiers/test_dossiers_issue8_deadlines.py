"""Issue 8 A1/A2: an apology never makes a late dossier on time; one supplement request; the
clock rule while a dossier waits for papers, on the real 2026 calendar; due moments that land
on a closing moment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dossiers_helpers import CITIZEN, vn

from motcua.core import clock
from motcua.core.errors import PermissionDenied, ValidationFailed
from motcua.documents.dossier_forms import dossier_form_context
from motcua.dossiers.deadlines import calendar, closing_at_or_after
from motcua.dossiers.selectors import dossier_public_view, dossier_stats
from motcua.dossiers.services import apology_delegation_grant, dossier_act, dossier_receive
from motcua.reports import selectors as reports
from motcua.reports.selectors import Period

pytestmark = pytest.mark.django_db

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def receive(office, at, procedure="1.001193"):
    with clock.frozen(at):
        return dossier_receive(
            procedure_code=procedure,
            channel="direct",
            citizen=CITIZEN,
            unit=office.ward,
            actor=office.tiepnhan,
        )


def act(office, dossier, action, actor, at, **params):
    with clock.frozen(at):
        return dossier_act(dossier=dossier, action=action, actor=getattr(office, actor), **params)


# --- A1: the apology --------------------------------------------------------------------------


def test_finished_after_the_legal_due_but_before_the_apology_date_is_late_everywhere(
    office, client
):
    office.lanhdao.full_name, office.lanhdao.title = "Phạm Thị Lãnh", "Chủ tịch UBND phường"
    office.lanhdao.save()
    d = receive(office, vn(2026, 3, 10, 9, 0))  # 3 working days → Friday 13 March 17:00
    legal_due = d.due_at
    assert legal_due == vn(2026, 3, 13, 17, 0)
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 9, 30), to_user="chuyenvien")
    # Whoever clicks does not sign an apology in the agency's name.
    for who in ("tiepnhan", "chuyenvien"):
        with pytest.raises(PermissionDenied):
            act(office, d, "extend", who, vn(2026, 3, 13, 9, 0), note="Chậm", new_date="2026-03-18")
    # The leader delegates the specialist, in writing: the letter is then signed in her name.
    with clock.frozen(vn(2026, 3, 12, 8, 0)):
        delegation = apology_delegation_grant(
            leader=office.lanhdao,
            delegate=office.chuyenvien,
            unit=office.ward,
            document="Quyết định số 12/QĐ-UBND ngày 12/3/2026",
        )
    client.force_login(office.chuyenvien)
    with clock.frozen(vn(2026, 3, 13, 9, 0)):
        page = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Xin lỗi và hẹn lại ngày trả" in page  # the delegate is offered the action
    d = act(
        office,
        d,
        "extend",
        "chuyenvien",
        vn(2026, 3, 13, 10, 0),
        note="Chờ xác minh tại nơi cư trú",
        new_date="2026-03-18",
    )
    assert d.due_at == legal_due  # the legal due moment does not move
    assert d.appointment_at == vn(2026, 3, 18, 17, 0)
    letter = d.extensions.get()
    assert (letter.signed_by, letter.issued_by, letter.delegation) == (
        office.lanhdao,
        office.chuyenvien,
        delegation,
    )
    ctx = dossier_form_context(dossier=d, code="04")
    assert ctx["signer"] == "Phạm Thị Lãnh" and ctx["signer_title"] == "Chủ tịch UBND phường"
    # Result on Monday 16 March: after the legal due, before the appointment.
    d = act(office, d, "finish", "lanhdao", vn(2026, 3, 16, 10, 0))
    assert d.result_timeliness == "late"
    # Dashboard.
    summary = reports.kpi_summary(period=MARCH)
    assert (summary["resolved"], summary["on_time"]) == (1, 0)
    # Decision 766, indicator 2.1.
    progress = reports.progress_766_counts(period=MARCH)
    assert (progress["handled"], progress["on_time"]) == (1, 0)
    assert reports.index_766(period=MARCH)["rows"][1]["score"] == 0.0
    # Public statistics (the API behind /tinh-hinh-giai-quyet/) and the page itself.
    (row,) = dossier_stats(unit=office.ward, date_from=date(2026, 3, 1))
    assert (row["resolved_late"], row["on_time_pct"]) == (1, 0.0)
    body = client.get("/api/v1/stats/dossiers?unit=WARD1&from=2026-03-01&to=2026-03-31").json()
    assert body["rows"][0]["resolved_late"] == 1
    response = client.get(
        "/tinh-hinh-giai-quyet/",
        {"tu": "2026-03-01", "den": "2026-03-31", "don-vi": office.ward.pk},
    )
    (page_row,) = response.context["rows"]
    assert (page_row["resolved_late"], page_row["on_time_pct"]) == (1, 0.0)
    # The lookup shows both dates and the late result.
    view = dossier_public_view(code=d.code, verify=CITIZEN["id_number"][-4:])
    assert view["due_at"] == legal_due and view["appointment_at"] == d.appointment_at
    assert view["result_timeliness"] == "late"
    api = client.get(
        f"/api/v1/public/dossiers/{d.code}", {"verify": CITIZEN["id_number"][-4:]}
    ).json()
    assert api["due_at"] == "2026-03-13T17:00:00+07:00"
    assert api["appointment_at"] == "2026-03-18T17:00:00+07:00"
    page = client.post("/tra-cuu/", {"code": d.code, "verify": CITIZEN["id_number"][-4:]})
    html = page.content.decode()
    assert 'id="appointment-date">17:00 18/03/2026' in html
    assert 'id="due-date">17:00 13/03/2026' in html


def test_a_revoked_or_expired_delegation_no_longer_lets_the_official_apologise(office):
    d = receive(office, vn(2026, 3, 10, 9, 0))
    with clock.frozen(vn(2026, 3, 2, 8, 0)):
        apology_delegation_grant(
            leader=office.lanhdao,
            delegate=office.chuyenvien,
            unit=office.ward,
            document="Giấy ủy quyền số 3/GUQ",
            valid_to=date(2026, 3, 11),
        )
    with pytest.raises(PermissionDenied):
        act(
            office,
            d,
            "extend",
            "chuyenvien",
            vn(2026, 3, 12, 9, 0),
            note="x",
            new_date="2026-03-20",
        )
    with pytest.raises(PermissionDenied) as exc:
        apology_delegation_grant(
            leader=office.tiepnhan, delegate=office.chuyenvien, unit=office.ward, document="x"
        )
    assert exc.value.code == "not_leader"


# --- A2: one supplement request ---------------------------------------------------------------


def test_a_second_supplement_request_needs_a_reason_is_flagged_and_counted(office, client):
    d = receive(office, vn(2026, 3, 10, 9, 0))
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 9, 30), to_user="chuyenvien")
    d = act(
        office,
        d,
        "request_supplement",
        "chuyenvien",
        vn(2026, 3, 10, 10, 0),
        note="Thiếu bản sao giấy chứng sinh",
    )
    assert d.supplement_requests == 1 and not d.repeat_supplement
    d = act(office, d, "resubmit", "tiepnhan", vn(2026, 3, 11, 9, 0))
    with pytest.raises(ValidationFailed) as exc:
        act(
            office,
            d,
            "request_supplement",
            "chuyenvien",
            vn(2026, 3, 11, 10, 0),
            note="Thiếu xác nhận cư trú",
        )
    assert exc.value.code == "repeat_supplement_reason_required"
    d.refresh_from_db()
    assert d.supplement_requests == 1 and d.status == 4  # nothing saved by the refusal
    d = act(
        office,
        d,
        "request_supplement",
        "chuyenvien",
        vn(2026, 3, 11, 10, 0),
        note="Thiếu xác nhận cư trú",
        repeat_reason="Giấy chứng sinh nộp bổ sung ghi sai nơi sinh",
    )
    assert d.supplement_requests == 2 and d.repeat_supplement
    assert "Giấy chứng sinh nộp bổ sung ghi sai nơi sinh" in d.events.last().note
    d = act(office, d, "resubmit", "tiepnhan", vn(2026, 3, 12, 9, 0))
    d = act(office, d, "finish", "lanhdao", vn(2026, 3, 13, 9, 0))
    assert d.result_timeliness in ("early", "on_time")  # on time by the calendar
    # Decision 766 counts it as not on time, and the dashboard counts it.
    progress = reports.progress_766_counts(period=MARCH)
    assert progress == {"handled": 1, "on_time": 0, "repeat_supplement": 1}
    assert reports.kpi_summary(period=MARCH)["repeat_supplement"] == 1
    assert reports.index_766(period=MARCH)["counts"]["repeat_supplement"] == 1
    # The dossier page shows the flag and the reason.
    client.force_login(office.lanhdao)
    html = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Yêu cầu bổ sung nhiều lần" in html and "ghi sai nơi sinh" in html


# --- A2: the clock while waiting for papers (Decree 118/2025), real 2026 calendar --------------


def test_incomplete_at_reception_restarts_the_full_time_when_papers_come(office):
    # 5 working days from Tuesday 10 Feb 2026 (Tết 16–20 Feb off) → Tuesday 24 Feb.
    d = receive(office, vn(2026, 2, 10, 9, 0), procedure="2.000635")
    assert d.due_at == vn(2026, 2, 24, 17, 0)
    # Reception finds a paper missing before passing the dossier on (status 2, step reception).
    d = act(
        office,
        d,
        "request_supplement",
        "tiepnhan",
        vn(2026, 2, 13, 15, 0),
        note="Thiếu tờ khai theo mẫu",
    )
    d = act(office, d, "resubmit", "tiepnhan", vn(2026, 2, 25, 9, 0))
    # The time limit runs from the complete file: 5 working days after Wednesday 25 Feb
    # (26, 27 Feb, 2, 3, 4 March) → Wednesday 4 March, not Friday 27 Feb.
    assert d.due_at == vn(2026, 3, 4, 17, 0)


def test_asked_during_processing_the_used_time_counts_and_the_rest_resumes(office):
    d = receive(office, vn(2026, 2, 10, 9, 0), procedure="2.000635")
    d = act(office, d, "assign", "tiepnhan", vn(2026, 2, 10, 10, 0), to_user="chuyenvien")
    d = act(
        office,
        d,
        "request_supplement",
        "chuyenvien",
        vn(2026, 2, 13, 15, 0),
        note="Thiếu bản sao trích lục",
    )
    d = act(office, d, "resubmit", "tiepnhan", vn(2026, 2, 25, 9, 0))
    # Left at the request: 2 hours on Friday 13 Feb, Monday 23 and Tuesday 24 Feb. From
    # Wednesday 25 Feb 09:00 that ends on Friday 27 Feb during the day → its closing moment.
    assert d.due_at == vn(2026, 2, 27, 17, 0)


# --- A2: a recomputed due moment lands on a closing moment, never earlier ---------------------


def test_pause_and_resume_with_fractions_of_a_second_lands_on_17_00_00(office):
    d = receive(office, vn(2026, 3, 10, 9, 0))  # due Friday 13 March 17:00
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 9, 30), to_user="chuyenvien")
    paused = vn(2026, 3, 11, 10, 15, 23) + timedelta(microseconds=370000)
    d = act(office, d, "request_supplement", "chuyenvien", paused, note="Thiếu giấy tờ")
    before = d.due_at
    d = act(office, d, "resubmit", "tiepnhan", vn(2026, 3, 16, 10, 15, 23))
    # Old arithmetic: the truncated remaining time put the due moment at 16:59:59.63.
    assert d.due_at == vn(2026, 3, 18, 17, 0)
    assert d.due_at.microsecond == 0 and d.due_at > before
    d = act(office, d, "request_supplement", "chuyenvien", vn(2026, 3, 16, 14, 0), note="x",
            repeat_reason="Giấy tờ mới nộp bị mờ")  # fmt: skip
    d = act(office, d, "resubmit", "tiepnhan", vn(2026, 3, 17, 8, 0))
    # 2.x working days left resume in the morning: they end mid-day → that day's closing.
    local = clock.local(d.due_at)
    assert (local.hour, local.minute, local.second, local.microsecond) == (17, 0, 0, 0)
    assert d.due_at >= vn(2026, 3, 18, 17, 0)


def test_closing_at_or_after_skips_days_off_on_the_real_calendar(office):
    cal = calendar(office.ward)
    assert closing_at_or_after(cal, vn(2026, 2, 13, 17, 0)) == vn(2026, 2, 13, 17, 0)
    assert closing_at_or_after(cal, vn(2026, 2, 13, 17, 0, 1)) == vn(2026, 2, 23, 17, 0)  # Tết
    assert closing_at_or_after(cal, vn(2026, 4, 30, 9, 0)) == vn(2026, 5, 4, 17, 0)  # 30/4, 1/5
    assert closing_at_or_after(cal, vn(2026, 3, 18, 11, 30)) == vn(2026, 3, 18, 17, 0)


def test_the_migration_gives_extended_dossiers_their_legal_due_back(office):
    import importlib

    from django.apps import apps

    from motcua.dossiers.models import Dossier, Extension

    migration = importlib.import_module(
        "motcua.dossiers.migrations.0003_appointment_supplements_delegation"
    )
    d = receive(office, vn(2026, 3, 10, 9, 0))
    # A row as the old code left it: the apology replaced the due moment, the late result
    # was classified on time against the new date.
    Extension.objects.create(
        dossier=d,
        number=1,
        reason="Chờ xác minh",
        previous_due_at=vn(2026, 3, 13, 17, 0),
        new_due_at=vn(2026, 3, 18, 17, 0),
        issued_at=vn(2026, 3, 12, 9, 0),
    )
    Dossier.objects.filter(pk=d.pk).update(
        due_at=vn(2026, 3, 18, 17, 0),
        appointment_at=None,
        result_ready_at=vn(2026, 3, 16, 10, 0),
        result_timeliness="early",
    )
    migration._legal_due_back(apps, None)
    d.refresh_from_db()
    assert d.due_at == vn(2026, 3, 13, 17, 0) and d.appointment_at == vn(2026, 3, 18, 17, 0)
    assert d.result_timeliness == "late"
