"""The one place code asks for the time, so tests can move it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_frozen: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware, in Vietnam time."""
    if _frozen is not None:
        return _frozen
    return timezone.now().astimezone(VN_TZ)


def today() -> date:
    """Today's date in Vietnam."""
    return now().date()


def local(dt: datetime) -> datetime:
    """The same moment in Vietnam time (naive datetimes are read as Vietnam time)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=VN_TZ)
    return dt.astimezone(VN_TZ)


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze `now()` at a moment (tests and demo data generation)."""
    global _frozen
    previous = _frozen
    _frozen = local(at)
    try:
        yield
    finally:
        _frozen = previous


def set_frozen(at: datetime | None) -> None:
    """Freeze (or with None, release) the clock without a context manager."""
    global _frozen
    _frozen = local(at) if at else None
