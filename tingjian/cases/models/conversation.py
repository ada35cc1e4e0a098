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
    # The platform's words when delivery failed, shown to the agent in plain language.
    delivery_error = models.CharField(_("delivery problem"), max_length=500, blank=True)
    # Sent by Tingjian itself (an acknowledgement with the case number), not by a person:
    # it is no first response and acknowledges nobody in the workflow's sense.
    automatic = models.BooleanField(_("automatic"), default=False)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # Followers or friends of the author, where the platform said (public posts: reach).
    author_reach = models.PositiveIntegerField(_("author's reach"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["case", "sent_at"]),
            # The crisis radar's "unanswered public posts", oldest first.
            models.Index(
                fields=["sent_at", "id"], condition=models.Q(is_public=True, direction="in"),
                name="message_public_inbound",
            ),
        ]
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


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the sender: it is the content's hash.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file that came with a message (or a reference to fetch it from the platform)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to=attachment_path, blank=True)
    # The platform's id or URL while the file is not fetched yet.
    media_ref = models.CharField(max_length=1000, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename or self.kind


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
