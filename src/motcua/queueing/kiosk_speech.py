"""What the kiosk says aloud, screen by screen (pure: no database, tested alone).

A blind visitor takes a number with the keyboard or a keypad: keys 1–9 choose the screen's
choices in the order they are read, 0 or * reads the screen again, Escape (the "thoát" key)
goes back. Each phrase is a list of short parts, so the server voice (voice.py, espeak-ng)
caches every part once; the browser's speech reads the same words when the server has no voice.
"""

from __future__ import annotations

from motcua.queueing.numbering import read_display_vi, read_number_vi

SCREENS = ("services", "camera", "consent", "identify", "slip", "error")
MAX_KEYS = 9
REPEAT = "Bấm phím không hoặc phím sao để nghe lại."
BACK = "Bấm phím thoát để quay lại."


def _key(i: int) -> str:
    return f"Phím {read_number_vi(i)}"


def kiosk_phrase_parts(
    screen: str,
    *,
    services: list[str] | None = None,
    ticket: str | None = None,
    service: str | None = None,
    ahead: int | None = None,
    wait_minutes: int | None = None,
    booking: bool = False,
) -> list[str]:
    """The spoken parts of a kiosk screen (ValueError for an unknown screen)."""
    if screen == "services":
        names = (services or [])[:MAX_KEYS]
        if not names:
            return ["Hiện chưa có dịch vụ nào nhận lấy số.", REPEAT]
        return [
            "Lấy số thứ tự. Chọn dịch vụ bằng phím số.",
            *[f"{_key(i)}: {name}." for i, name in enumerate(names, start=1)],
            REPEAT,
        ]
    if screen == "camera":
        return [
            "Vui lòng nhìn thẳng vào camera để nhận diện khuôn mặt.",
            f"{_key(1)}: không dùng khuôn mặt, quét mã QR thẻ căn cước hoặc nhập số điện thoại.",
            f"{_key(2)}: quay lại.",
            REPEAT,
        ]
    if screen == "consent":
        return [
            "Lần đầu bạn lấy số bằng khuôn mặt tại đây. Bạn có đồng ý để hệ thống lưu mẫu "
            "khuôn mặt, không lưu ảnh, để nhận ra bạn?",
            f"{_key(1)}: ghi nhớ cho những lần sau.",
            f"{_key(2)}: chỉ hôm nay.",
            f"{_key(3)}: không đồng ý.",
            REPEAT,
        ]
    if screen == "identify":
        return [
            "Đưa mã QR trên thẻ căn cước vào đầu đọc, hoặc nhập số điện thoại bằng bàn phím số "
            "rồi bấm phím Enter.",
            "Bấm phím sao để nghe lại.",
            BACK,
        ]
    if screen == "slip":
        if not ticket:
            raise ValueError("a slip needs its number")
        parts = [f"Số thứ tự của bạn là {read_display_vi(ticket)}."]
        if service:
            parts.append(f"Dịch vụ {service}.")
        if ahead is not None:
            parts.append(f"Số người đang chờ trước bạn: {read_number_vi(ahead)}.")
        if wait_minutes:
            parts.append(f"Thời gian chờ dự kiến khoảng {read_number_vi(wait_minutes)} phút.")
        if booking:
            parts.append("Bạn được ưu tiên gọi trong khung giờ đã hẹn.")
        parts += [
            "Vui lòng chờ gọi số trên bảng hiển thị.",
            f"{_key(1)}: xong. Bấm phím không để nghe lại số thứ tự.",
        ]
        return parts
    if screen == "error":
        return [
            "Chưa lấy được số thứ tự.",
            f"{_key(1)}: quét mã QR hoặc nhập số điện thoại.",
            f"{_key(2)}: quay lại từ đầu.",
            REPEAT,
        ]
    raise ValueError(f"unknown kiosk screen {screen!r}")
