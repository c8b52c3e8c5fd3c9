from django.contrib import admin

from motcua.campaigns.models import Campaign, CampaignDay, CampaignPost, Subscription


class PostInline(admin.TabularInline):
    model = CampaignPost
    extra = 0
    readonly_fields = [
        "channel",
        "state",
        "attempts",
        "posted_at",
        "provider_id",
        "url",
        "last_error",
        "reach",
    ]
    fields = list(readonly_fields)  # type: ignore[assignment]
    can_delete = False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "unit", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["code", "title"]
    readonly_fields = ["code", "status", "published_at", "announcement", "created_at", "created_by"]
    inlines = [PostInline]


@admin.register(CampaignDay)
class CampaignDayAdmin(admin.ModelAdmin):
    list_display = ["campaign", "channel", "day", "visits", "bookings", "dossiers"]
    list_filter = ["channel"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["channel", "unit", "field", "consent_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["channel"]
    readonly_fields = [
        "consent_at",
        "consent_source",
        "purpose",
        "confirmed_at",
        "unsubscribed_at",
        "created_at",
    ]
