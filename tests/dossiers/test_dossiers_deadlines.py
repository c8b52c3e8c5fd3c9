"""Deadlines: due on receipt, pauses across Tết, apology letters, step shares, warnings, same-day duty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dossiers_helpers import CITIZEN, vn

from motcua.core import clock
from motcua.dossiers.deadlines import calendar, step_shares
from motcua.dossiers.models import Extension, StepShare
from motcua.dossiers.selectors import dossier_worklist, step_warning, warning_level
from motcua.dossiers.services import DeadlinePassed, dossier_act, dossier_receive
from motcua.dossiers.workflow import Status

pytestmark = pytest.mark.django_db


def receive(office, at, procedure="1.001193", **kw):
    with clock.frozen(at):
        return dossier_receive(
            procedure_code=procedure,
            channel="direct",
            citizen=CITIZEN,
            unit=office.ward,
            actor=office.tiepnhan,
            **kw,
        )


def act(office, dossier, action, actor, at, **params):
    with clock.frozen(at):
        return dossier_act(dossier=dossier, action=action, actor=getattr(office, actor), **params)


def local_date(dt):
    return clock.local(dt).date().isoformat()


def test_due_on_receipt_skips_tet(office):
    # 5 working days from Friday 13 Feb 2026: Tết 16–20 Feb is off → Friday 27 Feb.
    d = receive(office, vn(2026, 2, 13, 9, 0), procedure="2.000635")
    assert local_date(d.due_at) == "2026-02-27"
    assert d.code.endswith("-260213-0001")


def test_supplement_before_tet_resubmitted_after_recomputes_due(office):
    d = receive(
        office, vn(2026, 2, 10, 9, 0), procedure="2.000635"
    )  # due Tuesday 24 Feb (Tết in between)
    assert local_date(d.due_at) == "2026-02-24"
    d = act(office, d, "assign", "tiepnhan", vn(2026, 2, 10, 10, 0), to_user="chuyenvien")
    cal = calendar(office.ward)
    paused_at = vn(2026, 2, 12, 9, 0)  # Thursday before Tết
    expected_remaining = cal.working_time_between(paused_at, d.due_at)
    d = act(
        office, d, "request_supplement", "chuyenvien", paused_at, reason="Thiếu bản sao giấy tờ"
    )
    assert d.status == Status.SUPPLEMENT and d.paused_at == paused_at
    assert d.remaining_seconds == int(expected_remaining.total_seconds())
    # While paused the dossier is neither overdue nor due soon, whatever the date.
    with clock.frozen(vn(2026, 3, 20, 9, 0)):
        assert warning_level(d) == ""
        assert not dossier_worklist(user=office.lanhdao, kind="overdue").exists()
        assert list(dossier_worklist(user=office.lanhdao, kind="supplement")) == [d]
    resumed = vn(2026, 2, 25, 9, 0)  # Wednesday after Tết
    d = act(office, d, "resubmit", "tiepnhan", resumed)
    assert d.status == Status.PROCESSING and d.paused_at is None and d.remaining_seconds is None
    assert cal.working_time_between(resumed, d.due_at) == expected_remaining
    # 3 working days and 6 hours were left (Thu 12 from 09:00, Fri 13, Mon 23, Tue 24): → Monday 2 March.
    assert local_date(d.due_at) == "2026-03-02"
    assert d.original_due_at < d.due_at
    assert d.paused_seconds == int((resumed - paused_at).total_seconds())
    events = list(d.events.values_list("action", "due_at"))
    assert events[-1] == ("resubmit", d.due_at)


def test_extension_only_before_the_due_moment_and_later_date(office):
    d = receive(
        office, vn(2026, 4, 27, 9, 0)
    )  # Monday 27 April (observed Hùng Kings) → counts from 28th
    due = d.due_at
    with pytest.raises(Exception) as exc:
        act(
            office,
            d,
            "extend",
            "lanhdao",
            vn(2026, 4, 28, 9, 0),
            reason="Chờ xác minh",
            new_date="2026-04-20",
        )
    assert exc.value.code == "new_due_not_later"
    d = act(
        office,
        d,
        "extend",
        "lanhdao",
        clock.local(due) - timedelta(hours=1),
        reason="Cần xác minh thêm tại nơi cư trú",
        new_date="2026-05-08",
    )
    # The apology gives the citizen a new appointment; the legal due moment does not move.
    assert local_date(d.appointment_at) == "2026-05-08"
    assert d.due_at == due and d.original_due_at == due
    ext = Extension.objects.get(dossier=d)
    assert (ext.number, ext.previous_due_at, ext.reason) == (
        1,
        due,
        "Cần xác minh thêm tại nơi cư trú",
    )
    assert d.events.last().action == "extend"
    with pytest.raises(DeadlinePassed):
        act(
            office,
            d,
            "extend",
            "lanhdao",
            d.appointment_at + timedelta(minutes=1),
            reason="Trễ",
            new_date="2026-05-20",
        )
    assert Extension.objects.filter(dossier=d).count() == 1


def test_late_result_is_classified_late_and_early_on_time(office):
    d = receive(office, vn(2026, 3, 10, 9, 0))  # due Friday 13 March 17:00
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 9, 30), to_user="chuyenvien")
    d = act(
        office, d, "submit_for_approval", "chuyenvien", vn(2026, 3, 16, 9, 0), to_user="lanhdao"
    )
    closed = d.events.last()
    assert (closed.closed_step, closed.closed_step_timeliness) == ("specialist", "late")
    d = act(office, d, "finish", "lanhdao", vn(2026, 3, 16, 10, 0))
    assert d.result_timeliness == "late"
    d2 = receive(office, vn(2026, 3, 10, 9, 0))
    d2 = act(office, d2, "assign", "tiepnhan", vn(2026, 3, 10, 9, 30), to_user="chuyenvien")
    d2 = act(office, d2, "finish", "lanhdao", vn(2026, 3, 13, 16, 0))
    assert d2.result_timeliness == "on_time"


def test_step_shares_give_each_step_its_deadline(office):
    received = vn(2026, 3, 10, 7, 30)
    d = receive(office, received)
    cal = calendar(office.ward)
    # The whole time available: from receipt to Friday's closing, in office hours.
    total = cal.working_time_between(received, d.due_at)
    assert d.allowed_seconds == total.total_seconds() and total >= timedelta(hours=24)
    # Reception gets 10% of it from the moment of receipt.
    assert cal.working_time_between(received, d.step_due_at) == total / 10
    StepShare.objects.create(procedure_code="1.001193", step="specialist", percent=50)
    assert step_shares("1.001193")["specialist"] == 50 and step_shares("other")["specialist"] == 70
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 9, 0), to_user="chuyenvien")
    # The specialist's 50% of the total, from the hand-off.
    assert cal.working_time_between(vn(2026, 3, 10, 9, 0), d.step_due_at) == total / 2
    with clock.frozen(d.step_due_at - timedelta(hours=1)):
        assert step_warning(d) == "soon"
    with clock.frozen(d.step_due_at + timedelta(minutes=1)):
        assert step_warning(d) == "overdue"


def test_warning_one_working_day_ahead(office):
    d = receive(office, vn(2026, 3, 10, 9, 0))  # due Friday 13 March 17:00
    with clock.frozen(vn(2026, 3, 11, 9, 0)):
        assert warning_level(d) == ""
        assert not dossier_worklist(user=office.tiepnhan, kind="due_soon").exists()
    with clock.frozen(vn(2026, 3, 12, 17, 0)):
        assert warning_level(d) == "soon"
        assert list(dossier_worklist(user=office.tiepnhan, kind="due_soon")) == [d]
    with clock.frozen(vn(2026, 3, 16, 8, 0)):
        assert warning_level(d) == "overdue"
        assert list(dossier_worklist(user=office.lanhdao, kind="overdue")) == [d]


def test_same_day_death_registration_on_a_holiday(office):
    # 30 April 2026 is a public holiday; death registration is on holiday duty.
    d = receive(office, vn(2026, 4, 30, 9, 0), procedure="1.000656")
    assert local_date(d.due_at) == "2026-04-30"
    assert d.step_due_at == d.due_at  # no working time that day: every step shares the moment
    d = act(office, d, "assign", "tiepnhan", vn(2026, 4, 30, 9, 10), to_user="chuyenvien")
    d = act(office, d, "finish", "lanhdao", vn(2026, 4, 30, 10, 0))
    d = act(office, d, "return", "tiepnhan", vn(2026, 4, 30, 10, 30))
    assert d.result_timeliness == "on_time" and d.return_timeliness == "on_time"
    # After the 15:00 cut-off it is due at the next open day.
    late = receive(office, vn(2026, 4, 29, 16, 0), procedure="1.000656")
    assert local_date(late.due_at) == "2026-04-30"


def test_warning_and_extension_across_tet(office):
    # 5 working days from Monday 9 Feb: 10, 11, 12, 13, then Tết → due Monday 23 Feb.
    d = receive(office, vn(2026, 2, 9, 9, 0), procedure="2.000635")
    assert local_date(d.due_at) == "2026-02-23"
    with clock.frozen(vn(2026, 2, 12, 10, 0)):
        assert warning_level(d) == ""
    # On Friday 13 Feb the next working day is already the due day: the warning shows before Tết.
    with clock.frozen(vn(2026, 2, 13, 10, 0)):
        assert warning_level(d) == "soon"
    d = act(
        office,
        d,
        "extend",
        "lanhdao",
        vn(2026, 2, 13, 15, 0),
        reason="Chờ kết quả xác minh của cơ quan khác",
        new_date="2026-03-02",
    )
    assert local_date(d.appointment_at) == "2026-03-02"
    # The legal due moment stays Monday 23 Feb: after it the dossier is overdue whatever the
    # appointment given to the citizen.
    assert local_date(d.due_at) == "2026-02-23"
    with clock.frozen(vn(2026, 2, 24, 10, 0)):
        assert warning_level(d) == "overdue"
    ext = d.extensions.get()
    assert (
        local_date(ext.previous_due_at) == "2026-02-23"
        and local_date(ext.issued_at) == "2026-02-13"
    )
