from django.contrib import admin

from motcua.correspondence.models import (
    Consultation,
    Dispatch,
    Document,
    Partner,
    Register,
    StatusMessage,
)


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "direction", "unit")
    list_filter = ("direction",)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    # Registers are written by the services (numbers are gapless): read-only here.
    list_display = ("number_notation", "direction", "unit", "issued_on", "summary", "status")
    list_filter = ("direction", "status", "doc_type")
    search_fields = ("number_notation", "summary")
    readonly_fields = [f.name for f in Document._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = (
        "document",
        "to_name",
        "channel",
        "state",
        "sent_at",
        "delivered_at",
        "opened_at",
    )
    list_filter = ("channel", "state")
    readonly_fields = [f.name for f in Dispatch._meta.fields]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("dossier", "agency_name", "asked_at", "due_on", "answered_at", "late_days")
    readonly_fields = [f.name for f in Consultation._meta.fields]


@admin.register(StatusMessage)
class StatusMessageAdmin(admin.ModelAdmin):
    # The status outbox and inbox: written by the services, read here (attempts, last error).
    list_display = ("at", "way", "code", "doc_code", "from_code", "to_code", "sent_at", "attempts")
    list_filter = ("way", "code")
    search_fields = ("doc_code", "from_code", "to_code")
    readonly_fields = [f.name for f in StatusMessage._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
