"""Reads of the alerts app: notifications, acknowledgements, preferences, webhooks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import (
    DeliveryStatus,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(
    user: Any, *, unread: bool = False, awaiting_ack: bool = False
) -> QuerySet[Notification]:
    """The user's notifications, newest first; optionally only unread / awaiting acknowledgement."""
    qs = Notification.objects.filter(recipient=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if awaiting_ack:
        qs = qs.filter(requires_ack=True, acknowledged_at__isnull=True)
    return qs


def notification_for(user: Any, notification_id: int) -> Notification:
    """One of the user's notifications; Notification.DoesNotExist for anybody else's."""
    return Notification.objects.get(pk=notification_id, recipient=user)


def notification(notification_id: int) -> Notification:
    return Notification.objects.select_related("recipient").get(pk=notification_id)


def topic_notifications(topic: str) -> QuerySet[Notification]:
    return Notification.objects.filter(topic=topic).select_related("recipient")


def topic_acknowledgement(topic: str) -> Notification | None:
    """The first acknowledged notification of the topic: who took it, and when."""
    if not topic:
        return None
    return (
        Notification.objects.filter(topic=topic, acknowledged_at__isnull=False)
        .select_related("recipient")
        .order_by("acknowledged_at", "pk")
        .first()
    )


def awaiting_acknowledgement() -> QuerySet[Notification]:
    """Every alert still waiting for its recipient to acknowledge it (managers' escalations view)."""
    return (
        Notification.objects.filter(requires_ack=True, acknowledged_at__isnull=True)
        .select_related("recipient")
        .order_by("-urgent", "created_at", "pk")
    )


def preference_for(user: Any) -> NotificationPreference:
    """The user's preferences; the defaults (unsaved) until they first save theirs."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found if found is not None else NotificationPreference(user=user)


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    """Every endpoint, active first, with how many of its deliveries are pending and failed."""
    return WebhookEndpoint.objects.select_related("created_by").annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )


def webhook_endpoint(endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.get(pk=endpoint_id)


def webhook_deliveries(*, endpoint_id: int | None = None, failed_only: bool = False) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first."""
    qs = WebhookDelivery.objects.select_related("endpoint")
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    if failed_only:
        qs = qs.filter(status=DeliveryStatus.FAILED)
    return qs


def webhook_delivery(delivery_id: int) -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
