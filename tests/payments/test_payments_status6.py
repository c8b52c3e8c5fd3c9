"""Status 6 («Yêu cầu thực hiện nghĩa vụ tài chính»): money before the result, paid by any method."""

from __future__ import annotations

import pytest
from payments_helpers import FEES, receive, vn

from factories import ProcedureVersionFactory
from motcua.core.errors import Conflict
from motcua.dossiers.models import DossierEvent
from motcua.dossiers.services import dossier_act, dossier_receive
from motcua.dossiers.workflow import Status
from motcua.payments import selectors, services
from motcua.payments.models import Method


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def _on_result(ward):
    fees = [{**FEES[1], "collect": "result"}]
    ProcedureVersionFactory(
        procedure__code="1.013225", name="Cấp giấy phép xây dựng", fees=fees, time_value=15
    )
    return dossier_receive(
        procedure_code="1.013225",
        channel="direct",
        citizen={
            "id_number": "001085000099",
            "full_name": "Trần Văn Nam",
            "date_of_birth": "1985-01-01",
            "address": "Số 9 Tô Hiệu, Hà Đông",
        },
        unit=ward.unit,
        actor=ward.tiepnhan,
        received_at=vn(2026, 3, 10, 9, 0),
    )


def _to_return_step(ward, d):
    d = dossier_act(dossier=d, action="assign", actor=ward.tiepnhan, to_user=ward.chuyenvien)
    d = dossier_act(
        dossier=d, action="submit_for_approval", actor=ward.chuyenvien, to_user=ward.lanhdao
    )
    return dossier_act(dossier=d, action="approve", actor=ward.lanhdao, to_user=ward.tiepnhan)


def test_collect_on_result_goes_through_status_6_and_online_payment_resumes(ward, freeze):
    d = _on_result(ward)
    assert selectors.collects_on_result(d)
    assert selectors.dossier_fee_statement(d)["collect"] == "result"
    d = _to_return_step(ward, d)
    with pytest.raises(Conflict) as exc:
        dossier_act(dossier=d, action="finish", actor=ward.tiepnhan)
    assert exc.value.code == "fees_outstanding"
    d = dossier_act(dossier=d, action="request_payment", actor=ward.tiepnhan)
    assert d.status == Status.PAYMENT and d.paused_at is not None
    # Nobody can mark it paid while the money is owed.
    with pytest.raises(Conflict) as exc:
        dossier_act(dossier=d, action="paid", actor=ward.tiepnhan)
    assert exc.value.code == "fees_outstanding"
    freeze(vn(2026, 3, 11, 9, 0))
    p = services.payment_create(dossier=d, method=Method.VIETQR)
    services.payment_confirm(payment=p, actor=ward.quanly)  # a transfer seen on the account
    d.refresh_from_db()
    assert d.status == Status.PROCESSING and d.paused_at is None
    ev = DossierEvent.objects.filter(dossier=d, action="paid").get()
    assert ev.from_status == Status.PAYMENT and ev.to_status == Status.PROCESSING
    d = dossier_act(dossier=d, action="finish", actor=ward.tiepnhan)
    d = dossier_act(dossier=d, action="return", actor=ward.tiepnhan)
    assert d.status == Status.RETURNED


def test_result_not_returned_while_fees_are_outstanding(ward):
    d = receive(ward)  # collected on reception, but the citizen did not pay
    d = _to_return_step(ward, d)
    d = dossier_act(dossier=d, action="finish", actor=ward.tiepnhan)
    with pytest.raises(Conflict) as exc:
        dossier_act(dossier=d, action="return", actor=ward.tiepnhan)
    assert exc.value.code == "fees_outstanding" and "31.000 đồng" in exc.value.message
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    services.payment_confirm(payment=p, actor=ward.tiepnhan)
    d = dossier_act(dossier=d, action="return", actor=ward.tiepnhan)
    assert d.status == Status.RETURNED


def test_online_dossier_collecting_on_reception_waits_in_status_6(ward):
    d = receive(ward, channel="online")
    d = dossier_act(dossier=d, action="accept", actor=ward.tiepnhan)
    d = dossier_act(dossier=d, action="request_payment", actor=ward.tiepnhan)
    assert d.status == Status.PAYMENT
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    services.payment_confirm(payment=p, actor=ward.tiepnhan)
    d.refresh_from_db()
    assert d.status == Status.PROCESSING


def test_free_procedure_is_never_held(ward):
    from motcua.dossiers.services import dossier_receive as rec

    d = rec(
        procedure_code="1.000656",
        channel="direct",
        citizen={
            "id_number": "001085000098",
            "full_name": "Lê Văn An",
            "date_of_birth": "1985-01-01",
        },
        unit=ward.unit,
        actor=ward.tiepnhan,
        received_at=vn(2026, 3, 10, 9, 0),
    )
    d = _to_return_step(ward, d)
    d = dossier_act(dossier=d, action="finish", actor=ward.tiepnhan)
    assert dossier_act(dossier=d, action="return", actor=ward.tiepnhan).status == Status.RETURNED
