"""What the customer and we said (messages) and what staff wrote for staff (notes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tingjian.customers.models import Identity

from .case import Case, ChannelKind


class Direction(models.TextChoices):
    INBOUND = "in", _("From the customer")
    OUTBOUND = "out", _("To the customer")


class DeliveryStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author_identity = models.ForeignKey(Identity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(_("message"))
    is_public = models.BooleanField(_("public"), default=False)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("time"))
    created_at = models.DateTimeField(auto_now_add=True)
    carries_resolution = models.BooleanField(_("carries the resolution"), default=False)
    delivery_status = models.CharField(_("delivery"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.RECORDED)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["case", "sent_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="message_unique_external_id_per_channel",
            )
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.sent_at:%Y-%m-%d %H:%M}"


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("time"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Mention", related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"])]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"


class Mention(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="mention_unique")]

    def __str__(self) -> str:
        return f"@{self.user_id} in note {self.note_id}"
