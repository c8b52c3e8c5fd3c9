from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from motcua.documents.models import FormTemplate
from motcua.documents.services import form_template_activate


@admin.register(FormTemplate)
class FormTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "paper", "version", "valid_from", "is_active", "updated_at")
    list_filter = ("code", "is_active")
    search_fields = ("name", "legal_basis")
    actions = ["activate"]

    @admin.action(description="Dùng phiên bản đã chọn (thôi dùng phiên bản cũ cùng mã)")
    def activate(self, request: HttpRequest, queryset: QuerySet[FormTemplate]) -> None:
        for template in queryset:
            form_template_activate(template_id=template.pk, actor=request.user)
        messages.success(request, "Đã cập nhật phiên bản biểu mẫu đang dùng.")
