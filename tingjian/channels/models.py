"""Channels: the accounts customers reach us on, what arrives from them, what we send back.

An InboundEvent is stored *before* anything is parsed, unique per channel and the
platform's own id, so a redelivery is recognised and nothing received is ever lost: a
failure leaves the event in the database with its error, to be retried or requeued.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tingjian.cases.models import DeliveryStatus, Message
from tingjian.customers.models import Identity
from tingjian.org.models import Branch, Department


class Kind(models.TextChoices):
    WECHAT = "wechat", _("WeChat Official Account")
    LINE = "line", _("LINE Official Account")
    MESSENGER = "messenger", _("Facebook Messenger / Instagram")
    EMAIL = "email", _("Email")
    WEBFORM = "webform", _("Web form")
    CALLLOG = "calllog", _("Call-centre log")
    API = "api", _("REST intake")


class Channel(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.SlugField(_("name"), max_length=60, help_text=_("Part of the webhook URL: /hooks/<kind>/<name>/"))
    display_name = models.CharField(_("display name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    # Sandbox: replies are recorded and marked sent without calling the platform (demo, training).
    sandbox = models.BooleanField(_("sandbox (replies are not sent to the platform)"), default=False)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    # The platform secrets, encrypted (channels.secrets); never shown, logged or returned.
    secrets_encrypted = models.TextField(blank=True, default="")
    # What the channel remembers between runs: a mailbox's last UID, a cached access token
    # (encrypted like the secrets, under "sealed").
    state = models.JSONField(default=dict, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("default branch"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("default department"))
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    # Requests refused for a wrong or missing signature: counted, nothing else kept.
    rejected_requests = models.PositiveIntegerField(_("refused requests"), default=0)
    last_rejected_at = models.DateTimeField(_("last refused"), null=True, blank=True)
    last_error = models.CharField(_("last problem"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="channel_unique_kind_name")]
        permissions = [("manage_channels", "Can configure channels and requeue their events")]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.display_name}"


class EventStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    FILED = "filed", _("Filed")
    IGNORED = "ignored", _("Nothing to do")
    RETRYING = "retrying", _("Failed, will retry")
    DEAD = "dead", _("Failed for good")


class InboundEvent(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="events")
    external_id = models.CharField(_("platform id"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.RECEIVED)
    received_at = models.DateTimeField(_("received"))
    body = models.BinaryField(_("payload"))
    content_type = models.CharField(max_length=100, default="application/json")
    meta = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The web form's rate limit counts by a keyed hash of the sender's address, not the address.
    client_key = models.CharField(max_length=64, blank=True)
    # A secret the submitter holds: the web form's status link, the REST intake's status URL.
    public_token = models.CharField(max_length=64, blank=True)
    # REST intake: a hash of the body, so a reused Idempotency-Key with another body is refused.
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="inbound_event_unique_per_channel"),
            models.UniqueConstraint(fields=["public_token"], condition=~models.Q(public_token=""), name="inbound_event_public_token"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["channel", "-received_at"]),
            models.Index(fields=["channel", "client_key", "received_at"]),
        ]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_id}"


class QuarantinedRequest(models.Model):
    """A webhook body we could not read: kept for inspection, never processed."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="quarantine")
    received_at = models.DateTimeField(_("received"))
    reason = models.CharField(_("reason"), max_length=500)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField()
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["-received_at"])]
        verbose_name = _("quarantined request")
        verbose_name_plural = _("quarantined requests")

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.reason[:60]}"


class Contact(models.Model):
    """What one channel knows of one customer handle: when they last wrote, can we answer."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="contacts")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    reply_token = models.CharField(max_length=255, blank=True)
    reply_token_at = models.DateTimeField(null=True, blank=True)
    following = models.BooleanField(default=True)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "identity"], name="contact_unique")]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.identity_id}"


class OutboundDelivery(models.Model):
    """Delivering one reply (a cases.Message) through a channel, with its retries."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="deliveries")
    identity = models.ForeignKey(Identity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    target = models.CharField(_("to"), max_length=320)
    public = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("problem"), max_length=500, blank=True)
    mode = models.CharField(max_length=30, blank=True)
    platform_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    retry_key = models.UUIDField(default=uuid.uuid4, editable=False)
    queued_at = models.DateTimeField()
    # Set by the worker that is sending right now, so a second worker never sends it too.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    queued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("outbound delivery")
        verbose_name_plural = _("outbound deliveries")

    def __str__(self) -> str:
        return f"delivery of message {self.message_id}: {self.status}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking (dry run)")
    CHECKED = "checked", _("Checked")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CallImport(models.Model):
    """One call-centre log file: checked (dry run) first, then imported, with progress."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"))
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(max_length=10)  # csv | xlsx
    # Our field → the file's column header, e.g. {"call_id": "通話編號", "phone": "來電號碼"}.
    mapping = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    good_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    # [{"row": 7, "reason": "…"}, …]: every bad row, with why.
    bad_rows = models.JSONField(default=list)
    error = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("call log import")
        verbose_name_plural = _("call log imports")

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
