"""What each kind of notification says (Vietnamese), per channel, and the rules of its templates.

The default wording of every kind is here (`DEFAULTS`); an office may change it per kind and
channel in the admin (`MessageTemplate`), and `template_errors` checks such a text when it is
saved: only the variables of its kind (`VARIABLES`), written `{name}`, and always the ones that
make the message useful (`REQUIRED`: the dossier code, the ticket number, the booking code and
the fact the message exists for). Zalo ZNS messages are approved templates on Zalo's side: only
their parameters (`ZNS_PARAMS`) go from here.

Which text goes where: e-mail = `subject` + `body`; SMS = `short` (then the rules of
`rules.sms_text`: Vietnamese if it fits one message, else without diacritics, codes never cut);
Zalo Official Account = `body` (a text of up to 2,000 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from motcua.notifications.models import Kind

# name → (what it is, an example used for the SMS preview in the admin)
_COMMON = {
    "ho_ten": ("họ tên công dân", "Nguyễn Văn An"),
    "tra_cuu": ("đường dẫn tra cứu hồ sơ", "https://dichvucong.example.vn/tra-cuu/"),
}
_DOSSIER = {
    "ma_ho_so": ("mã hồ sơ", "000.00.30.H26-261117-0001"),
    "ten_thu_tuc": ("tên thủ tục", "Đăng ký khai sinh"),
    "ngay_hen": ("ngày hẹn trả kết quả (dd/mm/yyyy)", "20/11/2026"),
    **_COMMON,
}
_QUEUE = {
    "so_thu_tu": ("số thứ tự", "A012"),
}
_BOOKING = {
    "ma_lich_hen": ("mã lịch hẹn", "LH-7K2Q9M"),
    "ho_ten": ("họ tên công dân", "Nguyễn Văn An"),
    "ngay_hen": ("ngày hẹn (dd/mm/yyyy)", "18/11/2026"),
    "huy_lich": ("đường dẫn đổi hoặc hủy lịch", "https://dichvucong.example.vn/dat-lich/huy/"),
}

VARIABLES: dict[str, dict[str, tuple[str, str]]] = {
    Kind.DOSSIER_RECEIVED: dict(_DOSSIER),
    Kind.SUPPLEMENT_NEEDED: {
        **_DOSSIER,
        "giay_to": ("các giấy tờ cần bổ sung", "Tờ khai đăng ký khai sinh"),
        "ghi_chu": (
            "dòng ghi chú của cán bộ (trống nếu không có)",
            "Ghi chú của cán bộ: thiếu chữ ký.\n",
        ),
    },
    Kind.RESULT_READY: {
        **_DOSSIER,
        "noi_nhan": (
            "nơi và cách nhận kết quả (đầy đủ)",
            "Mời Ông/Bà nhận kết quả tại Bộ phận một cửa phường Kiến Hưng.",
        ),
        "noi_nhan_ngan": ("nơi nhận kết quả (ngắn)", "Mời nhận tại Bộ phận một cửa."),
    },
    Kind.RESULT_DELIVERED: {**_DOSSIER, "ngay_tra": ("ngày trả kết quả", "18/11/2026")},
    Kind.QUEUE_NEAR: {
        **_QUEUE,
        "dich_vu": ("dịch vụ (quầy)", "Hộ tịch"),
        "con_lai": ("số người phía trước", "3"),
    },
    Kind.QUEUE_CALLED: {**_QUEUE, "quay": ("số quầy", "3")},
    Kind.OVERDUE_APOLOGY: {
        **_DOSSIER,
        "ngay_hen_cu": ("ngày hẹn đã hứa", "18/11/2026"),
        "ly_do": ("lý do chậm (trong thư xin lỗi)", "cần xác minh thêm"),
    },
    Kind.PAYMENT_DUE: {**_DOSSIER, "so_tien": ("số tiền phải nộp", "50.000 đồng")},
    Kind.RECEIPT_ISSUED: {
        **_DOSSIER,
        "so_tien": ("số tiền đã nộp", "50.000 đồng"),
        "so_bien_lai": ("ký hiệu và số biên lai", "BL-26T/0000123"),
        "ngay_nop": ("ngày nộp", "18/11/2026"),
    },
    Kind.BOOKING_REMINDER: {
        **_BOOKING,
        "dich_vu": ("dịch vụ", "Hộ tịch"),
        "gio_hen": ("giờ hẹn (hh:mm)", "08:30"),
        "dia_diem": ("nơi đến", "Bộ phận một cửa phường Kiến Hưng"),
    },
    Kind.VISIT_REMINDER: {
        **_BOOKING,
        "ten_thu_tuc": ("tên thủ tục", "Trợ cấp xã hội hằng tháng"),
        "buoi": ("buổi (sáng/chiều)", "sáng"),
        "dia_chi": ("địa chỉ cán bộ đến", "Số 5 Quang Trung"),
    },
}

# Each tuple: at least one of these variables must appear in the text (subject + body).
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    Kind.DOSSIER_RECEIVED: [("ma_ho_so",), ("ngay_hen",)],
    Kind.SUPPLEMENT_NEEDED: [("ma_ho_so",), ("giay_to",)],
    Kind.RESULT_READY: [("ma_ho_so",), ("noi_nhan", "noi_nhan_ngan")],
    Kind.RESULT_DELIVERED: [("ma_ho_so",)],
    Kind.QUEUE_NEAR: [("so_thu_tu",), ("con_lai",)],
    Kind.QUEUE_CALLED: [("so_thu_tu",), ("quay",)],
    Kind.OVERDUE_APOLOGY: [("ma_ho_so",), ("ngay_hen",)],
    Kind.PAYMENT_DUE: [("ma_ho_so",), ("so_tien",)],
    Kind.RECEIPT_ISSUED: [("ma_ho_so",), ("so_bien_lai",)],
    Kind.BOOKING_REMINDER: [("ma_lich_hen",), ("ngay_hen",), ("gio_hen",)],
    Kind.VISIT_REMINDER: [("ma_lich_hen",), ("ngay_hen",), ("buoi",)],
}

# Spans an SMS never cuts: the variable carrying the code of each kind.
PROTECTED = ("ma_ho_so", "so_thu_tu", "ma_lich_hen", "so_bien_lai")

# Zalo ZNS template_data per kind: parameter → (variable, longest value the template takes).
ZNS_PARAMS: dict[str, dict[str, tuple[str, int]]] = {
    Kind.DOSSIER_RECEIVED: {
        "ma_ho_so": ("ma_ho_so", 30),
        "ten_thu_tuc": ("ten_thu_tuc", 100),
        "ngay_hen": ("ngay_hen", 20),
    },
    Kind.SUPPLEMENT_NEEDED: {"ma_ho_so": ("ma_ho_so", 30), "giay_to": ("giay_to", 200)},
    Kind.RESULT_READY: {"ma_ho_so": ("ma_ho_so", 30), "noi_nhan": ("noi_nhan_ngan", 200)},
    Kind.RESULT_DELIVERED: {"ma_ho_so": ("ma_ho_so", 30), "ngay_tra": ("ngay_tra", 20)},
    Kind.QUEUE_NEAR: {"so_thu_tu": ("so_thu_tu", 10), "con_lai": ("con_lai", 5)},
    Kind.QUEUE_CALLED: {"so_thu_tu": ("so_thu_tu", 10), "quay": ("quay", 10)},
    Kind.OVERDUE_APOLOGY: {
        "ma_ho_so": ("ma_ho_so", 30),
        "ngay_hen_cu": ("ngay_hen_cu", 20),
        "ngay_hen": ("ngay_hen", 20),
        "ly_do": ("ly_do", 200),
    },
    Kind.PAYMENT_DUE: {"ma_ho_so": ("ma_ho_so", 30), "so_tien": ("so_tien", 30)},
    Kind.RECEIPT_ISSUED: {
        "ma_ho_so": ("ma_ho_so", 30),
        "so_tien": ("so_tien", 30),
        "so_bien_lai": ("so_bien_lai", 30),
    },
    Kind.BOOKING_REMINDER: {
        "ma_lich_hen": ("ma_lich_hen", 20),
        "ngay_hen": ("ngay_hen", 20),
        "gio_hen": ("gio_hen", 10),
        "dia_diem": ("dia_diem", 100),
    },
    Kind.VISIT_REMINDER: {
        "ma_lich_hen": ("ma_lich_hen", 20),
        "ngay_hen": ("ngay_hen", 20),
        "buoi": ("buoi", 10),
        "dia_chi": ("dia_chi", 200),
    },
}

_GREETING = "Kính gửi {ho_ten},\n\n"
_RESULT_NOTE = "Khi nhận, Ông/Bà mang theo căn cước và giấy tiếp nhận hồ sơ, hẹn trả kết quả."

# kind → subject (e-mail), body (e-mail and Zalo OA), short (SMS before the SMS rules).
DEFAULTS: dict[str, dict[str, str]] = {
    Kind.DOSSIER_RECEIVED: {
        "subject": "Hồ sơ {ma_ho_so} đã được tiếp nhận",
        "body": _GREETING
        + "Bộ phận một cửa đã tiếp nhận hồ sơ «{ten_thu_tuc}» của Ông/Bà, mã hồ sơ {ma_ho_so}. "
        "Ngày hẹn trả kết quả: {ngay_hen}.\nTra cứu tình trạng hồ sơ: {tra_cuu}",
        "short": "Hồ sơ {ma_ho_so} đã được tiếp nhận, hẹn trả ngày {ngay_hen}.",
    },
    Kind.SUPPLEMENT_NEEDED: {
        "subject": "Hồ sơ {ma_ho_so} cần bổ sung giấy tờ",
        "body": _GREETING + "Hồ sơ {ma_ho_so} cần bổ sung các giấy tờ sau: {giay_to}.\n{ghi_chu}"
        "Ông/Bà vui lòng nộp bổ sung tại Bộ phận một cửa hoặc trực tuyến.",
        "short": "Hồ sơ {ma_ho_so} cần bổ sung: {giay_to}.",
    },
    Kind.RESULT_READY: {
        "subject": "Hồ sơ {ma_ho_so} đã có kết quả",
        "body": _GREETING + "Hồ sơ {ma_ho_so} đã có kết quả. {noi_nhan}\n" + _RESULT_NOTE,
        "short": "Hồ sơ {ma_ho_so} đã có kết quả. {noi_nhan_ngan}",
    },
    Kind.RESULT_DELIVERED: {
        "subject": "Hồ sơ {ma_ho_so} đã trả kết quả",
        "body": _GREETING + "Kết quả hồ sơ {ma_ho_so} đã được trả ngày {ngay_tra}. "
        "Cảm ơn Ông/Bà đã sử dụng dịch vụ; mời Ông/Bà đánh giá mức độ hài lòng trên cổng "
        "dịch vụ công.",
        "short": "Kết quả hồ sơ {ma_ho_so} đã được trả ngày {ngay_tra}. Cảm ơn Ông/Bà.",
    },
    Kind.QUEUE_NEAR: {
        "subject": "Số {so_thu_tu}: sắp đến lượt",
        "body": "Số thứ tự {so_thu_tu} ({dich_vu}): còn {con_lai} người trước Ông/Bà. "
        "Vui lòng có mặt gần quầy.",
        "short": "Số {so_thu_tu}: còn {con_lai} người trước Ông/Bà. Vui lòng có mặt gần quầy.",
    },
    Kind.QUEUE_CALLED: {
        "subject": "Số {so_thu_tu}: mời đến quầy {quay}",
        "body": "Đến lượt số thứ tự {so_thu_tu}: mời Ông/Bà đến quầy số {quay}.",
        "short": "Đến lượt số {so_thu_tu}: mời Ông/Bà đến quầy {quay}.",
    },
    Kind.OVERDUE_APOLOGY: {
        "subject": "Hồ sơ {ma_ho_so}: thư xin lỗi và hẹn lại ngày trả kết quả",
        "body": _GREETING
        + "Bộ phận một cửa xin lỗi Ông/Bà vì hồ sơ «{ten_thu_tuc}» (mã {ma_ho_so}) chưa thể "
        "trả kết quả đúng hẹn ngày {ngay_hen_cu}. Lý do: {ly_do}.\n"
        "Ngày hẹn trả kết quả mới: {ngay_hen}.\nTra cứu tình trạng hồ sơ: {tra_cuu}",
        "short": "Xin lỗi Ông/Bà: hồ sơ {ma_ho_so} chưa trả được đúng hẹn, hẹn lại ngày "
        "{ngay_hen}.",
    },
    Kind.PAYMENT_DUE: {
        "subject": "Hồ sơ {ma_ho_so}: mời nộp phí, lệ phí",
        "body": _GREETING
        + "Hồ sơ «{ten_thu_tuc}» (mã {ma_ho_so}) cần nộp phí, lệ phí: {so_tien}. Ông/Bà nộp "
        "tại Bộ phận một cửa, chuyển khoản theo mã VietQR hoặc thanh toán trực tuyến khi tra "
        "cứu hồ sơ: {tra_cuu}\nHồ sơ được tiếp tục giải quyết khi đã nộp đủ.",
        "short": "Hồ sơ {ma_ho_so} cần nộp phí, lệ phí {so_tien}. Nộp tại quầy hoặc trực tuyến "
        "khi tra cứu hồ sơ.",
    },
    Kind.RECEIPT_ISSUED: {
        "subject": "Hồ sơ {ma_ho_so}: biên lai thu phí, lệ phí",
        "body": _GREETING
        + "Bộ phận một cửa đã nhận {so_tien} phí, lệ phí của hồ sơ {ma_ho_so} ngày {ngay_nop}. "
        "Biên lai điện tử số {so_bien_lai}.\nTra cứu hồ sơ và biên lai: {tra_cuu}",
        "short": "Đã nhận {so_tien} cho hồ sơ {ma_ho_so}, biên lai số {so_bien_lai}.",
    },
    Kind.BOOKING_REMINDER: {
        "subject": "Nhắc lịch hẹn {ma_lich_hen} ngày {ngay_hen}",
        "body": _GREETING
        + "Bộ phận một cửa nhắc Ông/Bà lịch hẹn {ma_lich_hen} ({dich_vu}) lúc {gio_hen} ngày "
        "{ngay_hen} tại {dia_diem}. Khi đến, Ông/Bà lấy số bằng căn cước hoặc mã lịch hẹn.\n"
        "Nếu không đến được, vui lòng hủy lịch: {huy_lich}",
        "short": "Nhắc lịch hẹn {ma_lich_hen}: {gio_hen} ngày {ngay_hen} tại {dia_diem}.",
    },
    Kind.VISIT_REMINDER: {
        "subject": "Nhắc lịch cán bộ đến nhà {ma_lich_hen} ngày {ngay_hen}",
        "body": _GREETING
        + "Cán bộ bộ phận một cửa sẽ đến {dia_chi} buổi {buoi} ngày {ngay_hen} để tiếp nhận hồ "
        "sơ «{ten_thu_tuc}» (lịch hẹn {ma_lich_hen}). Ông/Bà vui lòng chuẩn bị căn cước và giấy "
        "tờ cần thiết.\nNếu cần đổi hoặc hủy lịch: {huy_lich}",
        "short": "Nhắc lịch {ma_lich_hen}: cán bộ đến nhà Ông/Bà buổi {buoi} ngày {ngay_hen}.",
    },
}

# Which part of DEFAULTS a template of each channel replaces.
CHANNEL_PART = {"email": "body", "sms": "short", "zalo": "body"}

_VAR = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Text:
    subject: str
    body: str  # e-mail
    short: str  # the SMS text before the rules of rules.sms_text
    oa: str = ""  # Zalo Official Account text
    protected: list[str] = field(default_factory=list)  # spans an SMS never cuts (codes)
    params: dict[str, Any] = field(default_factory=dict)  # Zalo ZNS template_data


def fill(template: str, values: dict[str, Any]) -> str:
    """`{name}` replaced by its value (only plain names: no attribute or index lookups)."""
    return _VAR.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def render(kind: str, ctx: dict[str, Any], custom: dict[str, Any] | None = None) -> Text:
    """The texts of one message of `kind` from its variables; `custom`: channel → template row
    (subject, body) replacing the default of that channel."""
    if kind not in DEFAULTS:
        raise ValueError(f"unknown kind {kind}")
    values = {name: str(ctx.get(name, "")) for name in VARIABLES[kind]}
    parts = dict(DEFAULTS[kind])
    oa = parts["body"]
    for channel, row in (custom or {}).items():
        if channel == "email":
            parts["subject"], parts["body"] = row.subject or parts["subject"], row.body
        elif channel == "sms":
            parts["short"] = row.body
        elif channel == "zalo":
            oa = row.body
    params = {
        param: values.get(var, "")[:limit] for param, (var, limit) in ZNS_PARAMS[kind].items()
    }
    return Text(
        subject=fill(parts["subject"], values),
        body=fill(parts["body"], values),
        short=fill(parts["short"], values),
        oa=fill(oa, values),
        protected=[values[p] for p in PROTECTED if values.get(p)],
        params=params,
    )


def template_errors(*, kind: str, channel: str, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with a template an office wrote (Vietnamese messages, per field)."""
    errors: dict[str, list[str]] = {}
    if kind not in VARIABLES:
        return {"kind": ["Loại thông báo không hợp lệ."]}
    if channel not in CHANNEL_PART:
        return {"channel": ["Kênh không hợp lệ."]}
    known = VARIABLES[kind]
    label = Kind(kind).label
    allowed = ", ".join("{" + n + "}" for n in known)
    fields = {"body": body or ""}
    if channel == "email":
        fields["subject"] = subject or ""
        if not (subject or "").strip():
            errors.setdefault("subject", []).append("Thư điện tử cần có tiêu đề.")
    elif (subject or "").strip():
        errors.setdefault("subject", []).append("Tiêu đề chỉ dùng cho thư điện tử.")
    if not (body or "").strip():
        errors.setdefault("body", []).append("Vui lòng nhập nội dung.")
    used: set[str] = set()
    for name, text in fields.items():
        for m in _VAR.finditer(text):
            var = m.group(1)
            if var not in known:
                errors.setdefault(name, []).append(
                    f"Biến {{{var}}} không dùng được cho loại «{label}». Các biến dùng được: "
                    f"{allowed}."
                )
            used.add(var)
        rest = _VAR.sub("", text)
        if "{" in rest or "}" in rest:
            errors.setdefault(name, []).append(
                "Dấu ngoặc nhọn chỉ dùng để viết biến, ví dụ {ma_ho_so}; "
                "mỗi dấu «{» phải có dấu «}» đi kèm."
            )
    for group in REQUIRED[kind]:
        if not used & set(group):
            names = " hoặc ".join("{" + n + "}" for n in group)
            errors.setdefault("body", []).append(f"Mẫu tin loại «{label}» phải có biến {names}.")
    return errors


def sms_preview(kind: str, body: str) -> dict[str, Any]:
    """How an SMS template goes out with example values: the text, its length and alphabet."""
    from motcua.notifications import rules

    samples = {name: sample for name, (_, sample) in VARIABLES.get(kind, {}).items()}
    text = fill(body, samples)
    protected = [samples[p] for p in PROTECTED if p in samples]
    link = "Hủy: https://dichvucong.example.vn/huy-dang-ky/1.sms:AbCdEfGhIjKlMnOpQrStUvWxYz/"
    sent = rules.sms_text(text, protected=protected, tail=link)
    return {
        "text": sent,
        "length": rules.gsm7_length(sent) if rules.is_gsm7(sent) else len(sent),
        "unicode": not rules.is_gsm7(sent),
        "cut": rules.ELLIPSIS in sent and rules.ELLIPSIS not in rules.fold(text),
    }
