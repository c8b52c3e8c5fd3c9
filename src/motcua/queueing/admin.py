from django.contrib import admin

from motcua.queueing.models import (
    Authorisation,
    BlockedAttempt,
    Booking,
    CounterService,
    PriorityGroup,
    QueueSettings,
    Service,
    Ticket,
    TicketEvent,
)


class CounterServiceInline(admin.TabularInline):
    model = CounterService
    extra = 1


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "office", "active", "sort"]
    list_filter = ["office", "active"]
    filter_horizontal = ["fields"]
    inlines = [CounterServiceInline]


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "weight"]


@admin.register(QueueSettings)
class QueueSettingsAdmin(admin.ModelAdmin):
    list_display = ["office", "daily_cap", "end_of_day", "max_priority_streak"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["slot_start", "service", "citizen", "status"]
    list_filter = ["status", "office"]
    raw_id_fields = ["citizen"]


@admin.register(Authorisation)
class AuthorisationAdmin(admin.ModelAdmin):
    list_display = ["agent", "principal", "valid_from", "valid_to", "recorded_by"]
    raw_id_fields = ["principal", "agent"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Tickets and their events are written by the services only: the admin just shows them."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = [
        "service_date",
        "display",
        "service",
        "citizen",
        "method",
        "status",
        "counter",
        "officer",
    ]
    list_filter = ["office", "status", "method", "service_date"]
    search_fields = ["display", "citizen__id_number", "citizen__full_name"]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "ticket", "counter", "actor"]
    list_filter = ["kind", "office"]


@admin.register(BlockedAttempt)
class BlockedAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "reason", "method", "citizen", "office", "device"]
    list_filter = ["reason", "office"]
