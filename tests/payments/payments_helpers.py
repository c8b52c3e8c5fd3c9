"""Shared data of the payments tests (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from motcua.core.clock import VN_TZ

# 8.000 đ per copy of the extract, and a fee of 15.000 đ per case that costs 10.000 đ online.
FEES = [
    {"name": "Lệ phí cấp bản sao trích lục", "kind": "le_phi", "amount": 8000, "unit": "copy"},
    {
        "name": "Phí khai thác cơ sở dữ liệu hộ tịch",
        "kind": "phi",
        "amount": 15000,
        "channels": {"online": 10000},
    },
]


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def receive(ward: Any, *, i: int = 0, channel: str = "direct", copies: int = 2) -> Any:
    """A dossier received at the ward's counter (priced by the catalogue: 2 copies + the fee)."""
    from motcua.dossiers.services import dossier_receive

    return dossier_receive(
        procedure_code="2.000635",
        channel=channel,
        citizen={
            "id_number": f"0010850{i:05d}",
            "full_name": f"Nguyễn Thị Hoa {i}",
            "date_of_birth": "1985-01-01",
            "phone": "0912345678",
            "address": "Số 5 Quang Trung, Hà Đông",
        },
        unit=ward.unit,
        actor=ward.tiepnhan if channel != "online" else None,
        quantities={"copies": copies},
        received_at=vn(2026, 3, 10, 9, 0),
    )
