"""Forms of the delivery staff page: the handover with proof, the parcel for the post."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms

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
