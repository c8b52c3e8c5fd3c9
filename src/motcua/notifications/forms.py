"""Form fields for the citizen's choice of channels, shared by the pages that ask it."""

from __future__ import annotations

from typing import Any

from django import forms

CHANNEL_CHOICES = [("sms", "Tin nhắn SMS"), ("email", "Thư điện tử"), ("zalo", "Zalo")]


class NotifyChoiceForm(forms.Form):
    """Optional: which channels, with their own consent (separate from the booking's)."""

    notify_consent = forms.BooleanField(
        label=(
            "Đồng ý nhận thông báo về lịch hẹn và hồ sơ của mình (nhắc lịch trước một ngày, "
            "tiếp nhận, bổ sung, kết quả, phí và lệ phí) qua các kênh chọn dưới đây "
            "(Nghị định 13/2023/NĐ-CP)."
        ),
        required=False,
    )
    notify_channels = forms.MultipleChoiceField(
        label="Kênh nhận thông báo",
        choices=CHANNEL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Không chọn kênh nào: tin nhắn SMS đến số điện thoại trên.",
    )
    notify_email = forms.EmailField(
        label="Địa chỉ thư điện tử (nếu chọn nhận qua thư)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Địa chỉ thư điện tử không hợp lệ."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("notify_channels") or []
        if data.get("notify_consent") and "email" in chosen and not data.get("notify_email"):
            self.add_error(
                "notify_email", "Vui lòng nhập địa chỉ thư điện tử để nhận thông báo qua thư."
            )
        return data


def notify_choice_record(
    form: forms.Form, *, citizen: Any, phone: str, actor: Any = None, source: str = "booking"
) -> Any:
    """Record the choice of a valid form with these fields (inside the booking's transaction);
    None when the citizen did not agree. Staff pages pass themselves as `actor` (they read the
    consent out to the caller and record their answer)."""
    if not form.cleaned_data.get("notify_consent"):
        return None
    from motcua.notifications.services import contact_preference_record

    return contact_preference_record(
        citizen=citizen,
        consent=True,
        channels=list(form.cleaned_data.get("notify_channels") or []) or None,
        phone=phone,
        email=form.cleaned_data.get("notify_email") or "",
        source=source,
        actor=actor,
    )
