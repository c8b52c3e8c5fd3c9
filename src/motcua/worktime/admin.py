from __future__ import annotations

from django.contrib import admin

from motcua.worktime.models import CalendarOverride, HolidayDuty


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "unit", "updated_at")
    list_filter = ("kind", ("unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "note", "unit__name", "unit__code")
    date_hierarchy = "date"


@admin.register(HolidayDuty)
class HolidayDutyAdmin(admin.ModelAdmin):
    list_display = ("unit", "date_from", "date_to", "note")
    list_filter = (("unit", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("unit__name", "unit__code", "note")
    date_hierarchy = "date_from"
    filter_horizontal = ("procedures",)
