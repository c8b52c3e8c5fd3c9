"""Forms of the public portal and its back-office pages."""

from __future__ import annotations

from django import forms

from motcua.core.challenge import ChallengeField
from motcua.notifications.forms import NotifyChoiceForm
from motcua.portal.models import INDICATOR_LEVELS, INDICATORS, SatisfactionLevel


class LookupForm(forms.Form):
    code = forms.CharField(
        label="Mã hồ sơ hoặc mã tham chiếu nộp trực tuyến",
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    verify = forms.RegexField(
        label="4 số cuối CCCD hoặc số điện thoại",
        regex=r"^\d{4}$",
        error_messages={"invalid": "Vui lòng nhập đúng 4 chữ số."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": "4",
                "pattern": r"\d{4}",
            }
        ),
    )


class CommentForm(forms.Form):
    name = forms.CharField(label="Họ tên (hiển thị)", max_length=100)
    body = forms.CharField(
        label="Nội dung bình luận", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    altcha = ChallengeField()


class AnnouncementForm(forms.Form):
    title = forms.CharField(label="Tiêu đề", max_length=300)
    summary = forms.CharField(label="Tóm tắt (không bắt buộc)", max_length=300, required=False)
    body = forms.CharField(
        label="Nội dung",
        widget=forms.Textarea(attrs={"rows": 14, "class": "rte-source"}),
        help_text="Cho phép định dạng cơ bản: đoạn văn, đậm, nghiêng, danh sách, liên kết, bảng. Mã lệnh (script) bị loại bỏ khi lưu.",
    )
    publish = forms.BooleanField(label="Đăng ngay", required=False, initial=True)


class ServiceRatingForm(forms.Form):
    level = forms.ChoiceField(
        label="Mức độ hài lòng", choices=SatisfactionLevel.choices, widget=forms.RadioSelect
    )
    verify = forms.CharField(
        label="4 số cuối CCCD hoặc số điện thoại", max_length=40, required=False
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for key, label in INDICATORS:
            self.fields[f"ind_{key}"] = forms.TypedChoiceField(
                label=label,
                choices=[
                    ("", "Không đánh giá"),
                    *[(str(v), f"{t} ({v} điểm)") for v, t in INDICATOR_LEVELS],
                ],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def indicator_fields(self) -> list[forms.BoundField]:
        return [self[f"ind_{key}"] for key, _ in INDICATORS]

    def indicators(self) -> dict[str, int]:
        return {
            key: self.cleaned_data[f"ind_{key}"]
            for key, _ in INDICATORS
            if self.cleaned_data.get(f"ind_{key}") is not None
        }


class BookingForm(NotifyChoiceForm):
    """The citizen's details for an appointment (the slot itself comes from the chosen links)."""

    id_number = forms.RegexField(
        label="Số định danh cá nhân (CCCD)",
        regex=r"^\d{12}$",
        error_messages={"invalid": "Số CCCD phải gồm đúng 12 chữ số."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "12"}
        ),
    )
    full_name = forms.CharField(
        label="Họ và tên (như trên thẻ căn cước)",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label="Số điện thoại di động",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    consent = forms.BooleanField(
        label=(
            "Tôi đồng ý để bộ phận một cửa sử dụng số CCCD, họ tên và số điện thoại trên đây để "
            "đặt lịch hẹn, nhận diện khi tôi đến lấy số và liên hệ về lịch hẹn này, theo quy định "
            "về bảo vệ dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP)."
        ),
        error_messages={"required": "Vui lòng đồng ý việc sử dụng thông tin cá nhân để đặt lịch."},
    )
    altcha = ChallengeField()

    def clean_id_number(self) -> str:
        return self.cleaned_data["id_number"].strip()


class BookingCancelForm(forms.Form):
    code = forms.CharField(
        label="Mã lịch hẹn",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "LH-XXXXXX"}
        ),
    )
    verify = forms.CharField(
        label="4 số cuối CCCD hoặc số điện thoại đã đăng ký",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(label="Lý do hủy (không bắt buộc)", max_length=200, required=False)
