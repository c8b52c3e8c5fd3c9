"""Django forms of the back-office dossier pages (reception, search, actions, ledger)."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from motcua.catalog.models import Channel
from motcua.core.dates import DateTextField, DateTextInput
from motcua.delivery.models import Method as DeliveryMethod
from motcua.dossiers.workflow import STATUS_LABELS
from motcua.org.models import Sex, Unit

# Online dossiers come from the portal; the counter receives these.
COUNTER_CHANNELS = [(c.value, c.label) for c in Channel if c != Channel.ONLINE]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several scans in one input (Django 5 pattern: clean each file)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReceiveForm(forms.Form):
    """Counter reception: citizen, papers ticked from the catalogue version, scans, channel, fees."""

    procedure = forms.CharField(widget=forms.HiddenInput)
    ticket = forms.CharField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label="Hình thức tiếp nhận", choices=COUNTER_CHANNELS, initial=Channel.DIRECT
    )
    # A dossier that came by post (channel post): the parcel's waybill number (motcua.delivery).
    post_waybill = forms.CharField(
        label="Số vận đơn của bưu gửi (hồ sơ đến qua bưu chính công ích)",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    id_number = forms.RegexField(
        label="Số định danh cá nhân (CCCD)",
        regex=r"^\d{12}$",
        max_length=12,
        error_messages={"invalid": "Số định danh cá nhân phải gồm đúng 12 chữ số."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    full_name = forms.CharField(label="Họ và tên", max_length=200)
    date_of_birth = DateTextField(
        label="Ngày sinh (ngày/tháng/năm)",
        required=False,
        widget=DateTextInput(attrs={"autocomplete": "bday"}),
    )
    sex = forms.ChoiceField(
        label="Giới tính", choices=[("", "—")] + list(Sex.choices), required=False
    )
    phone = forms.CharField(label="Số điện thoại", max_length=20, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    address = forms.CharField(label="Địa chỉ", max_length=300, required=False)
    papers = forms.TypedMultipleChoiceField(
        label="Thành phần hồ sơ đã nhận",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Computed from the catalogue (channel, pages/copies, exemption) and frozen on the dossier: shown,
    # never typed (the receipt slip charges what the law charges).
    fees_due = forms.IntegerField(
        label="Phí, lệ phí phải nộp (đồng)", min_value=0, initial=0, required=False, disabled=True
    )
    time_case = forms.ChoiceField(label="Trường hợp giải quyết", required=False)
    pages = forms.IntegerField(
        label="Số trang của bản chính",
        min_value=1,
        max_value=100000,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    copies = forms.IntegerField(
        label="Số bản sao",
        min_value=1,
        max_value=100000,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    exemption = forms.ChoiceField(label="Đối tượng miễn, giảm phí, lệ phí", required=False)
    exemption_proof = forms.CharField(
        label="Giấy tờ chứng minh đã kiểm tra", max_length=300, required=False
    )
    scans = MultipleFileField(
        label="Bản quét đính kèm (PDF, JPEG, PNG; tối đa 10 MB mỗi tệp)", required=False
    )
    notes = forms.CharField(
        label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # How the citizen gets the result (motcua.delivery), recorded with the reception.
    delivery_method = forms.ChoiceField(
        label="Cách nhận kết quả",
        choices=DeliveryMethod.choices,
        initial=DeliveryMethod.COUNTER,
        required=False,
        widget=forms.RadioSelect,
    )
    delivery_address = forms.CharField(
        label="Địa chỉ nhận kết quả (để trống: dùng địa chỉ của công dân)",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    # Messages about this dossier (motcua.notifications): only with the citizen's consent.
    notify_consent = forms.BooleanField(
        label=(
            "Công dân đồng ý nhận thông báo về hồ sơ (tiếp nhận, bổ sung, có kết quả) qua các kênh "
            "chọn dưới đây, theo quy định về bảo vệ dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP)."
        ),
        required=False,
    )
    notify_channels = forms.MultipleChoiceField(
        label="Kênh nhận thông báo",
        choices=[
            ("sms", "Tin nhắn SMS"),
            ("email", "Thư điện tử"),
            ("zalo", "Zalo"),
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Không chọn kênh nào: gửi tin nhắn SMS đến số điện thoại trên.",
    )

    def __init__(
        self, *args: Any, version: Any = None, channels: list[str] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        papers = list(getattr(version, "papers", None) or [])
        self.fields["papers"].choices = [  # type: ignore[attr-defined]
            (
                i,
                p.get("name", "")
                + (" (bắt buộc)" if p.get("required", True) else " (không bắt buộc)"),
            )
            for i, p in enumerate(papers)
        ]
        from motcua.catalog.fees import (
            FeeError,
            exemptions_of,
            fee_compute,
            fee_describe,
            quantity_keys,
        )

        fees = list(getattr(version, "fees", None) or [])
        # What the law charges at the counter for one page, one copy, no exemption.
        with contextlib.suppress(FeeError):
            self.fields["fees_due"].initial = fee_compute(fees, channel="direct").total
        self.fee_lines = [{**line, "rate": fee_describe(line)} for line in fees]
        self.quantity_keys = quantity_keys(fees)
        for key in ("pages", "copies"):
            if key in self.quantity_keys:
                self.fields[key].required = True
                self.fields[key].initial = 1
            else:
                del self.fields[key]
        exemptions = exemptions_of(fees)
        if exemptions:
            self.fields["exemption"].choices = [("", "Không thuộc đối tượng miễn, giảm")] + [  # type: ignore[attr-defined]
                (e["code"], f"{e['group']} ({e['basis']})") for e in exemptions
            ]
            self.exemption_proofs = {e["code"]: e.get("proof", "") for e in exemptions}
        else:
            del self.fields["exemption"], self.fields["exemption_proof"]
            self.exemption_proofs = {}
        cases = list(getattr(version, "time_cases", None) or [])
        if cases:
            self.fields["time_case"].choices = [(c["code"], c["label"]) for c in cases]  # type: ignore[attr-defined]
            self.fields["time_case"].required = True
            self.fields["time_case"].initial = cases[0]["code"]
        else:
            del self.fields["time_case"]
        if channels:
            allowed = [
                (v, label) for v, label in COUNTER_CHANNELS if v in channels or v == Channel.HOME
            ]
            self.fields["channel"].choices = allowed or COUNTER_CHANNELS  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("exemption") and not (data.get("exemption_proof") or "").strip():
            self.add_error(
                "exemption_proof",
                "Cần ghi giấy tờ chứng minh thuộc đối tượng miễn, giảm đã kiểm tra.",
            )
        waybill = "".join((data.get("post_waybill") or "").split()).upper()
        data["post_waybill"] = waybill
        if waybill and data.get("channel") != Channel.POST:
            self.add_error(
                "post_waybill", "Chỉ ghi số vận đơn khi hồ sơ đến qua bưu chính công ích."
            )
        method = data.get("delivery_method") or DeliveryMethod.COUNTER
        data["delivery_method"] = method
        if method != DeliveryMethod.COUNTER and not (
            (data.get("delivery_address") or "").strip() or (data.get("address") or "").strip()
        ):
            self.add_error(
                "delivery_address",
                "Cần địa chỉ nhận kết quả khi trả tận nhà hoặc qua bưu chính.",
            )
        return data

    def clean_scans(self) -> list[UploadedFile]:
        from motcua.dossiers.services import MAX_ATTACHMENT_BYTES, sniff_content_type

        files = self.cleaned_data.get("scans") or []
        for f in files:
            if f.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(f"Tệp «{f.name}» vượt quá 10 MB.")
            head = f.read(16)
            f.seek(0)
            # The extension and the browser's content type can lie; the first bytes cannot.
            if sniff_content_type(head) is None:
                raise forms.ValidationError(
                    f"Tệp «{f.name}» không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung)."
                )
        return files


class QrForm(forms.Form):
    qr = forms.CharField(
        label="Dữ liệu mã QR trên thẻ căn cước",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Quét mã QR trên thẻ căn cước vào đây"}
        ),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Tìm nhanh", required=False)
    code = forms.CharField(label="Mã hồ sơ", required=False)
    id_number = forms.CharField(label="Số định danh", required=False)
    name = forms.CharField(label="Họ tên (không cần dấu)", required=False)
    procedure = forms.CharField(label="Mã thủ tục", required=False)
    status = forms.TypedChoiceField(
        label="Trạng thái",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Tất cả")] + [(int(s), label) for s, label in STATUS_LABELS.items()],
    )
    date_from = DateTextField(label="Nhận từ ngày", required=False)
    date_to = DateTextField(label="đến ngày", required=False)

    def is_search(self) -> bool:
        return self.is_valid() and any(v not in (None, "") for v in self.cleaned_data.values())


class AttachForm(forms.Form):
    scans = MultipleFileField(label="Thêm bản quét (PDF, JPEG, PNG)")

    clean_scans = ReceiveForm.clean_scans


class LedgerForm(forms.Form):
    unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Đơn vị", queryset=Unit.objects.none(), empty_label=None
    )
    date_from = DateTextField(label="Từ ngày")
    date_to = DateTextField(label="Đến ngày")

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("Ngày bắt đầu phải trước ngày kết thúc.")
        return data
