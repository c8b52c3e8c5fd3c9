"""Shared test data of the queue tests (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

QR_A = "001085012345||Nguyễn Văn An|17051985|Nam|Số 1 Quang Trung, Hà Đông, Hà Nội|01072021"
QR_B = "001190054321|123456789|Trần Thị Bình|02031990|Nữ|Phường Kiến Hưng, Hà Nội|15082022"


def face_jpeg(colour=(40, 60, 200), **kw) -> bytes:
    import cv2

    from motcua.biometrics.engine import draw_fake_face

    ok, buf = cv2.imencode(".jpg", draw_fake_face(colour, **kw), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def blank_jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, buf = cv2.imencode(".jpg", np.full((480, 640, 3), 128, dtype=np.uint8))
    return buf.tobytes()


def history(office, services, *, days: int, counters=()) -> list:
    """Finished tickets of the `days` days before today (unsaved, for bulk_create): one per
    entry of `services` each day, numbered in that order, called at `counters` in turn."""
    from datetime import timedelta

    from motcua.core import clock
    from motcua.queueing.models import Method, Status, Ticket

    today, now = clock.now().date(), clock.now()
    return [
        Ticket(
            office=office,
            service=svc,
            service_date=today - timedelta(days=d),
            number=n + 1,
            display=f"{svc.code}{n + 1:04d}",
            method=Method.STAFF,
            status=Status.DONE,
            counter=counters[n % len(counters)] if counters else None,
            issued_at=now - timedelta(days=d),
            waiting_since=now - timedelta(days=d),
            called_at=now - timedelta(days=d) if counters else None,
        )
        for d in range(1, days + 1)
        for n, svc in enumerate(services)
    ]


def unrandom_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An ASGI answer's headers with what differs between two answers of the same request
    blanked: a new CSRF cookie is random in each answer (Django's, both times), and its
    `expires` is the wall clock's second when each answer was made (Max-Age is compared)."""
    import re

    return [
        (k, re.sub(rb"expires=[^;]+", b"expires=?", re.sub(rb"csrftoken=\w+", b"csrftoken=?", v)))
        for k, v in headers
    ]
