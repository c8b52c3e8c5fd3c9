"""Admin of the dossiers app: delegations to sign apology letters (recorded, revocable)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages

from motcua.core.errors import DomainError
from motcua.dossiers import services
from motcua.dossiers.models import ApologyDelegation


@admin.register(ApologyDelegation)
class ApologyDelegationAdmin(admin.ModelAdmin):
    list_display = (
        "leader",
        "delegate",
        "unit",
        "document",
        "valid_from",
        "valid_to",
        "revoked_at",
    )
    list_filter = (("unit", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("document", "leader__full_name", "delegate__full_name", "unit__name")
    fields = ("unit", "leader", "delegate", "document", "valid_from", "valid_to")
    actions = ["revoke"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # a delegation is revoked, never deleted: letters point to it

    def save_model(self, request: Any, obj: ApologyDelegation, form: Any, change: bool) -> None:
        try:
            saved = services.apology_delegation_grant(
                leader=obj.leader,
                delegate=obj.delegate,
                unit=obj.unit,
                document=obj.document,
                valid_from=obj.valid_from,
                valid_to=obj.valid_to,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = saved.pk

    @admin.action(description="Thu hồi ủy quyền đã chọn")
    def revoke(self, request: Any, queryset: Any) -> None:
        for row in queryset:
            try:
                services.apology_delegation_revoke(delegation=row, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
                return
        messages.success(request, "Đã thu hồi ủy quyền.")
