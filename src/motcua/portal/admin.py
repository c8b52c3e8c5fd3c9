"""Admin for portal content. Service ratings are evidence: readable, never changeable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.core import clock
from motcua.portal.models import (
    Announcement,
    AnnouncementRating,
    Comment,
    ServiceRating,
    VisitCount,
    WebLink,
)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    # The body is sanitised in Announcement.save(), so admin edits are as safe as the staff page.
    list_display = ["title", "published_at", "unit", "author"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["author"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["name", "announcement", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["announcement", "name", "body", "created_at", "moderated_at", "moderated_by"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _moderate(self, request: HttpRequest, queryset: Any, approve: bool) -> None:
        queryset.update(
            status=Comment.Status.APPROVED if approve else Comment.Status.REJECTED,
            moderated_at=clock.now(),
            moderated_by=request.user,
        )

    @admin.action(description="Duyệt các bình luận đã chọn")
    def approve(self, request: HttpRequest, queryset: Any) -> None:
        self._moderate(request, queryset, True)

    @admin.action(description="Từ chối các bình luận đã chọn")
    def reject(self, request: HttpRequest, queryset: Any) -> None:
        self._moderate(request, queryset, False)


@admin.register(WebLink)
class WebLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "position"]


@admin.register(AnnouncementRating)
class AnnouncementRatingAdmin(admin.ModelAdmin):
    list_display = ["announcement", "stars", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VisitCount)
class VisitCountAdmin(admin.ModelAdmin):
    list_display = ["day", "count"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceRating)
class ServiceRatingAdmin(admin.ModelAdmin):
    list_display = ["created_at", "level", "unit", "officer", "procedure_version", "channel"]
    list_filter = ["level", "channel"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
