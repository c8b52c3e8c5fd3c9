from django.contrib import admin

from motcua.delivery.models import Delivery, PostalEvent, Shipment, WebhookLog


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["dossier", "method", "status", "due_at", "delivered_at"]
    list_filter = ["method", "status"]
    raw_id_fields = ["dossier", "delivered_by", "created_by"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["waybill", "dossier", "direction", "status", "postage", "posted_at"]
    list_filter = ["direction", "status"]
    search_fields = ["waybill", "order_ref"]
    raw_id_fields = ["dossier", "created_by"]


@admin.register(PostalEvent)
class PostalEventAdmin(admin.ModelAdmin):
    list_display = ["shipment", "status", "occurred_at", "location"]


@admin.register(WebhookLog)
class WebhookLogAdmin(admin.ModelAdmin):
    list_display = ["received_at", "outcome", "detail", "remote_addr"]
    list_filter = ["outcome"]
