from django.contrib import admin

from motcua.notifications.models import ContactPreference, Notification


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ("citizen", "channels", "stopped", "consent_at", "consent_source")
    search_fields = ("citizen__id_number", "citizen__full_name", "phone", "email")
    raw_id_fields = ("citizen", "recorded_by")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "channel", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "channel", "kind")
    search_fields = ("dossier__code", "recipient")
    raw_id_fields = ("citizen", "unit", "dossier", "ticket")
    readonly_fields = [f.name for f in Notification._meta.fields]
