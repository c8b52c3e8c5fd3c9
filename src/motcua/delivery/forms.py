"""Forms of the delivery staff page: the handover with proof, the parcel for the post."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms

from motcua.core.challenge import ChallengeField
from motcua.delivery.models import Method

# What the official types or draws at the citizen's door (the signature canvas fills
# `signature_data`; without script the signature can be a photo of the signed slip).
MAX_DATA_URL = 8_000_000


class HandoverForm(forms.Form):
    received_by_name = forms.CharField(label="Người ký nhận", max_length=200)
    signature_data = forms.CharField(
        required=False, max_length=MAX_DATA_URL, widget=forms.HiddenInput
    )
    signature_file = forms.FileField(
        label="Hoặc ảnh chữ ký trên phiếu nhận (nếu không ký được trên màn hình)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    photo = forms.FileField(
        label="Ảnh trao kết quả (không bắt buộc)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = (data.get("signature_data") or "").strip()
        signature = b""
        if raw:
            if raw.startswith("data:"):
                raw = raw.split(",", 1)[-1]
            try:
                signature = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                self.add_error(None, "Chữ ký trên màn hình không đọc được, vui lòng ký lại.")
        elif data.get("signature_file"):
            signature = data["signature_file"].read()
        if not signature and not self.errors:
            self.add_error(
                None, "Cần chữ ký của người nhận: ký vào khung trên màn hình hoặc chụp phiếu đã ký."
            )
        data["signature"] = signature
        data["photo_bytes"] = data["photo"].read() if data.get("photo") else b""
        return data


class ShipForm(forms.Form):
    weight_grams = forms.IntegerField(
        label="Khối lượng bưu gửi (gam)",
        min_value=1,
        max_value=30000,
        initial=200,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class TaskFilterForm(forms.Form):
    method = forms.ChoiceField(
        label="Cách trả", required=False, choices=[("", "Tất cả")] + list(Method.choices)
    )
    state = forms.ChoiceField(
        label="Tình trạng",
        required=False,
        choices=[
            ("open", "Đang chờ trả"),
            ("failed", "Bưu điện chuyển hoàn"),
            ("shipped", "Đã gửi bưu điện, chưa phát"),
        ],
    )
    q = forms.CharField(label="Mã hồ sơ hoặc tên người nhận", required=False, max_length=100)


class PublicChoiceForm(forms.Form):
    """The citizen chooses online how to get the result (the public lookup, once verified)."""

    code = forms.CharField(max_length=60, widget=forms.HiddenInput)
    verify = forms.CharField(max_length=4, widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label="Cách nhận kết quả", choices=Method.choices, widget=forms.RadioSelect
    )
    address = forms.CharField(
        label="Địa chỉ nhận kết quả (khi nhận tại nhà hoặc qua bưu chính)",
        required=False,
        max_length=300,
        help_text="Để trống để dùng địa chỉ đã khai khi nộp hồ sơ.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    phone = forms.CharField(
        label="Số điện thoại của người nhận (không bắt buộc)",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
    )
    child_name = forms.CharField(
        label="Tên của bé (để ghi trên thiệp chúc mừng, không bắt buộc)",
        required=False,
        max_length=200,
    )
    consent = forms.BooleanField(
        label=(
            "Tôi đồng ý để cơ quan dùng địa chỉ và số điện thoại trên đây để trả kết quả tại nhà "
            "hoặc gửi qua bưu chính (Nghị định 13/2023/NĐ-CP)."
        ),
        required=False,
    )
    altcha = ChallengeField()  # proof of work, used up when the form is cleaned

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("method") in (Method.HOME, Method.POST) and not data.get("consent"):
            self.add_error(
                "consent", "Vui lòng đồng ý việc dùng địa chỉ, số điện thoại để trả kết quả."
            )
        return data
