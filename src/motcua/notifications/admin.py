from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from motcua.notifications import texts
from motcua.notifications.models import ContactPreference, MessageTemplate, Notification


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = (
        "citizen",
        "channels",
        "stopped",
        "consent_at",
        "consent_source",
        "appointments_only",
    )
    search_fields = ("citizen__id_number", "citizen__full_name", "phone", "email")
    raw_id_fields = ("citizen", "recorded_by")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "channel", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "channel", "kind")
    search_fields = ("dossier__code", "recipient")
    raw_id_fields = ("citizen", "unit", "dossier", "ticket")
    readonly_fields = [f.name for f in Notification._meta.fields]


SMS_RULES = (
    "Tin SMS: giữ tiếng Việt có dấu khi cả tin (kèm đường dẫn hủy nhận tin) vừa một tin 70 ký "
    "tự; nếu dài hơn, tin được gửi không dấu (một tin 160 ký tự) và rút gọn ở ranh giới từ, "
    "không bao giờ cắt giữa mã hồ sơ, số thứ tự hay mã lịch hẹn. Đường dẫn hủy nhận tin luôn "
    "được giữ nguyên."
)


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["kind", "channel", "subject", "body", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "cols": 80})}


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """The office's wording per kind and channel; variables checked on save (model clean)."""

    form = MessageTemplateForm
    list_display = ("kind", "channel", "active", "updated_at", "updated_by")
    list_filter = ("channel", "active", "kind")
    readonly_fields = ("variables", "default_text", "sms_check", "updated_at", "updated_by")
    fieldsets = [
        (None, {"fields": ["kind", "channel", "subject", "body", "active"]}),
        ("Hướng dẫn", {"fields": ["variables", "default_text", "sms_check"]}),
        ("Cập nhật", {"fields": ["updated_at", "updated_by"]}),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """`?kind=…&channel=…` starts from the default wording of that kind and channel."""
        initial = super().get_changeform_initial_data(request)
        kind, channel = request.GET.get("kind", ""), request.GET.get("channel", "")
        if kind in texts.DEFAULTS and channel in texts.CHANNEL_PART:
            initial["body"] = texts.DEFAULTS[kind][texts.CHANNEL_PART[channel]]
            if channel == "email":
                initial["subject"] = texts.DEFAULTS[kind]["subject"]
        return initial

    @admin.display(description="Các biến dùng được")
    def variables(self, obj: MessageTemplate | None) -> str:
        if obj is None or not obj.kind:
            return "Chọn loại thông báo và lưu để xem các biến của loại đó."
        rows = texts.VARIABLES.get(obj.kind, {})
        required = {n for group in texts.REQUIRED.get(obj.kind, []) for n in group}
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>{{{}}}</code>: {}{}</li>",
                (
                    (name, label, " (bắt buộc)" if name in required else "")
                    for name, (label, _) in rows.items()
                ),
            ),
        )

    @admin.display(description="Nội dung mặc định")
    def default_text(self, obj: MessageTemplate | None) -> str:
        if obj is None or obj.kind not in texts.DEFAULTS:
            return "—"
        part = texts.CHANNEL_PART.get(obj.channel, "body")
        return format_html("<pre>{}</pre>", texts.DEFAULTS[obj.kind][part])

    @admin.display(description="Quy tắc và ví dụ tin SMS")
    def sms_check(self, obj: MessageTemplate | None) -> str:
        if obj is None or obj.channel != "sms" or not obj.body:
            return SMS_RULES
        p = texts.sms_preview(obj.kind, obj.body)
        alphabet = "có dấu (Unicode, tối đa 70 ký tự)" if p["unicode"] else "không dấu (tối đa 160)"
        cut = " Nội dung bị rút gọn: nên viết ngắn hơn." if p["cut"] else ""
        return format_html(
            "{}<br>Ví dụ tin gửi đi, {} ký tự, {}:{}<pre>{}</pre>",
            SMS_RULES,
            p["length"],
            alphabet,
            cut,
            p["text"],
        )

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        obj.updated_by = request.user if request.user.is_authenticated else None  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
