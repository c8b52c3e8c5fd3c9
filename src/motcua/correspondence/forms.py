"""Forms of the back-office pages of the document registers."""

from __future__ import annotations

from typing import Any

from django import forms

from motcua.correspondence.models import Secrecy, Urgency
from motcua.correspondence.rules import DOC_TYPE_CHOICES

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label="Loại văn bản", choices=DOC_TYPE_CHOICES, initial="CV")
    summary = forms.CharField(
        label="Trích yếu nội dung", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    signer_name = forms.CharField(label="Người ký", max_length=200)
    signer_title = forms.CharField(label="Chức vụ người ký", max_length=200, required=False)
    issued_on = forms.DateField(
        label="Ngày ban hành (để trống: hôm nay)",
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    urgency = forms.ChoiceField(label="Độ khẩn", choices=Urgency.choices, initial=Urgency.NORMAL)
    secrecy = forms.ChoiceField(label="Độ mật", choices=Secrecy.choices, initial=Secrecy.NORMAL)
    recipients = forms.CharField(
        label="Nơi nhận", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    drafter_abbr = forms.CharField(
        label="Viết tắt đơn vị soạn thảo (công văn: UBND-VP)", required=False, max_length=20
    )
    pdf = forms.FileField(
        label="Bản chính (PDF)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    attachment = forms.FileField(
        label="Tệp đính kèm (PDF, JPEG, PNG)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class SendForm(forms.Form):
    units = forms.MultipleChoiceField(
        label="Đơn vị nhận trong hệ thống", required=False, widget=forms.CheckboxSelectMultiple
    )
    others = forms.CharField(
        label="Mã định danh cơ quan ngoài hệ thống (cách nhau bởi dấu phẩy)",
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = [(u.code, u.name) for u in units]  # type: ignore[attr-defined]

    def codes(self) -> list[str]:
        extra = [c.strip() for c in self.cleaned_data.get("others", "").split(",") if c.strip()]
        return list(self.cleaned_data.get("units", [])) + extra


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Người xử lý")
    due_on = forms.DateField(
        label="Hạn xử lý",
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    instruction = forms.CharField(label="Ý kiến phân công", required=False, max_length=500)

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "— Chọn cán bộ —")] + [  # type: ignore[attr-defined]
            (u.username, u.full_name or u.username) for u in staff
        ]


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Tìm (số, ký hiệu, trích yếu, người ký, nơi gửi…; có hoặc không dấu)",
        required=False,
        max_length=200,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Lý do", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaperForm(forms.Form):
    """A paper document brought or posted to the desk, registered with its scan."""

    issuer_name = forms.CharField(label="Cơ quan gửi", max_length=200)
    number_notation = forms.CharField(label="Số, ký hiệu của văn bản", max_length=80)
    doc_type = forms.ChoiceField(label="Loại văn bản", choices=DOC_TYPE_CHOICES, initial="CV")
    issued_on = forms.DateField(
        label="Ngày ban hành",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    summary = forms.CharField(
        label="Trích yếu nội dung", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    signer_name = forms.CharField(label="Người ký", max_length=200, required=False)
    urgency = forms.ChoiceField(label="Độ khẩn", choices=Urgency.choices, initial=Urgency.NORMAL)
    secrecy = forms.ChoiceField(label="Độ mật", choices=Secrecy.choices, initial=Secrecy.NORMAL)
    scan = forms.FileField(
        label="Bản quét văn bản giấy (PDF, JPEG, PNG)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
