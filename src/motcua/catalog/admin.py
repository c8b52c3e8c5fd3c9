"""Admin of the catalogue: published versions are read-only; changes go through a new draft version."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from motcua.catalog.models import Field, Procedure, ProcedureVersion
from motcua.catalog.services import (
    catalog_export,
    catalog_import,
    catalog_parse_json,
    procedure_data_clean,
    procedure_version_as_dict,
    procedure_version_copy,
    procedure_version_publish,
)
from motcua.core.errors import DomainError
from motcua.core.services import audit_record

CONTENT_FIELDS = [
    "name", "field", "level", "time_unit", "time_value", "cutoff", "time_cases", "fees", "papers",
    "result_paper", "legal_basis", "channels", "holiday_duty", "forms", "conditions", "steps",
    "agency", "consultations", "decision", "valid_from", "note",
]  # fmt: skip


def _export_response(data: list[dict[str, Any]], filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["version", "name", "field", "time_unit", "time_value", "is_published", "created_at"]
    readonly_fields = [
        "version",
        "name",
        "field",
        "time_unit",
        "time_value",
        "is_published",
        "created_at",
    ]
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-version"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ImportForm(forms.Form):
    file = forms.FileField(label="Tệp JSON danh mục thủ tục")
    publish = forms.BooleanField(
        label="Công bố ngay các phiên bản mới", required=False, initial=True
    )


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "current_name", "version_count"]
    search_fields = ["code", "versions__name"]
    inlines = [VersionInline]
    actions = ["export_json"]
    change_list_template = "admin/catalog/procedure/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Procedure]:
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description="tên (phiên bản đang áp dụng)")
    def current_name(self, obj: Procedure) -> str:
        published = [v for v in obj.versions.all() if v.is_published]
        return max(published, key=lambda v: v.version).name if published else "— chưa công bố —"

    @admin.display(description="số phiên bản")
    def version_count(self, obj: Procedure) -> int:
        return len(obj.versions.all())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The national code is the identity dossiers refer to: fixed once created.
        return ["code"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Xuất JSON (phiên bản đang áp dụng)")
    def export_json(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> HttpResponse:
        codes = set(queryset.values_list("code", flat=True))
        return _export_response([d for d in catalog_export() if d["code"] in codes], "thu-tuc.json")

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "nhap-json/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_procedure_import",
            ),
            path(
                "xuat-json/",
                self.admin_site.admin_view(self.export_view),
                name="catalog_procedure_export",
            ),
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _export_response(catalog_export(), "danh-muc-thu-tuc.json")

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            messages.error(request, "Bạn không có quyền nhập danh mục thủ tục.")
            return HttpResponseRedirect(reverse("admin:catalog_procedure_changelist"))
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                data = catalog_parse_json(form.cleaned_data["file"].read())
                result = catalog_import(
                    data=data, actor=request.user, publish=form.cleaned_data["publish"]
                )
            except DomainError as exc:
                details = [e["message"] for e in exc.extra.get("errors", [])[:20]]
                messages.error(request, " ".join([exc.message, *details[1:]]))
            else:
                messages.success(request, result.summary())
                return HttpResponseRedirect(reverse("admin:catalog_procedure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Nhập danh mục thủ tục từ JSON",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/catalog/procedure/import.html", context)


class VersionForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = ["procedure", *CONTENT_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or "field" not in cleaned or self.instance.is_published:
            return cleaned
        data = {key: cleaned.get(key) for key in CONTENT_FIELDS}
        data["field"] = {"code": cleaned["field"].code, "name": cleaned["field"].name}
        data["cutoff"] = cleaned["cutoff"].strftime("%H:%M") if cleaned.get("cutoff") else None
        data["valid_from"] = (
            cleaned["valid_from"].isoformat() if cleaned.get("valid_from") else None
        )
        for key in (
            "fees", "papers", "legal_basis", "channels", "forms", "time_cases", "consultations",
        ):  # fmt: skip
            data[key] = data[key] if data[key] is not None else []
        procedure = cleaned.get("procedure") or getattr(self.instance, "procedure", None)
        try:
            clean = procedure_data_clean(data, code=procedure.code if procedure else None)
        except DomainError as exc:
            raise forms.ValidationError(
                [e["message"] for e in exc.extra.get("errors", [])] or exc.message
            )
        # Store the normalised values (canonical channel order, trimmed text...).
        for key in (
            "fees",
            "time_cases",
            "consultations",
            "papers",
            "legal_basis",
            "channels",
            "forms",
            "name",
            "conditions",
            "steps",
        ):
            cleaned[key] = clean.get(key, [])
        return cleaned


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = [
        "procedure",
        "version",
        "name",
        "field",
        "level",
        "time_display",
        "is_published",
    ]
    list_filter = ["is_published", "field", "level", "time_unit"]
    search_fields = ["procedure__code", "name", "name_folded"]
    list_select_related = ["procedure", "field"]
    actions = ["make_new_version", "publish", "export_json"]
    autocomplete_fields = ["procedure"]

    @admin.display(description="thời hạn")
    def time_display(self, obj: ProcedureVersion) -> str:
        return obj.time_display()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["version", "is_published", "created_at"]
        if obj is not None and obj.is_published:
            # Dossiers keep the version they were received under: a published one is never edited.
            return ["procedure", *CONTENT_FIELDS, *fixed]
        if obj is not None:
            return ["procedure", *fixed]
        return fixed

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # View-only page for a published version: Django then refuses a POST with 403.
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None and obj.is_published and request.method == "GET":
            messages.info(
                request,
                "Phiên bản đã công bố chỉ được xem. Muốn sửa, chọn thao tác «Tạo phiên bản mới» "
                "ở danh sách phiên bản, sửa bản nháp rồi «Công bố».",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @transaction.atomic
    def save_model(
        self, request: HttpRequest, obj: ProcedureVersion, form: Any, change: bool
    ) -> None:
        if change:
            stored = ProcedureVersion.objects.select_for_update().get(pk=obj.pk)
            if stored.is_published:
                raise PermissionDenied("Phiên bản đã công bố không được sửa.")
        else:
            Procedure.objects.select_for_update().filter(pk=obj.procedure_id).first()
            obj.version = (obj.procedure.versions.aggregate(m=Max("version"))["m"] or 0) + 1
            obj.is_published = False
        super().save_model(request, obj, form, change)
        audit_record(
            action="catalog.version_update" if change else "catalog.version_create",
            actor=request.user,
            obj=obj,
            detail={"code": obj.procedure.code, "version": obj.version, "via": "admin"},
        )

    @admin.action(description="Tạo phiên bản mới (bản nháp sao chép)")
    def make_new_version(self, request: HttpRequest, queryset: QuerySet[ProcedureVersion]) -> None:
        for version in queryset.select_related("procedure"):
            draft = procedure_version_copy(version=version, actor=request.user)
            messages.success(
                request,
                f"Đã tạo bản nháp {draft.procedure.code} phiên bản {draft.version}: sửa rồi công bố.",
            )

    @admin.action(description="Công bố")
    def publish(self, request: HttpRequest, queryset: QuerySet[ProcedureVersion]) -> None:
        for version in queryset.select_related("procedure").order_by("procedure__code", "version"):
            try:
                procedure_version_publish(version=version, actor=request.user)
            except DomainError as exc:
                messages.warning(request, exc.message)
            else:
                messages.success(
                    request, f"Đã công bố {version.procedure.code} phiên bản {version.version}."
                )

    @admin.action(description="Xuất JSON các phiên bản đã chọn")
    def export_json(
        self, request: HttpRequest, queryset: QuerySet[ProcedureVersion]
    ) -> HttpResponse:
        return _export_response(
            [procedure_version_as_dict(v) for v in queryset.select_related("procedure", "field")],
            "phien-ban-thu-tuc.json",
        )
