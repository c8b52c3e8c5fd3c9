"""Receiving and moving dossiers through the services: codes, hand-offs, permissions, events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dossiers_helpers import CITIZEN, image_bytes, pay_cash, pdf_bytes, vn

from motcua.core import clock
from motcua.core.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.selectors import dossier_control_slip
from motcua.dossiers.services import attachment_add, dossier_act, dossier_receive
from motcua.dossiers.workflow import Status

pytestmark = pytest.mark.django_db


def receive(office, at=None, procedure="1.001193", channel="direct", actor="tiepnhan", **kw):
    with clock.frozen(at or vn(2026, 3, 10, 9, 0)):
        return dossier_receive(
            procedure_code=procedure,
            channel=channel,
            citizen=kw.pop("citizen", CITIZEN),
            unit=office.ward,
            actor=getattr(office, actor) if actor else None,
            **kw,
        )


def act(office, dossier, action, actor, at, **params):
    with clock.frozen(at):
        return dossier_act(dossier=dossier, action=action, actor=getattr(office, actor), **params)


def test_receive_direct_gives_code_due_papers_and_event(office):
    d = receive(office)
    assert d.code == "000.00.20.H26-260310-0001"
    assert d.status == Status.ACCEPTED
    assert d.received_at == d.accepted_at == vn(2026, 3, 10, 9, 0)
    # 3 working days from Tuesday 10 March: closing of Friday 13 March.
    assert clock.local(d.due_at).date().isoformat() == "2026-03-13"
    assert d.original_due_at == d.due_at
    assert d.fees_due == 8000
    assert d.citizen.full_name == "Nguyễn Văn An"
    assert d.citizen_name_folded == "nguyen van an"
    assert [p.provided for p in d.papers.all()] == [True, True]
    ev = d.events.get()
    assert (ev.action, ev.from_status, ev.to_status, ev.actor) == (
        "receive",
        None,
        2,
        office.tiepnhan,
    )
    assert ev.step == "reception" and ev.step_due_at is not None and ev.step_due_at <= d.due_at
    assert receive(office).code == "000.00.20.H26-260310-0002"
    assert receive(office, at=vn(2026, 3, 11, 8, 0)).code == "000.00.20.H26-260311-0001"


def test_receive_refuses_missing_required_papers_and_unknown_procedure(office):
    with pytest.raises(ValidationFailed) as exc:
        receive(office, papers=[0])
    assert exc.value.code == "missing_papers"
    assert "Giấy chứng sinh" in exc.value.message
    with pytest.raises(NotFound):
        receive(office, procedure="9.999999")
    assert not Dossier.objects.exists()


def test_only_reception_of_the_unit_receives(office):
    with pytest.raises(PermissionDenied):
        receive(office, actor="chuyenvien")
    with pytest.raises(PermissionDenied):
        receive(office, actor="tiepnhan_khac")
    d = receive(office, actor="tainha", channel="home")
    assert d.status == Status.ACCEPTED and d.channel == "home"


def test_online_submission_needs_no_staff_then_reception_accepts(office):
    d = receive(office, actor=None, channel="online", papers=[0])
    assert d.status == Status.SUBMITTED and d.due_at is None and d.holder is None
    d = act(office, d, "accept", "tiepnhan", vn(2026, 3, 11, 14, 0))
    assert d.status == Status.ACCEPTED
    assert d.accepted_at == vn(2026, 3, 11, 14, 0)
    assert clock.local(d.due_at).date().isoformat() == "2026-03-16"  # counted from acceptance
    with pytest.raises(PermissionDenied):
        receive(office, actor=None, channel="direct")


def test_refuse_online_submission_needs_reason(office):
    d = receive(office, actor=None, channel="online")
    with pytest.raises(ValidationFailed) as exc:
        act(office, d, "refuse", "tiepnhan", vn(2026, 3, 11, 9, 0))
    assert exc.value.code == "reason_required"
    d = act(office, d, "refuse", "tiepnhan", vn(2026, 3, 11, 9, 0), reason="Không thuộc thẩm quyền")
    assert d.status == Status.REFUSED and d.closed_at is not None
    assert d.events.last().note == "Không thuộc thẩm quyền"


def full_path(office):
    d = receive(office)  # Tue 10 March 09:00, due Fri 13 March 17:00
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    assert (d.status, d.holder, d.holder_unit, d.step) == (
        Status.PROCESSING,
        office.chuyenvien,
        office.dept,
        "specialist",
    )
    d = act(
        office, d, "submit_for_approval", "chuyenvien", vn(2026, 3, 11, 9, 0), to_user="lanhdao"
    )
    assert d.holder == office.lanhdao and d.step == "leader"
    d = act(office, d, "approve", "lanhdao", vn(2026, 3, 11, 10, 0), to_user="tiepnhan")
    assert d.approved and d.holder == office.tiepnhan and d.step == "return"
    d = act(office, d, "finish", "tiepnhan", vn(2026, 3, 11, 11, 0))
    assert d.status == Status.FINISHED and d.result_timeliness == "early"
    pay_cash(d, office.tiepnhan, vn(2026, 3, 11, 11, 30))  # paid before the result is handed over
    d = act(office, d, "return", "tiepnhan", vn(2026, 3, 12, 8, 0))
    assert d.status == Status.RETURNED and d.return_timeliness == "early" and d.closed_at
    return d


def test_full_path_reception_to_return_writes_one_event_per_move(office):
    d = full_path(office)
    actions = list(d.events.values_list("action", flat=True))
    assert actions == ["receive", "assign", "submit_for_approval", "approve", "finish", "return"]
    statuses = list(d.events.values_list("from_status", "to_status"))
    assert statuses == [(None, 2), (2, 4), (4, 4), (4, 4), (4, 9), (9, 10)]
    closed = list(
        d.events.exclude(closed_step="").values_list("closed_step", "closed_step_timeliness")
    )
    assert [c[0] for c in closed] == ["reception", "specialist", "leader", "return"]
    assert all(c[1] in ("early", "on_time", "late") for c in closed)
    slip = dossier_control_slip(dossier=d)
    assert len(slip) == 6
    assert slip[1]["giver"] == str(office.tiepnhan) and slip[1]["receiver"] == str(
        office.chuyenvien
    )


def test_events_are_immutable(office):
    d = receive(office)
    ev = d.events.get()
    ev.note = "sửa"
    with pytest.raises(ValueError):
        ev.save()
    with pytest.raises(ValueError):
        ev.delete()


def test_permissions_per_role_and_unit(office):
    d = receive(office)
    with pytest.raises(PermissionDenied):  # a specialist does not assign
        act(office, d, "assign", "chuyenvien", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    with pytest.raises(PermissionDenied):  # another ward's reception has no say here
        act(office, d, "assign", "tiepnhan_khac", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    with pytest.raises(PermissionDenied):  # managers watch, they do not move dossiers
        act(office, d, "assign", "quanly", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    with pytest.raises(PermissionDenied):  # only a leader approves
        act(office, d, "approve", "chuyenvien", vn(2026, 3, 10, 11, 0))
    with pytest.raises(PermissionDenied) as exc:  # a specialist works on their own dossiers only
        act(office, d, "submit_for_approval", "chuyenvien2", vn(2026, 3, 10, 11, 0))
    assert exc.value.code == "not_holder"
    with pytest.raises(ValidationFailed) as exc:  # the recipient must be able to process it
        act(office, d, "forward", "chuyenvien", vn(2026, 3, 10, 11, 0), to_user="quanly")
    assert exc.value.code == "wrong_recipient"
    with pytest.raises(InvalidTransition) as exc:
        act(office, d, "return", "tiepnhan", vn(2026, 3, 10, 11, 0))
    assert "Đang xử lý" in exc.value.message
    with pytest.raises(DomainError) as exc:  # finishing needs the leader's approval first
        act(office, d, "finish", "chuyenvien", vn(2026, 3, 10, 11, 0))
    assert exc.value.code == "not_approved"


def test_forward_and_send_back_to_previous_holder(office):
    d = receive(office)
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    d = act(office, d, "forward", "chuyenvien", vn(2026, 3, 10, 11, 0), to_user="chuyenvien2")
    assert d.holder == office.chuyenvien2 and d.status == Status.PROCESSING
    d = act(
        office, d, "submit_for_approval", "chuyenvien2", vn(2026, 3, 11, 9, 0), to_user="lanhdao"
    )
    with pytest.raises(ValidationFailed):
        act(office, d, "send_back", "lanhdao", vn(2026, 3, 11, 10, 0))
    d = act(
        office, d, "send_back", "lanhdao", vn(2026, 3, 11, 10, 0), reason="Thiếu ý kiến thẩm định"
    )
    assert d.holder == office.chuyenvien2 and d.step == "specialist"
    ev = d.events.last()
    assert (ev.action, ev.from_user, ev.to_user, ev.note) == (
        "send_back",
        office.lanhdao,
        office.chuyenvien2,
        "Thiếu ý kiến thẩm định",
    )


def test_transfer_to_another_agency(office):
    d = receive(office)
    d = act(
        office,
        d,
        "transfer",
        "lanhdao",
        vn(2026, 3, 10, 10, 0),
        to_unit="WARD2",
        reason="Đúng thẩm quyền",
    )
    assert d.status == Status.PROCESSING and d.holder_unit == office.other and d.holder is None
    assert d.unit == office.ward  # the receiving agency is kept
    # The other ward's reception may now work on it; it reaches the dossier through holder_unit.
    d = act(
        office, d, "request_supplement", "tiepnhan_khac", vn(2026, 3, 10, 11, 0), reason="Bổ sung"
    )
    assert d.status == Status.SUPPLEMENT


def test_withdraw_and_stop(office):
    d = receive(office)
    d = act(
        office, d, "withdraw", "tiepnhan", vn(2026, 3, 10, 10, 0), reason="Công dân có đơn xin rút"
    )
    assert d.status == Status.WITHDRAWN and d.closed_at
    with pytest.raises(InvalidTransition):
        act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 11, 0), to_user="chuyenvien")
    d2 = receive(office)
    with pytest.raises(PermissionDenied):
        act(office, d2, "stop", "tiepnhan", vn(2026, 3, 10, 10, 0), reason="x")
    d2 = act(office, d2, "stop", "lanhdao", vn(2026, 3, 10, 10, 0), reason="Có tranh chấp")
    assert d2.status == Status.STOPPED


def test_payment_pauses_and_resumes(office):
    d = receive(office)
    d = act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    d = act(office, d, "request_payment", "chuyenvien", vn(2026, 3, 11, 9, 0))
    assert d.status == Status.PAYMENT and d.paused_at and d.remaining_seconds > 0
    remaining = d.remaining_seconds
    with pytest.raises(DomainError) as exc:  # not while the fee is owed
        act(office, d, "paid", "tiepnhan", vn(2026, 3, 16, 8, 30))
    assert exc.value.code == "fees_outstanding"
    # The cash with its receipt resumes it by itself (the citizen's move, status 6 -> 4).
    pay_cash(d, office.tiepnhan, vn(2026, 3, 16, 9, 0))
    d.refresh_from_db()

    assert d.status == Status.PROCESSING and d.paused_at is None
    from motcua.dossiers.deadlines import calendar

    assert calendar(office.ward).working_time_between(vn(2026, 3, 16, 9, 0), d.due_at) == timedelta(
        seconds=remaining
    )
    # The step's own deadline moved with the pause.
    assert vn(2026, 3, 16, 9, 0) < d.step_due_at <= d.due_at


def test_attachments_checked_by_content(office, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    d = receive(office)
    pdf = pdf_bytes()  # a real PDF: scans are parsed whole since issue 9.10
    att = attachment_add(dossier=d, content=pdf, filename="to-khai.pdf", actor=office.tiepnhan)
    assert att.content_type == "application/pdf" and att.size == len(pdf) and len(att.sha256) == 64
    assert att.file.name.endswith(".pdf") and "to-khai" not in att.file.name
    png = image_bytes("PNG")
    assert (
        attachment_add(dossier=d, content=png, filename="scan.jpg", actor=None).content_type
        == "image/png"
    )
    with pytest.raises(ValidationFailed) as exc:  # an executable named .pdf
        attachment_add(dossier=d, content=b"MZ\x90\x00rest", filename="virus.pdf", actor=None)
    assert exc.value.code == "file_type"
    with pytest.raises(ValidationFailed) as exc:
        attachment_add(
            dossier=d, content=b"%PDF-" + b"0" * (10 * 1024 * 1024), filename="big.pdf", actor=None
        )
    assert exc.value.code == "file_too_large"


def test_every_service_move_writes_exactly_one_event(office):
    d = receive(office)
    n = DossierEvent.objects.count()
    act(office, d, "assign", "tiepnhan", vn(2026, 3, 10, 10, 0), to_user="chuyenvien")
    assert DossierEvent.objects.count() == n + 1
    with pytest.raises(PermissionDenied):
        act(office, d, "approve", "chuyenvien", vn(2026, 3, 10, 11, 0))
    assert DossierEvent.objects.count() == n + 1  # a refused move leaves no trace in the events
