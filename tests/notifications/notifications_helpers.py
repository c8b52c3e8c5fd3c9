"""Shared test data of the notification tests (a module of its own: `conftest` names clash)."""

from __future__ import annotations

from datetime import datetime

from motcua.core.clock import VN_TZ


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


CITIZEN = {
    "id_number": "001085012345",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1985-05-17",
    "phone": "0912345678",
    "email": "an.nguyen@example.vn",
    "address": "Số 5 Quang Trung, Hà Đông, Hà Nội",
}
