"""Admin of units, offices and counters, staff and their roles, citizens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from motcua.core import clock
from motcua.org.models import Citizen, Counter, Office, StaffRole, Unit, UnitBoundary, User


class CurrentFilter(admin.SimpleListFilter):
    title = "hiệu lực"
    parameter_name = "hieu_luc"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("current", "Đang có hiệu lực"),
            ("past", "Đã hết hiệu lực"),
            ("future", "Chưa có hiệu lực"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Unit]) -> QuerySet[Unit]:
        today = clock.today()
        if self.value() == "current":
            return queryset.current(today)  # type: ignore[attr-defined]
        if self.value() == "past":
            return queryset.filter(valid_to__lt=today)
        if self.value() == "future":
            return queryset.filter(valid_from__gt=today)
        return queryset


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = [
        "indented_name",
        "code",
        "agency_code",
        "level",
        "parent",
        "valid_from",
        "valid_to",
        "is_current",
    ]
    list_filter = [CurrentFilter, "level", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "agency_code", "name", "name_folded"]
    filter_horizontal = ["successors"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent__parent"]
    ordering = ["parent__parent__code", "parent__code", "code"]
    fieldsets = [
        (None, {"fields": ["code", "agency_code", "name", "level", "parent"]}),
        ("Hiệu lực và kế thừa", {"fields": ["valid_from", "valid_to", "successors"]}),
    ]

    @admin.display(description="tên", ordering="name")
    def indented_name(self, obj: Unit) -> str:
        # A tree-ish list without a tree library: indent by depth (units are at most 3 deep).
        depth = 0
        node = obj.parent
        while node is not None and depth < 5:
            depth += 1
            node = node.parent
        return "\u2003" * depth + ("└ " if depth else "") + obj.name

    @admin.display(description="còn hiệu lực", boolean=True)
    def is_current(self, obj: Unit) -> bool:
        return obj.is_current()


class UnitBoundaryForm(forms.ModelForm):
    """Upload a GeoJSON file for one unit; validated (org/boundaries.py) before anything is saved."""

    file = forms.FileField(
        label="Tệp GeoJSON",
        required=False,
        help_text="Vùng (Polygon/MultiPolygon) theo kinh độ, vĩ độ WGS 84; toàn bộ tệp là "
        "ranh giới của đơn vị đã chọn.",
    )

    class Meta:
        model = UnitBoundary
        fields = ["unit"]

    def clean(self) -> dict[str, Any]:
        from motcua.core.errors import ValidationFailed
        from motcua.org.boundaries import merge, parse_geojson

        data = super().clean() or {}
        upload = data.get("file")
        if upload is None:
            if self.instance.pk is None:
                raise forms.ValidationError("Hãy chọn tệp GeoJSON.")
            return data
        try:
            data["geometry"] = merge(parse_geojson(upload.read()))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        data["source"] = upload.name
        return data


@admin.register(UnitBoundary)
class UnitBoundaryAdmin(admin.ModelAdmin):
    form = UnitBoundaryForm
    list_display = ["unit", "source", "polygons", "imported_at"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["source", "imported_at", "polygons"]

    @admin.display(description="số vùng")
    def polygons(self, obj: UnitBoundary) -> int:
        return len((obj.geometry or {}).get("coordinates") or [])

    def save_model(self, request: HttpRequest, obj: UnitBoundary, form: Any, change: bool) -> None:
        import json

        from motcua.org.services import unit_boundaries_import

        data = form.cleaned_data
        if "geometry" not in data:  # nothing uploaded: only the unit may have changed
            super().save_model(request, obj, form, change)
            return
        unit_boundaries_import(
            text=json.dumps(data["geometry"]),
            source=data["source"],
            unit=data["unit"],
            actor=request.user,
        )
        obj.pk = UnitBoundary.objects.get(unit=data["unit"]).pk


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 1


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "address", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "address", "unit__name"]
    autocomplete_fields = ["unit"]
    inlines = [CounterInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "unit", "is_active"]}),
        ("Địa chỉ", {"fields": ["address", "phone", "latitude", "longitude"]}),
        (
            "Giờ làm việc",
            {"fields": [("morning_start", "morning_end"), ("afternoon_start", "afternoon_end")]},
        ),
    ]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1
    autocomplete_fields = ["unit"]
    verbose_name = "vai trò tại đơn vị"
    verbose_name_plural = "vai trò tại các đơn vị"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "title", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "full_name", "email"]
    list_filter = ["is_active", "is_superuser", "unit_roles__role", "unit_roles__unit"]
    inlines = [StaffRoleInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Thông tin cán bộ", {"fields": ["full_name", "title", "email"]}),
        (
            "Quyền",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Thời gian", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "full_name", "title", "password1", "password2"],
            },
        ),
    ]


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ["full_name", "id_number", "date_of_birth", "sex", "phone", "address"]
    list_filter = ["sex"]
    # id_number and phone are exact-ish lookups on indexed columns; names match without diacritics.
    search_fields = ["=id_number", "^phone", "name_folded"]
    readonly_fields = ["created_at"]
    show_full_result_count = False  # counting a million rows on every page is the slow part

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Citizen], search_term: str
    ) -> Any:
        from motcua.core.text import fold

        return super().get_search_results(
            request, queryset, fold(search_term) if search_term else search_term
        )
