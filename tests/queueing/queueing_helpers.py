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
