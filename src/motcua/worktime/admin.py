from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.worktime import services
from motcua.worktime.models import (
    CalendarOverride,
    CalendarYearReview,
    DayStatus,
    HolidayDuty,
    OfficialDay,
)
from motcua.worktime.official import source_text

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


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


class YearFilter(admin.SimpleListFilter):
    title = "năm"
    parameter_name = "nam"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = OfficialDay.objects.dates("date", "year")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(date__year=int(self.value()))  # type: ignore[arg-type]
        return queryset


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Quyết định",
        choices=[
            (services.CONFIRM, "Xác nhận: áp dụng ngày này"),
            (services.REMOVE, "Loại bỏ: không áp dụng ngày này"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label="Lý do", widget=forms.Textarea(attrs={"rows": 3}))
    reference = forms.CharField(
        label="Văn bản làm căn cứ (số, ngày, cơ quan ban hành)",
        required=False,
        max_length=300,
        help_text="Ví dụ: Thông báo số .../TB-BNV ngày .../.../... của Bộ Nội vụ.",
    )


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Ghi chú duyệt",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ví dụ: đã đối chiếu với thông báo lịch nghỉ Tết của Bộ Nội vụ.",
    )


@admin.register(OfficialDay)
class OfficialDayAdmin(admin.ModelAdmin):
    """The shipped official calendar: read, decide unconfirmed days, review a year."""

    list_display = (
        "date_vi",
        "weekday_vi",
        "kind",
        "name",
        "status_vi",
        "source_vi",
        "decision_vi",
    )
    list_filter = (YearFilter, "status", "kind")
    search_fields = ("name", "source_number", "source_issuer", "known", "decision_reason")
    ordering = ("date",)
    fields = (
        "date",
        "kind",
        "name",
        "status",
        "applies_while_unconfirmed",
        "legal_basis",
        "source_number",
        "source_date",
        "source_issuer",
        "source_title",
        "known",
        "decided_by",
        "decided_at",
        "decision_reason",
        "decision_reference",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A day's status changes only through one recorded decision (the «Quyết định» page);
        # a new official day (a notice published later) is added with its source.
        decision = ["status", "decided_by", "decided_at", "decision_reason", "decision_reference"]
        if obj is None:
            return decision
        return list(self.fields)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.status = DayStatus.CONFIRMED
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Removing a day is a decision with a reason, never a silent delete.
        return False

    @admin.display(description="ngày", ordering="date")
    def date_vi(self, obj: OfficialDay) -> str:
        return f"{obj.date:%d/%m/%Y}"

    @admin.display(description="thứ")
    def weekday_vi(self, obj: OfficialDay) -> str:
        return WEEKDAYS_VI[obj.date.weekday()]

    @admin.display(description="tình trạng", ordering="status")
    def status_vi(self, obj: OfficialDay) -> str:
        if obj.status != DayStatus.UNCONFIRMED:
            return obj.get_status_display()
        effect = (
            "tính là ngày nghỉ"
            if obj.in_force == (obj.kind != "makeup_working_day")
            else ("tính là ngày làm việc")
        )
        url = reverse("admin:worktime_officialday_decide", args=[obj.pk])
        return format_html(
            '{} (đang {}) – <a href="{}">Quyết định</a>', obj.get_status_display(), effect, url
        )

    @admin.display(description="văn bản")
    def source_vi(self, obj: OfficialDay) -> str:
        return source_text(
            number=obj.source_number, issued=obj.source_date, issuer=obj.source_issuer
        )

    @admin.display(description="quyết định")
    def decision_vi(self, obj: OfficialDay) -> str:
        if obj.decided_at is None:
            return "—"
        at = clock.local(obj.decided_at)
        return f"{obj.get_status_display()} bởi {obj.decided_by} lúc {at:%d/%m/%Y %H:%M}"

    # -- extra pages --------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:pk>/quyet-dinh/",
                self.admin_site.admin_view(self.decide_view),
                name="worktime_officialday_decide",
            ),
            path(
                "duyet-nam/<int:year>/",
                self.admin_site.admin_view(self.review_view),
                name="worktime_officialday_review",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_year = clock.today().year + 1
        extra = {
            "review_year": next_year,
            "review_done": CalendarYearReview.objects.filter(year=next_year).first(),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        day = get_object_or_404(OfficialDay, pk=pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.official_day_decide(
                    day=day,
                    decision=form.cleaned_data["decision"],
                    by=request.user,  # type: ignore[arg-type]
                    reason=form.cleaned_data["reason"],
                    reference=form.cleaned_data["reference"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                day.refresh_from_db()
                messages.success(
                    request,
                    f"Đã ghi quyết định: ngày {day.date:%d/%m/%Y} {day.get_status_display().lower()}.",
                )
                url = reverse("admin:worktime_officialday_changelist")
                return HttpResponseRedirect(f"{url}?nam={day.date.year}")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Quyết định về ngày {day.date:%d/%m/%Y} ({WEEKDAYS_VI[day.date.weekday()]})",
            "day": day,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/worktime/officialday/decide.html", context)

    def review_view(self, request: HttpRequest, year: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReviewForm(request.POST or None)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            if form.is_valid():
                try:
                    services.calendar_year_review(
                        year=year,
                        by=request.user,  # type: ignore[arg-type]
                        note=form.cleaned_data["note"],
                    )
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"Đã ghi nhận duyệt lịch năm {year}.")
                    return HttpResponseRedirect(
                        reverse("admin:worktime_officialday_review", args=[year])
                    )
        days = list(OfficialDay.objects.filter(date__year=year).select_related("decided_by"))
        rows = [
            {
                "day": d,
                "weekday": WEEKDAYS_VI[d.date.weekday()],
                "source": source_text(
                    number=d.source_number,
                    issued=d.source_date,
                    issuer=d.source_issuer,
                    legal_basis=d.legal_basis,
                ),
                "effect": (
                    "Không áp dụng"
                    if not d.in_force
                    else ("Làm việc" if d.kind == "makeup_working_day" else "Nghỉ")
                ),
            }
            for d in days
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Duyệt lịch nghỉ lễ, làm bù năm {year}",
            "year": year,
            "rows": rows,
            "unconfirmed": sum(1 for d in days if d.status == DayStatus.UNCONFIRMED),
            "review": CalendarYearReview.objects.filter(year=year)
            .select_related("reviewed_by")
            .first(),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/worktime/officialday/review.html", context)


@admin.register(CalendarYearReview)
class CalendarYearReviewAdmin(admin.ModelAdmin):
    list_display = ("year", "reviewed_by", "reviewed_at", "note")
    readonly_fields = ("year", "reviewed_by", "reviewed_at", "note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A review is recorded from the year's review page (who and when are set there).
        return False
