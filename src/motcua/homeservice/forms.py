"""Forms of the home-visit pages (public booking, status, the desk's booking, dispatch)."""

from __future__ import annotations

from typing import Any

from django import forms

from motcua.core.challenge import ChallengeField
from motcua.homeservice.models import Eligibility, HalfDay
from motcua.notifications.forms import NotifyChoiceForm


class VisitForm(forms.Form):
    """A home-visit request: where, which procedure, who, when, what the person needs."""

    unit = forms.ChoiceField(label="Phường, xã nơi ở")
    procedure = forms.ChoiceField(label="Thủ tục cần làm")
    eligibility = forms.ChoiceField(
        label="Người cần phục vụ tại nhà là",
        choices=Eligibility.choices,
        widget=forms.RadioSelect,
    )
    full_name = forms.CharField(
        label="Họ và tên người làm thủ tục",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.RegexField(
        label="Số định danh cá nhân (CCCD) của người làm thủ tục",
        regex=r"^\d{12}$",
        error_messages={"invalid": "Số CCCD phải gồm đúng 12 chữ số."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "maxlength": "12", "autocomplete": "off"}
        ),  # fmt: skip
    )
    phone = forms.CharField(
        label="Số điện thoại liên hệ",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
    )
    address = forms.CharField(
        label="Địa chỉ nơi cán bộ đến (số nhà, ngõ, tổ dân phố)",
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    date = forms.DateField(
        label="Ngày mong muốn", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )  # fmt: skip
    half_day = forms.ChoiceField(
        label="Buổi", choices=HalfDay.choices, widget=forms.RadioSelect, initial=HalfDay.MORNING
    )
    needs = forms.CharField(
        label="Cần hỗ trợ gì khi cán bộ đến (xe lăn, nghe kém, người phiên dịch…)",
        max_length=300,
        required=False,
    )

    def __init__(self, *args: Any, units: list[Any], procedures: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]  # type: ignore[attr-defined]
        self.fields["procedure"].choices = [  # type: ignore[attr-defined]
            (v.procedure.code, v.name) for v in procedures
        ]


class PublicVisitForm(VisitForm, NotifyChoiceForm):
    consent = forms.BooleanField(
        label=(
            "Tôi đồng ý để cơ quan dùng số CCCD, họ tên, số điện thoại và địa chỉ trên đây để bố "
            "trí cán bộ đến nhà và liên hệ về lịch hẹn này (Nghị định 13/2023/NĐ-CP)."
        ),
        error_messages={"required": "Vui lòng đồng ý việc sử dụng thông tin cá nhân."},
    )
    altcha = ChallengeField()


class DeskVisitForm(VisitForm, NotifyChoiceForm):
    """The guidance desk's form: the caller's channels, asked with their own consent."""


class VisitLookupForm(forms.Form):
    code = forms.CharField(
        label="Mã lịch hẹn",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "TN-XXXXXX"}),
    )
    verify = forms.CharField(
        label="4 số cuối CCCD hoặc 4 số cuối số điện thoại đã đăng ký",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    cancel = forms.BooleanField(required=False, widget=forms.HiddenInput)
