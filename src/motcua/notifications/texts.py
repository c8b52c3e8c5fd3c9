"""What each kind of notification says (Vietnamese), per channel: e-mail, SMS, Zalo ZNS params."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from motcua.notifications.models import Kind


@dataclass(frozen=True)
class Text:
    subject: str
    body: str  # the full text (e-mail, and SMS when it fits)
    short: str  # the SMS text before the rules of rules.sms_text
    protected: list[str] = field(default_factory=list)  # spans an SMS never cuts (codes)
    params: dict[str, Any] = field(default_factory=dict)  # Zalo ZNS template_data


def render(kind: str, ctx: dict[str, Any]) -> Text:
    code = str(ctx.get("code") or "")
    if kind == Kind.DOSSIER_RECEIVED:
        return Text(
            subject=f"Hồ sơ {code} đã được tiếp nhận",
            body=(
                f"Kính gửi {ctx['name']},\n\nBộ phận một cửa đã tiếp nhận hồ sơ «{ctx['procedure']}» "
                f"của Ông/Bà, mã hồ sơ {code}. Ngày hẹn trả kết quả: {ctx['due']}.\n"
                f"Tra cứu tình trạng hồ sơ: {ctx['lookup']}"
            ),
            short=f"Hồ sơ {code} đã được tiếp nhận, hẹn trả ngày {ctx['due']}.",
            protected=[code],
            params={
                "ma_ho_so": code,
                "ten_thu_tuc": ctx["procedure"][:100],
                "ngay_hen": ctx["due"],
            },
        )
    if kind == Kind.SUPPLEMENT_NEEDED:
        papers = "; ".join(ctx["papers"]) or ctx.get("note") or ""
        return Text(
            subject=f"Hồ sơ {code} cần bổ sung giấy tờ",
            body=(
                f"Kính gửi {ctx['name']},\n\nHồ sơ {code} cần bổ sung các giấy tờ sau: {papers}.\n"
                + (f"Ghi chú của cán bộ: {ctx['note']}\n" if ctx.get("note") else "")
                + "Ông/Bà vui lòng nộp bổ sung tại Bộ phận một cửa hoặc trực tuyến."
            ),
            short=f"Hồ sơ {code} cần bổ sung: {papers}.",
            protected=[code],
            params={"ma_ho_so": code, "giay_to": papers[:200]},
        )
    if kind == Kind.RESULT_READY:
        return Text(
            subject=f"Hồ sơ {code} đã có kết quả",
            body=(
                f"Kính gửi {ctx['name']},\n\nHồ sơ {code} đã có kết quả. {ctx['where']}\n"
                "Khi nhận, Ông/Bà mang theo căn cước và giấy tiếp nhận hồ sơ, hẹn trả kết quả."
            ),
            short=f"Hồ sơ {code} đã có kết quả. {ctx['where_short']}",
            protected=[code],
            params={"ma_ho_so": code, "noi_nhan": ctx["where_short"][:200]},
        )
    if kind == Kind.RESULT_DELIVERED:
        return Text(
            subject=f"Hồ sơ {code} đã trả kết quả",
            body=(
                f"Kính gửi {ctx['name']},\n\nKết quả hồ sơ {code} đã được trả ngày {ctx['date']}. "
                "Cảm ơn Ông/Bà đã sử dụng dịch vụ; mời Ông/Bà đánh giá mức độ hài lòng trên cổng "
                "dịch vụ công."
            ),
            short=f"Kết quả hồ sơ {code} đã được trả ngày {ctx['date']}. Cảm ơn Ông/Bà.",
            protected=[code],
            params={"ma_ho_so": code, "ngay_tra": ctx["date"]},
        )
    if kind == Kind.QUEUE_NEAR:
        number = str(ctx["number"])
        return Text(
            subject=f"Số {number}: sắp đến lượt",
            body=(
                f"Số thứ tự {number} ({ctx['service']}): còn {ctx['ahead']} người trước Ông/Bà. "
                "Vui lòng có mặt gần quầy."
            ),
            short=f"Số {number}: còn {ctx['ahead']} người trước Ông/Bà. Vui lòng có mặt gần quầy.",
            protected=[number],
            params={"so_thu_tu": number, "con_lai": str(ctx["ahead"])},
        )
    if kind == Kind.QUEUE_CALLED:
        number = str(ctx["number"])
        return Text(
            subject=f"Số {number}: mời đến quầy {ctx['counter']}",
            body=f"Đến lượt số thứ tự {number}: mời Ông/Bà đến quầy số {ctx['counter']}.",
            short=f"Đến lượt số {number}: mời Ông/Bà đến quầy {ctx['counter']}.",
            protected=[number],
            params={"so_thu_tu": number, "quay": str(ctx["counter"])},
        )
    raise ValueError(f"unknown kind {kind}")
