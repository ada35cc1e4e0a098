"""Notifications: responsible for telling people that something needs them — in the app
always, by email as each person chose (held through their quiet hours unless urgent), and to
the outgoing webhooks that asked for that kind — and for recording who acknowledged an alert.

Must never: decide *whom* to tell (the calling service knows that), import another app, or
send anything inside the caller's transaction: emails and webhooks are rows here, sent by
tasks enqueued after commit, so a rolled-back change tells nobody.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.audit import services as audit
from tingjian.sealed import seal

from . import kinds as catalogue
from . import selectors, tasks
from .errors import AlreadyAcknowledged, NothingToAcknowledge, NotYours
from .models import (
    AckVia,
    DeliveryStatus,
    EmailStatus,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)

MANAGE_WEBHOOKS = "alerts.manage_webhooks"
# The sweep leaves alone what became due this recently: its task is on its way.
SWEEP_GRACE = timedelta(minutes=2)
SWEEP_LIMIT = 500
CLAIM_TIMEOUT = timedelta(minutes=10)


# ----------------------------------------------------------------------------- notify



# Apps that must react when an alert is acknowledged (the SLA ladder stops climbing) add a
# callable here from their AppConfig.ready(): alerts is at the bottom of the layers and may
# not import them. Hooks run inside the acknowledging transaction: all or nothing.
on_acknowledged: list[Callable[[Notification, Any, datetime], None]] = []

def notify(
    recipients: Iterable[Any],
    *,
    kind: str,
    verb: str,
    params: dict[str, Any] | None = None,
    url: str = "",
    topic: str = "",
    urgent: bool = False,
    requires_ack: bool = False,
) -> list[Notification]:
    """Create one notification per distinct active recipient; email and webhooks after commit.

    ``verb`` is an untranslated msgid (``gettext_noop``) with %(name)s placeholders filled
    from ``params``; each reader sees it in their language. ``urgent`` alerts (personal
    safety) are emailed through quiet hours; ``requires_ack`` ones wait for an acknowledgement.
    """
    now = clock.now()
    seen: set[int] = set()
    people = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        people.append(user)
    if not people:
        return []
    stored = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=seen)}
    rows = []
    for user in people:
        preference = stored.get(user.pk) or NotificationPreference(user_id=user.pk)
        status, due = _email_plan(user, preference, kind=kind, urgent=urgent, now=now)
        rows.append(Notification(
            recipient=user, kind=kind, verb=verb, params=params or {}, url=url, topic=topic,
            urgent=urgent, requires_ack=requires_ack, created_at=now,
            email_status=status, email_due_at=due,
        ))
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        deliveries = _webhook_deliveries(created, people, now=now)
        emails = [
            (n.pk, n.email_due_at if n.email_status == EmailStatus.HELD else None)
            for n in created
            if n.email_status in (EmailStatus.QUEUED, EmailStatus.HELD)
        ]
        hooks = [d.pk for d in deliveries]
        if emails or hooks:
            transaction.on_commit(lambda: _enqueue(emails, hooks))
    return created


def _email_plan(
    user: Any, preference: NotificationPreference, *, kind: str, urgent: bool, now: datetime
) -> tuple[str, datetime | None]:
    """Whether and when this person is emailed about this kind: (email_status, due)."""
    if not getattr(user, "email", "") or not preference.wants_email(kind):
        return EmailStatus.OFF, None
    quiet_until = None if urgent else preference.quiet_until(now)
    if quiet_until is not None:
        return EmailStatus.HELD, quiet_until
    return EmailStatus.QUEUED, now


def absolute_url(path: str) -> str:
    if not path:
        return ""
    if urlsplit(path).scheme in {"http", "https"}:
        return path
    return f"{settings.TINGJIAN_PUBLIC_URL}{path if path.startswith('/') else '/' + path}"


def _webhook_deliveries(created: list[Notification], people: list[Any], *, now: datetime) -> list[WebhookDelivery]:
    """One delivery per endpoint for the whole call, never one per recipient."""
    first = created[0]
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(first.kind)]
    if not endpoints:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        text = first.text
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id), "kind": first.kind, "topic": first.topic, "urgent": first.urgent,
        "text": text, "url": absolute_url(first.url), "created_at": now.isoformat(),
        "recipients": [u.get_username() for u in people],
    }
    return WebhookDelivery.objects.bulk_create([
        WebhookDelivery(
            endpoint=endpoint, kind=first.kind, topic=first.topic, event_id=event_id,
            payload=payload, created_at=now, next_attempt_at=now,
        )
        for endpoint in endpoints
    ])


def _enqueue(emails: list[tuple[int, datetime | None]], hooks: list[int]) -> None:
    for notification_id, run_after in emails:
        tasks.enqueue_email(notification_id, run_after=run_after)
    for delivery_id in hooks:
        tasks.enqueue_webhook(delivery_id)


# ------------------------------------------------------------------- reading, acknowledging


def mark_read(user: Any, *, notification_ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=clock.now())


def acknowledge(notification: Notification, *, by: Any, via: str) -> Notification:
    """The recipient takes the alert: acknowledged (and read) once, audited.

    Raises NotYours for anybody but the recipient, NothingToAcknowledge when it did not ask
    for one, AlreadyAcknowledged (with who and when) the second time; nothing changes then.
    """
    if by is None or getattr(by, "pk", None) != notification.recipient_id:
        raise NotYours(notification.pk)
    if not notification.requires_ack:
        raise NothingToAcknowledge(notification.pk)
    via = AckVia(via).value
    now = clock.now()
    with transaction.atomic():
        # Conditional: of two simultaneous clicks (the app and the email link) one wins.
        taken = Notification.objects.filter(pk=notification.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_via=via,
            read_at=Coalesce("read_at", Value(now, output_field=DateTimeField())),
        )
        if not taken:
            current = Notification.objects.select_related("recipient").get(pk=notification.pk)
            assert current.acknowledged_at is not None
            raise AlreadyAcknowledged(
                notification.pk, at=current.acknowledged_at, by=current.recipient, via=current.acknowledged_via,
            )
        for hook in on_acknowledged:
            hook(notification, by, now)
        audit.record(
            "alert.acknowledged", actor=by, object_type="notification", object_id=notification.pk,
            summary=f"{notification.kind} acknowledged via {via}" + (f" ({notification.topic})" if notification.topic else ""),
            after={"kind": notification.kind, "topic": notification.topic, "via": via}, at=now,
        )
    notification.refresh_from_db(fields=["acknowledged_at", "acknowledged_via", "read_at"])
    return notification


# ----------------------------------------------------------------------------- preferences


def save_preferences(
    user: Any,
    *,
    email: Mapping[str, bool],
    quiet_start: time | None,
    quiet_end: time | None,
    time_zone: str = "",
) -> NotificationPreference:
    """Store the person's choices (created on first save); ValidationError if they do not hold.

    Only choices that differ from the catalogue's defaults are kept, so a default changed
    later still reaches everybody who never touched that kind.
    """
    preference = selectors.preference_for(user)
    preference.email = {
        kind: bool(on) for kind, on in sorted(email.items()) if bool(on) != catalogue.email_by_default(kind)
    }
    preference.quiet_start, preference.quiet_end = quiet_start, quiet_end
    preference.time_zone = time_zone.strip()
    preference.updated_at = clock.now()
    preference.full_clean(exclude=["user"])
    with transaction.atomic():
        preference.save()
        # Emails held for the old quiet hours are looked at again under the new ones.
        held = list(
            Notification.objects.filter(recipient=user, email_status=EmailStatus.HELD).values_list("pk", flat=True)
        )
        if held:
            transaction.on_commit(lambda: _enqueue([(pk, None) for pk in held], []))
    return preference


# -------------------------------------------------------------------------------- webhooks


def ensure_may_manage_webhooks(by: Any) -> None:
    if by is None or not by.has_perm(MANAGE_WEBHOOKS):
        raise PermissionDenied(_("Only an administrator may configure outgoing webhooks."))


def create_webhook(*, name: str, url: str, kinds: Iterable[str] = (), by: Any) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, in plain text this once and never again."""
    ensure_may_manage_webhooks(by)
    secret = secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        name=name.strip(), url=url.strip(), kinds=sorted(set(kinds)), secret=seal({"secret": secret}),
        created_by=by, created_at=clock.now(),
    )
    endpoint.full_clean(exclude=["created_by"])
    with transaction.atomic():
        endpoint.save()
        # The host only: chat relays keep their token in the URL's path.
        audit.record(
            "alert.webhook_created", actor=by, object_type="webhook_endpoint", object_id=endpoint.pk,
            summary=f"webhook {endpoint.name} to {endpoint.host}",
            after={"name": endpoint.name, "host": endpoint.host, "kinds": endpoint.kinds},
        )
    return endpoint, secret


def deactivate_webhook(endpoint: WebhookEndpoint, *, by: Any) -> WebhookEndpoint:
    """Stop telling the endpoint; what is still pending for it fails instead of being sent."""
    ensure_may_manage_webhooks(by)
    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(is_active=False)
        if changed:
            audit.record(
                "alert.webhook_deactivated", actor=by, object_type="webhook_endpoint", object_id=endpoint.pk,
                summary=f"webhook {endpoint.name} deactivated", before={"is_active": True}, after={"is_active": False},
            )
    endpoint.is_active = False
    return endpoint


def send_test_event(endpoint: WebhookEndpoint, *, by: Any) -> WebhookDelivery:
    """Queue a harmless event to the endpoint, whatever kinds it subscribed to."""
    ensure_may_manage_webhooks(by)
    if not endpoint.is_active:
        raise ValidationError(_("This endpoint is deactivated."))
    now = clock.now()
    event_id = uuid.uuid4()
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Test event from Tingjian, sent by %(user)s.") % {"user": by.get_username()}
    payload = {
        "id": str(event_id), "kind": "test", "topic": "", "urgent": False, "text": text,
        "url": absolute_url("/"), "created_at": now.isoformat(), "recipients": [],
    }
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, kind="test", event_id=event_id, payload=payload, created_at=now, next_attempt_at=now,
        )
        transaction.on_commit(lambda: tasks.enqueue_webhook(delivery.pk))
    return delivery


def retry_webhook_delivery(delivery: WebhookDelivery, *, by: Any) -> WebhookDelivery:
    """Send a failed delivery again, now (the delivery log's "retry now" button)."""
    ensure_may_manage_webhooks(by)
    if delivery.status != DeliveryStatus.FAILED:
        raise ValidationError(_("Only a failed delivery can be retried."))
    if not delivery.endpoint.is_active:
        raise ValidationError(_("This endpoint is deactivated."))
    now = clock.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claimed_at=None,
        )
        audit.record(
            "alert.webhook_retried", actor=by, object_type="webhook_delivery", object_id=delivery.pk,
            summary=f"delivery {delivery.pk} of {delivery.kind} to {delivery.endpoint.name} retried",
        )
        transaction.on_commit(lambda: tasks.enqueue_webhook(delivery.pk))
    delivery.refresh_from_db()
    return delivery


# --------------------------------------------------------------------------------- the sweep


def periodic_work() -> str:
    """Enqueue the emails and webhook deliveries that are due but whose task was lost.

    A task can be lost (the queue was down at enqueue time, a worker died mid-send with the
    row claimed); the rows say what is due, so this finds them. Sending stays idempotent:
    the task claims the row before it sends.
    """
    now = clock.now()
    stale = now - CLAIM_TIMEOUT
    emails = list(
        Notification.objects.filter(
            Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale),
            email_status__in=[EmailStatus.QUEUED, EmailStatus.HELD], email_due_at__lte=now - SWEEP_GRACE,
        ).order_by("email_due_at").values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    hooks = list(
        WebhookDelivery.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale),
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now - SWEEP_GRACE,
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    _enqueue([(pk, None) for pk in emails], hooks)
    return f"alerts: {len(emails)} email(s), {len(hooks)} webhook delivery(ies) enqueued again"
