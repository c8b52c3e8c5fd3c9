from django.contrib import admin

from motcua.biometrics.models import FaceAccessLog, FaceConsent, FaceTemplate


@admin.register(FaceTemplate)
class FaceTemplateAdmin(admin.ModelAdmin):
    # Vectors are not shown or editable: templates change only through services.
    list_display = (
        "id",
        "citizen",
        "office",
        "scope",
        "model_id",
        "created_at",
        "expires_at",
        "last_seen_at",
    )
    list_filter = ("scope", "office", "model_id")
    search_fields = ("citizen__id_number",)
    exclude = ("vector",)
    readonly_fields = (
        "citizen",
        "office",
        "model_id",
        "scope",
        "created_at",
        "expires_at",
        "last_seen_at",
        "photo",
    )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Deleting goes through the privacy page (logged, audited, consent withdrawn).
        return False


@admin.register(FaceConsent)
class FaceConsentAdmin(admin.ModelAdmin):
    list_display = ("citizen", "scope", "keep_photo", "granted_at", "channel_vi", "withdrawn_at")
    list_filter = ("scope", "keep_photo")
    search_fields = ("citizen__id_number",)

    @admin.display(description="kênh (thiết bị)")
    def channel_vi(self, obj: FaceConsent) -> str:
        return obj.channel_label or obj.channel


@admin.register(FaceAccessLog)
class FaceAccessLogAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "operation",
        "result_vi",
        "office",
        "device_vi",
        "actor",
        "citizen",
        "best_score",
    )
    list_filter = ("operation", "office")
    search_fields = ("citizen__id_number", "device")

    @admin.display(description="kết quả")
    def result_vi(self, obj: FaceAccessLog) -> str:
        return obj.result_label

    @admin.display(description="thiết bị")
    def device_vi(self, obj: FaceAccessLog) -> str:
        return obj.device_label

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
