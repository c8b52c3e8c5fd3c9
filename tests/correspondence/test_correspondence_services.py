"""Registers: numbering per unit, register and year; exchange inside motcua; permissions; search."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from motcua.core import clock
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.correspondence import selectors, services
from motcua.correspondence.models import Dispatch, DocStatus, Document, Register

pytestmark = pytest.mark.django_db


def issue(w, who=None, **kw):  # type: ignore[no-untyped-def]
    fields = {
        "unit": w.a,
        "actor": who or w.a_reception,
        "doc_type": "QD",
        "summary": "Về việc thành lập Tổ công tác chuyển đổi số cộng đồng",
        "signer_name": "Nguyễn Văn Hùng",
        "signer_title": "Chủ tịch",
    }
    fields.update(kw)
    return services.document_create(**fields)


def test_numbers_follow_each_other_per_unit_and_print_the_notation(two_wards):
    w = two_wards
    first, second = issue(w), issue(w, doc_type="CV", drafter_abbr="VP")
    other_unit = issue(w, unit=w.b, actor=w.b_reception)
    assert (first.number, first.number_notation) == (1, "01/QĐ-UBND")
    assert (second.number, second.number_notation) == (2, "02/UBND-VP")
    assert (other_unit.number, other_unit.number_notation) == (1, "01/QĐ-UBND")
    assert first.year == 2026 and first.issued_on == date(2026, 11, 17)


def test_numbers_restart_on_the_first_of_january(two_wards, freeze):
    w = two_wards
    freeze(datetime(2026, 12, 31, 16, 0, tzinfo=clock.VN_TZ))
    assert issue(w).number == 1
    assert issue(w).number == 2
    freeze(datetime(2027, 1, 1, 8, 0, tzinfo=clock.VN_TZ))
    renewed = issue(w)
    assert (renewed.year, renewed.number, renewed.number_notation) == (2027, 1, "01/QĐ-UBND")


def test_a_separate_register_keeps_its_own_numbers(two_wards):
    w = two_wards
    Register.objects.create(unit=w.a, direction="out", code="qd", name="Sổ quyết định")
    issue(w)
    assert issue(w, register="qd").number == 1
    assert issue(w).number == 2


def test_a_refused_document_leaves_no_gap(two_wards):
    w = two_wards
    issue(w)
    with pytest.raises(ValidationFailed):
        issue(w, files=[services.Upload(name="x.pdf", content=b"not a pdf", is_main=True)])
    assert issue(w).number == 2


def test_a_date_of_another_year_is_refused(two_wards):
    with pytest.raises(ValidationFailed) as err:
        issue(two_wards, issued_on=date(2025, 12, 30))
    assert err.value.code == "issued_on_other_year"


def test_an_official_of_another_unit_cannot_issue(two_wards):
    with pytest.raises(PermissionDenied):
        issue(two_wards, actor=two_wards.b_reception)


def test_sending_to_a_unit_delivers_at_once_with_a_receipt(two_wards):
    w = two_wards
    doc = issue(w)
    [dispatch] = services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    assert dispatch.state == Dispatch.State.DELIVERED
    assert dispatch.delivered_at == clock.now()
    incoming = dispatch.incoming
    assert incoming.unit == w.b and incoming.direction == "in"
    assert incoming.status == DocStatus.ARRIVED and incoming.number is None
    assert incoming.number_notation == "01/QĐ-UBND" and incoming.issuer_name == "Phường Hà Đông"
    doc.refresh_from_db()
    assert doc.status == DocStatus.SENT
    # sending again to the same unit (by its electronic code) does not deliver twice
    again = services.document_send(document=doc, to=[w.b.agency_code], actor=w.a_reception)
    assert [d.pk for d in again] == [dispatch.pk]
    assert Document.objects.filter(direction="in").count() == 1


def test_unknown_recipient_is_refused_and_nothing_is_sent(two_wards):
    w = two_wards
    doc = issue(w)
    with pytest.raises(ValidationFailed) as err:
        services.document_send(document=doc, to=[w.b.code, "KHONG-CO"], actor=w.a_reception)
    assert err.value.code == "unknown_recipient" and "KHONG-CO" in err.value.message
    assert not Dispatch.objects.exists() and not Document.objects.filter(direction="in").exists()


def test_receiving_unit_opens_registers_assigns_and_finishes(two_wards, freeze):
    w = two_wards
    doc = issue(w)
    [dispatch] = services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    incoming = dispatch.incoming
    with pytest.raises(PermissionDenied):
        services.document_open(document=incoming, actor=w.a_reception)
    freeze(datetime(2026, 11, 17, 10, 5, tzinfo=clock.VN_TZ))
    services.document_open(document=incoming, actor=w.b_specialist)
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.OPENED
    assert clock.local(dispatch.opened_at) == datetime(2026, 11, 17, 10, 5, tzinfo=clock.VN_TZ)
    with pytest.raises(PermissionDenied):
        services.incoming_register(document=incoming, actor=w.b_specialist)
    registered = services.incoming_register(document=incoming, actor=w.b_reception)
    assert (registered.number, registered.year, registered.status) == (
        1,
        2026,
        DocStatus.REGISTERED,
    )
    with pytest.raises(Conflict):
        services.incoming_register(document=incoming, actor=w.b_reception)
    with pytest.raises(ValidationFailed):  # not an official of the receiving unit
        services.incoming_assign(document=incoming, actor=w.b_reception, assignee=w.a_specialist)
    assigned = services.incoming_assign(
        document=incoming,
        actor=w.b_leader,
        assignee=w.b_specialist,
        due_on=date(2026, 11, 24),
        instruction="Tham mưu trả lời",
    )
    assert assigned.status == DocStatus.ASSIGNED and assigned.due_on == date(2026, 11, 24)
    with pytest.raises(PermissionDenied):
        services.incoming_finish(document=incoming, actor=w.b_reception)
    services.incoming_finish(document=incoming, actor=w.b_specialist)
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.DONE  # the sender sees what became of it


def test_search_with_and_without_diacritics_on_any_field(two_wards):
    w = two_wards
    decision = issue(w)
    letter = issue(
        w,
        doc_type="CV",
        summary="Về việc báo cáo tình hình tiếp nhận hồ sơ",
        signer_name="Trần Thị Lan",
    )
    user = w.a_reception

    def found(q: str) -> list[int]:
        return [d.pk for d in selectors.documents_search(user=user, box="outgoing", q=q)]

    assert found("chuyển đổi số") == [decision.pk]
    assert found("chuyen doi so") == [decision.pk]
    assert found("TRAN THI LAN") == [letter.pk]
    assert found("01/QĐ-UBND") == [decision.pk]
    assert found("02/ubnd") == [letter.pk]
    assert found("công văn") == [letter.pk]
    assert set(found("")) == {decision.pk, letter.pk}
    assert found("khong co gi") == []
    # another unit's register is not searched
    assert [
        d.pk for d in selectors.documents_search(user=w.b_reception, box="outgoing", q="")
    ] == []
