"""Notifications and how they reach people: in the app, by email, through outgoing webhooks.

Other apps create notifications only through ``alerts.services.notify``.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import kinds


class AckVia(models.TextChoices):
    APP = "app", _("in the app")
    EMAIL = "email", _("by email link")
    API = "api", _("through the API")


class EmailStatus(models.TextChoices):
    NONE = "", _("not decided")
    HELD = "held", _("held for quiet hours")
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    OFF = "off", _("not emailed")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    # The message is stored untranslated (a gettext msgid with %(name)s placeholders) and
    # rendered in the reader's language when shown.
    verb = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    # Groups the notifications about one thing ("sla.clock:42"), so the caller can ask
    # whether anybody acknowledged any of them.
    topic = models.CharField(_("topic"), max_length=100, blank=True, db_index=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    requires_ack = models.BooleanField(_("requires acknowledgement"), default=False)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_via = models.CharField(
        _("acknowledged via"), max_length=8, choices=AckVia.choices, blank=True
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(
        _("email"), max_length=8, choices=EmailStatus.choices, blank=True, default=EmailStatus.NONE
    )
    # When the email is next due: now, the end of quiet hours, or the next retry. The sweep
    # enqueues what passed it without being sent (a lost task, a crashed worker).
    email_due_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that sends, with a conditional UPDATE: two workers never both send.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    email_error = models.CharField(_("email error"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"]),
            models.Index(fields=["email_status", "email_due_at"], name="alerts_email_due_idx"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        params: dict[str, Any] = self.params or {}
        try:
            return gettext(self.verb) % params
        except (KeyError, ValueError, TypeError):
            return self.verb

    @property
    def awaiting_acknowledgement(self) -> bool:
        return self.requires_ack and self.acknowledged_at is None


def validate_time_zone(value: str) -> None:
    if not value:
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("%(zone)s is not a time zone; use an IANA name such as Asia/Taipei."),
            code="invalid_time_zone", params={"zone": value},
        ) from exc


class NotificationPreference(models.Model):
    """How one person wants to be told. Created when first saved; until then the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # kind → email on/off, only where the person chose differently from the catalogue.
    email = models.JSONField(default=dict, blank=True)
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"preferences of user {self.user_id}"

    def clean(self) -> None:
        if (self.quiet_start is None) != (self.quiet_end is None) or (
            self.quiet_start is not None and self.quiet_start == self.quiet_end
        ):
            raise ValidationError(
                {"quiet_end": _("A quiet window needs a start and an end that differ.")},
                code="quiet_window",
            )

    def wants_email(self, kind: str) -> bool:
        chosen = (self.email or {}).get(kind)
        return kinds.email_by_default(kind) if chosen is None else bool(chosen)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def quiet_until(self, at: datetime) -> datetime | None:
        """When the quiet window that contains ``at`` ends, or None outside quiet hours.

        Times are the person's wall-clock times; a window whose start is after its end
        wraps midnight (22:00–07:00).
        """
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return None
        local = at.astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        today = local.date()
        if start < end:
            ends_on = today if start <= now < end else None
        elif now >= start:
            ends_on = today + timedelta(days=1)
        elif now < end:
            ends_on = today
        else:
            ends_on = None
        if ends_on is None:
            return None
        return datetime.combine(ends_on, end, tzinfo=self.zone)


class WebhookEndpoint(models.Model):
    """A URL told about notifications (a Slack, Teams, DingTalk or LINE relay)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    # The signing key, sealed (tingjian.sealed). Shown once, when the endpoint is created.
    secret = models.TextField(editable=False)
    # The kinds it is told about; empty means every kind.
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["-is_active", "name", "pk"]
        permissions = [("manage_webhooks", "Can configure outgoing webhooks and see their deliveries")]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    @property
    def host(self) -> str:
        """What pages show of the URL: relays keep their token in the path."""
        return urlsplit(self.url).netloc


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with its attempts: the delivery log."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("kind"), max_length=64)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    # The event's id: one per notify() call, the same for every endpoint told about it.
    event_id = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alerts_webhook_due_idx")]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint_id} ({self.status})"
