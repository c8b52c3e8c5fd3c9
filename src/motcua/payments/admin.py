"""Admin: receipt series are registered here; payments and receipts are read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from motcua.payments.models import BankAccount, CallbackLog, Payment, Receipt, ReceiptSeries


@admin.register(ReceiptSeries)
class ReceiptSeriesAdmin(admin.ModelAdmin):
    list_display = ("template_number", "symbol", "year", "unit", "active")
    list_filter = ("year", "active")


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ("unit", "bank_name", "bank_bin", "account_number", "account_name", "active")


class _ReadOnly(admin.ModelAdmin):
    """Money records change only through the services (cancel, replace), never by hand."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = ("reference", "dossier", "method", "amount", "status", "paid_at")
    list_filter = ("method", "status")
    search_fields = ("reference", "dossier__code")


@admin.register(Receipt)
class ReceiptAdmin(_ReadOnly):
    list_display = ("series", "number", "dossier", "amount", "issued_at", "cancelled_at")
    list_filter = ("series",)
    search_fields = ("dossier__code", "payer_name")


@admin.register(CallbackLog)
class CallbackLogAdmin(_ReadOnly):
    list_display = ("provider", "received_at", "outcome", "detail", "payment")
    list_filter = ("provider", "outcome")
