"""Read-only admin views: notifications, preferences and webhooks change through the services
(a webhook's secret is made and sealed by ``create_webhook`` and never shown here)."""

from __future__ import annotations

from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import Notification, NotificationPreference, WebhookDelivery, WebhookEndpoint


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "topic", "urgent", "read_at", "acknowledged_at", "email_status"]
    list_filter = ["kind", "urgent", "requires_ack", "email_status"]
    search_fields = ["topic"]
    list_select_related = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "quiet_start", "quiet_end", "time_zone", "updated_at"]
    list_select_related = ["user"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["name", "host", "is_active", "created_at"]
    exclude = ["secret", "url"]
    readonly_fields = ["host"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "kind", "status", "attempts", "last_status_code", "delivered_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["endpoint"]
