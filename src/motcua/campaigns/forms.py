"""Forms of the campaign pages (staff) and the subscription page (citizens)."""

from __future__ import annotations

from typing import Any

from django import forms

from motcua.campaigns.models import Channel, LinkKind, SubChannel
from motcua.core.challenge import ChallengeField


class CampaignForm(forms.Form):
    unit = forms.ChoiceField(label="Đơn vị")
    title = forms.CharField(label="Tiêu đề", max_length=150)
    text = forms.CharField(
        label="Nội dung",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Văn bản thuần, mỗi đoạn một dòng; tối đa 5.000 ký tự.",
    )
    image = forms.FileField(
        label="Ảnh (JPEG hoặc PNG, tối đa 5 MB; không bắt buộc)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    image_alt = forms.CharField(
        label="Mô tả ảnh cho người khiếm thị", max_length=200, required=False
    )
    link_kind = forms.ChoiceField(label="Liên kết tới", choices=LinkKind.choices)
    link_target = forms.CharField(
        label="Mã thủ tục, mã bộ phận một cửa hoặc đường dẫn tin bài",
        max_length=120,
        required=False,
        help_text="Ví dụ: 1.001193 (thủ tục), ha-dong (đặt lịch tại bộ phận), "
        "ten-tin-bai (tin bài). Để trống với trang đặt lịch chung.",
    )
    field = forms.ChoiceField(
        label="Lĩnh vực (gửi thêm cho người đăng ký lĩnh vực này)", required=False
    )
    channels = forms.MultipleChoiceField(
        label="Kênh đăng",
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[c.value for c in Channel],
    )
    when = forms.ChoiceField(
        label="Thời điểm đăng",
        choices=[("draft", "Lưu nháp"), ("now", "Đăng ngay"), ("later", "Hẹn giờ đăng")],
        widget=forms.RadioSelect,
        initial="now",
    )
    at = forms.DateTimeField(
        label="Hẹn đăng lúc (dd/mm/yyyy hh:mm)",
        required=False,
        input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        from motcua.catalog.models import Field

        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]  # type: ignore[attr-defined]
        self.fields["field"].choices = [("", "— Không chọn —")] + [  # type: ignore[attr-defined]
            (f.code, f.name) for f in Field.objects.order_by("name")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "later" and not data.get("at"):
            self.add_error("at", "Vui lòng chọn thời điểm hẹn đăng.")
        return data


class SubscribeForm(forms.Form):
    channel = forms.ChoiceField(
        label="Nhận tin qua", choices=SubChannel.choices, widget=forms.RadioSelect, initial="email"
    )
    address = forms.CharField(
        label="Địa chỉ thư điện tử hoặc số điện thoại dùng Zalo",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )
    topic = forms.ChoiceField(label="Nhận tin của")
    consent = forms.BooleanField(
        label=(
            "Tôi đồng ý để bộ phận một cửa dùng địa chỉ trên chỉ để gửi thông tin cải cách hành "
            "chính và thông báo của đơn vị, lĩnh vực đã chọn; tôi có thể hủy bất cứ lúc nào "
            "(Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân)."
        ),
        error_messages={"required": "Vui lòng đồng ý để nhận tin."},
    )
    altcha = ChallengeField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from motcua.catalog.models import Field
        from motcua.org.models import Unit, UnitLevel

        super().__init__(*args, **kwargs)
        wards = (
            Unit.objects.current()
            .filter(level__in=[UnitLevel.WARD, UnitLevel.COMMUNE, UnitLevel.TOWN])
            .order_by("name")
        )
        self.fields["topic"].choices = [  # type: ignore[attr-defined]
            ("Phường, xã", [(f"unit:{u.code}", u.name) for u in wards]),
            ("Lĩnh vực", [(f"field:{f.code}", f.name) for f in Field.objects.order_by("name")]),
        ]
