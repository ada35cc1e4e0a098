"""The intake pipeline's task half: one stored event → a message on the right case.

``ingest`` is idempotent and safe to run twice, even at once in two workers: the event
row is locked, a filed event is left alone, and a message's platform id is unique. Remote
calls (a new contact's profile) happen *before* the transaction, so no database lock is
held while a platform answers. A failure rolls the filing back, keeps the error on the
event and retries with backoff; after the last try the event is dead-lettered and the
administrators are told, and one click requeues it.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.cases import intake
from tingjian.cases import services as case_services
from tingjian.cases.models import DeliveryStatus
from tingjian.customers import services as customer_services
from tingjian.customers.models import Identity
from tingjian.org.selectors import users_with_role

from .adapters import get_adapter
from .adapters.base import (
    ContactEvent,
    CustomerMessage,
    DeliveryReceipt,
    IncomingEvent,
    MalformedPayload,
    Nothing,
    ParsedEvent,
    Profile,
)
from .models import Channel, Contact, EventStatus, InboundEvent, OutboundDelivery
from .services import channel_config, save_state

logger = logging.getLogger(__name__)

# Waits before each retry; after the last one the event is dead-lettered.
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1


def stuck_after() -> timedelta:
    """How long an event may wait for its task before the sweep enqueues it again."""
    return timedelta(seconds=int(getattr(settings, "TINGJIAN_INGEST_STUCK_AFTER", 300)))


def enqueue_ingest(event_id: int, *, run_after: datetime | None = None) -> None:
    from .tasks import ingest_event

    try:
        task = ingest_event.using(run_after=run_after) if run_after else ingest_event
        task.enqueue(event_id)
    except Exception:  # the queue is down: the sweep finds the event later, nothing is lost
        logger.exception("could not enqueue event %s; the sweep will pick it up", event_id)


@dataclass
class _Prepared:
    parsed: list[ParsedEvent]
    profiles: dict[tuple[str, str], Profile]


def _prepare(event: InboundEvent) -> _Prepared:
    """Parse, and ask the platform about contacts we have never seen (no transaction open)."""
    channel = event.channel
    adapter = get_adapter(channel.kind)
    config = channel_config(channel)
    incoming = IncomingEvent(
        external_id=event.external_id, payload=bytes(event.body), content_type=event.content_type,
        meta=event.meta or {},
    )
    parsed = adapter.parse(config, incoming)
    profiles: dict[tuple[str, str], Profile] = {}
    if channel.sandbox:  # a sandbox never calls its platform
        return _Prepared(parsed, profiles)
    for item in parsed:
        contact = getattr(item, "contact", None)
        if contact is None or contact.display_name or (contact.kind, contact.handle) in profiles:
            continue
        if Identity.objects.filter(kind=contact.kind, external_id=contact.handle).exists():
            continue
        try:
            profile = adapter.fetch_profile(config, contact)
        except Exception as exc:  # a name is nice to have; the complaint matters more
            logger.info("profile lookup failed on %s/%s: %s", channel.kind, channel.name, type(exc).__name__)
            profile = None
        if profile is not None:
            profiles[(contact.kind, contact.handle)] = profile
            if profile.state_changes:
                save_state(channel, profile.state_changes)
                config = channel_config(channel)
    return _Prepared(parsed, profiles)


def _contact_state(channel: Channel, identity: Identity, *, at: datetime, reply_token: str = "", following: bool | None = None) -> None:
    contact, _created = Contact.objects.get_or_create(channel=channel, identity=identity, defaults={"changed_at": at})
    if contact.last_inbound_at is None or at >= contact.last_inbound_at:
        contact.last_inbound_at = at
        if reply_token:
            contact.reply_token, contact.reply_token_at = reply_token, at
    if following is not None:
        contact.following = following
    contact.changed_at = clock.now()
    contact.save()


def _file(event: InboundEvent, item: ParsedEvent, profiles: dict[tuple[str, str], Profile]) -> tuple[str, Any, Any]:
    """File one parsed item; returns (outcome, case, message)."""
    channel = event.channel
    if isinstance(item, Nothing):
        return f"nothing to do: {item.reason}", None, None
    if isinstance(item, DeliveryReceipt):
        deliveries = OutboundDelivery.objects.filter(platform_message_id__in=item.platform_message_ids).select_related("message")
        status = DeliveryStatus.FAILED if item.status == "failed" else DeliveryStatus.DELIVERED
        count = 0
        for delivery in deliveries:
            delivery.status = status
            if status == DeliveryStatus.DELIVERED:
                delivery.delivered_at = item.at
            else:
                delivery.last_error = item.detail[:500]
            delivery.save(update_fields=["status", "delivered_at", "last_error"])
            case_services.set_delivery_status(delivery.message, status=status, error=item.detail if status == DeliveryStatus.FAILED else "")
            count += 1
        return f"delivery receipt for {count} message(s)", None, None
    contact = item.contact
    profile = profiles.get((contact.kind, contact.handle))
    resolution = customer_services.resolve_contact(
        kind=contact.kind, handle=contact.handle,
        display_name=contact.display_name or (profile.display_name if profile else ""),
        unionid=contact.unionid or (profile.unionid if profile else ""),
        given=contact.given, language=contact.language or (profile.language if profile else ""),
    )
    if isinstance(item, ContactEvent):
        following = {"follow": True, "unfollow": False}.get(item.action)
        _contact_state(channel, resolution.identity, at=item.at, reply_token=item.reply_token, following=following)
        return f"{item.action} by customer {resolution.customer.pk}", None, None
    assert isinstance(item, CustomerMessage)
    fields: dict[str, Any] = {}
    if channel.branch_id:
        fields["branch"] = channel.branch
    if channel.department_id:
        fields["department"] = channel.department
    fields.update(item.fields)
    filed = intake.file_message(
        customer=resolution.customer, identity=resolution.identity, channel=item.channel, text=item.text,
        external_id=item.external_id, sent_at=item.sent_at, subject=item.subject, is_public=item.is_public,
        author_reach=contact.reach if contact.reach is not None else (profile.reach if profile else None), attachments=item.attachments, thread_refs=item.thread_refs,
        case_number_hint=item.case_number_hint, fields=fields,
    )
    _contact_state(channel, resolution.identity, at=item.sent_at, reply_token=item.reply_token, following=True)
    if filed.outcome == "opened" and channel.config.get("auto_reply"):
        from .outbound import queue_acknowledgement

        case_id, identity_id = filed.case.pk, resolution.identity.pk
        transaction.on_commit(lambda: queue_acknowledgement(case_id, channel.pk, identity_id))
    pending = [] if channel.sandbox else [a.pk for a in filed.message.attachments.all() if a.media_ref and not a.file]
    if pending:
        from .tasks import fetch_attachment

        for attachment_id in pending:
            transaction.on_commit(partial(_enqueue_quietly, fetch_attachment, attachment_id, channel.pk))
    return f"{filed.outcome} {filed.case.number}", filed.case, filed.message


def _discard_staged(channel: Channel, event: IncomingEvent) -> None:
    try:
        get_adapter(channel.kind).discard_staged(channel_config(channel), event)
    except Exception:  # tidying up must never undo or fail a filing
        logger.exception("could not discard the staged files of a %s event", channel.kind)


def _enqueue_quietly(task: Any, *args: Any) -> None:
    try:
        task.enqueue(*args)
    except Exception:
        logger.exception("could not enqueue %s", getattr(task, "name", task))


def ingest(event_id: int) -> str:
    """Process one stored event; returns what happened (for logs and tests)."""
    event = InboundEvent.objects.select_related("channel").filter(pk=event_id).first()
    if event is None:
        return "no such event"
    if event.status not in {EventStatus.RECEIVED, EventStatus.RETRYING}:
        return f"already {event.status}"
    try:
        prepared = _prepare(event)
    except MalformedPayload as exc:
        return _fail(event_id, exc, final=True)
    except Exception as exc:
        return _fail(event_id, exc)
    try:
        with transaction.atomic():
            event = InboundEvent.objects.select_for_update().select_related("channel").get(pk=event_id)
            if event.status not in {EventStatus.RECEIVED, EventStatus.RETRYING}:
                return f"already {event.status}"
            outcomes, case, message = [], None, None
            for item in prepared.parsed:
                outcome, filed_case, filed_message = _file(event, item, prepared.profiles)
                outcomes.append(outcome)
                case, message = filed_case or case, filed_message or message
            if message is not None:
                staged = IncomingEvent(external_id=event.external_id, payload=bytes(event.body), content_type=event.content_type)
                transaction.on_commit(partial(_discard_staged, event.channel, staged))
            event.status = EventStatus.FILED if message is not None else EventStatus.IGNORED
            event.outcome = "; ".join(outcomes)[:200] or "nothing to do"
            event.case, event.message = case, message
            event.processed_at = clock.now()
            event.last_error = ""
            event.next_attempt_at = None
            event.save()
            return event.outcome
    except Exception as exc:
        return _fail(event_id, exc)


def _fail(event_id: int, exc: Exception, *, final: bool = False) -> str:
    # Only the exception's type and the code's location are kept and logged: its message
    # may quote the customer's text.
    where = traceback.extract_tb(exc.__traceback__)[-3:] if exc.__traceback__ else []
    trail = " ← ".join(f"{frame.name} ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" for frame in reversed(where))
    detail = f"{type(exc).__name__}: {str(exc)[:300]}" + (f"\nat {trail}" if trail else "")
    logger.warning("ingest of event %s failed: %s", event_id, type(exc).__name__)
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().select_related("channel").get(pk=event_id)
        event.attempts += 1
        event.last_error = detail
        if final or event.attempts >= MAX_ATTEMPTS:
            event.status = EventStatus.DEAD
            event.next_attempt_at = None
            event.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            alerts.notify(
                users_with_role("admin"), kind="channel.dead_letter",
                verb=gettext_noop("A message from %(channel)s could not be filed after %(n)s attempts; requeue it once fixed"),
                params={"channel": event.channel.display_name, "n": event.attempts},
                url=f"/channels/events/{event.pk}/",
            )
            return "dead-lettered"
        event.status = EventStatus.RETRYING
        event.next_attempt_at = clock.now() + BACKOFF[min(event.attempts, len(BACKOFF)) - 1]
        event.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        retry_at = event.next_attempt_at
        transaction.on_commit(lambda: enqueue_ingest(event_id, run_after=retry_at))
        return "will retry"


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Enqueue again what a crash, a restart or a queue outage left behind.

    Safe at any moment and as often as wanted: ingest and delivery are idempotent.
    """
    from .outbound import enqueue_delivery

    now = now or clock.now()
    late = now - stuck_after()
    received = list(
        InboundEvent.objects.filter(status=EventStatus.RECEIVED, received_at__lt=late).values_list("pk", flat=True)[:5000]
    )
    retrying = list(
        InboundEvent.objects.filter(status=EventStatus.RETRYING, next_attempt_at__lt=late).values_list("pk", flat=True)[:5000]
    )
    for pk in received + retrying:
        enqueue_ingest(pk)
    deliveries = list(
        OutboundDelivery.objects.filter(status=DeliveryStatus.QUEUED, queued_at__lt=late)
        .exclude(next_attempt_at__gte=late).values_list("pk", flat=True)[:5000]
    )
    for pk in deliveries:
        enqueue_delivery(pk)
    return {"events": len(received) + len(retrying), "deliveries": len(deliveries)}



def periodic_work() -> str:
    """Run every minute by the worker's tick, and by `tingjian channels sweep` from cron."""
    from django.utils.dateparse import parse_datetime

    from .models import Kind
    from .tasks import poll_mailbox

    swept = sweep()
    polled = 0
    for channel in Channel.objects.filter(kind=Kind.EMAIL, is_active=True).only("pk", "config", "state"):
        every = timedelta(seconds=int((channel.config or {}).get("poll_seconds") or 60))
        last = parse_datetime(str((channel.state or {}).get("last_poll_at") or ""))
        if last is not None and clock.now() - last < every - timedelta(seconds=5):
            continue
        _enqueue_quietly(poll_mailbox, channel.pk)
        polled += 1
    return f"requeued {swept['events']} event(s) and {swept['deliveries']} delivery(ies); polling {polled} mailbox(es)"
