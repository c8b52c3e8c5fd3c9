"""Shared data of the delivery tests (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from motcua.core import clock
from motcua.core.clock import VN_TZ


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


SECRET = "test-postal-secret"
CUSTOMER = "WARD1-POST"

CITIZEN = {
    "id_number": "001185012345",
    "full_name": "Nguyễn Thị Hương",
    "date_of_birth": "1985-05-17",
    "phone": "0912345678",
    "address": "Số 12 ngõ 34 Quang Trung, phường Hà Đông, Hà Nội",
}


def png(size: tuple[int, int] = (120, 60)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


def receive(office: Any, at: datetime, procedure: str = "1.001193", channel: str = "direct") -> Any:
    from motcua.dossiers.services import dossier_receive

    with clock.frozen(at):
        return dossier_receive(
            procedure_code=procedure,
            channel=channel,
            citizen=CITIZEN,
            unit=office.ward,
            actor=office.tiepnhan,
        )


def finish(office: Any, dossier: Any, at: datetime) -> Any:
    """Assign to the specialist, then the leader records the result (status 9); the fees are paid
    in cash at reception first (no result is handed over while money is owed)."""
    from dossiers.dossiers_helpers import pay_cash
    from motcua.dossiers.services import dossier_act

    pay_cash(dossier, office.tiepnhan, at)
    with clock.frozen(at):
        d = dossier_act(
            dossier=dossier, action="assign", actor=office.tiepnhan, to_user=office.chuyenvien
        )
        return dossier_act(dossier=d, action="finish", actor=office.lanhdao)
