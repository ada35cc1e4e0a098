"""Reading channels for the administrators' pages: the channels with their activity,
the inbound events (the dead-letter list among them) and the quarantined requests.

One query per concern, never one per row: the channel list is one query, the event
counts of every channel one more. Lists leave the stored bodies out (``defer``); only the
page of one event or one quarantined request reads a body, and shows it as text through
``readable_body``, cut to a size a browser shows comfortably.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tingjian import clock
from tingjian import sealed as secrets

from .models import Channel, EventStatus, InboundEvent, QuarantinedRequest

# What the event list shows unless asked otherwise: what an administrator has to look at.
NEEDS_ATTENTION = (EventStatus.DEAD, EventStatus.RETRYING)
# The statuses requeue accepts and the pages offer a button for.
REQUEUEABLE = (EventStatus.DEAD, EventStatus.RETRYING)
# A body is shown up to this many bytes of text; the rest is cut with a note.
BODY_SHOWN_BYTES = 20 * 1024
# Bodies larger than this are not parsed as JSON to pretty-print them, only shown raw.
PRETTY_PRINT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class EventCounts:
    today: int = 0
    waiting: int = 0
    retrying: int = 0
    dead: int = 0


@dataclass(frozen=True)
class ReadableBody:
    text: str
    size: int  # bytes stored
    cut: bool  # the text stops before the end
    pretty: bool  # JSON, re-indented for reading


def channels() -> QuerySet[Channel]:
    """Every channel with its default branch and department; settings and secrets left out."""
    return Channel.objects.select_related("branch", "department").defer("config", "secrets_encrypted", "state")


def channel(pk: int) -> Channel:
    """One channel with everything its form needs; DoesNotExist if none."""
    return Channel.objects.select_related("branch", "department").get(pk=pk)


def secrets_set(channel: Channel) -> frozenset[str]:
    """The names of the channel's secrets that hold a value; the values are not returned."""
    return frozenset(key for key, value in secrets.unseal(channel.secrets_encrypted).items() if value)


def start_of_today() -> datetime:
    return timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)


def event_counts(*, since: datetime | None = None) -> dict[int, EventCounts]:
    """Per channel id: events received since ``since`` (today by default) and those
    waiting, retrying or dead — in one grouped query over the rows that matter only."""
    since = since or start_of_today()
    waiting, retrying, dead = EventStatus.RECEIVED, EventStatus.RETRYING, EventStatus.DEAD
    rows = (
        InboundEvent.objects.filter(Q(received_at__gte=since) | Q(status__in=[waiting, retrying, dead]))
        .values("channel_id")
        .annotate(
            today=Count("id", filter=Q(received_at__gte=since)),
            waiting=Count("id", filter=Q(status=waiting)),
            retrying=Count("id", filter=Q(status=retrying)),
            dead=Count("id", filter=Q(status=dead)),
        )
        .order_by()
    )
    return {
        row["channel_id"]: EventCounts(today=row["today"], waiting=row["waiting"], retrying=row["retrying"], dead=row["dead"])
        for row in rows
    }


def quarantine_count() -> int:
    return QuarantinedRequest.objects.count()


def events(*, statuses: Iterable[str] = (), channel_id: int | None = None) -> QuerySet[InboundEvent]:
    """Inbound events, newest first, without their bodies; all statuses when none given."""
    found = InboundEvent.objects.select_related("channel").defer(
        "body", "meta", "channel__config", "channel__secrets_encrypted", "channel__state",
    )
    statuses = list(statuses)
    if statuses:
        found = found.filter(status__in=statuses)
    if channel_id is not None:
        found = found.filter(channel_id=channel_id)
    return found.order_by("-received_at", "-id")


def event(pk: int) -> InboundEvent:
    """One event with its body, its channel and the case it was filed into; DoesNotExist if none."""
    return InboundEvent.objects.select_related("channel", "case").defer(
        "channel__config", "channel__secrets_encrypted", "channel__state",
    ).get(pk=pk)


def quarantined() -> QuerySet[QuarantinedRequest]:
    return QuarantinedRequest.objects.select_related("channel").defer(
        "body", "channel__config", "channel__secrets_encrypted", "channel__state",
    ).order_by("-received_at", "-id")


def quarantined_request(pk: int) -> QuarantinedRequest:
    return QuarantinedRequest.objects.select_related("channel").defer(
        "channel__config", "channel__secrets_encrypted", "channel__state",
    ).get(pk=pk)


def readable_body(body: bytes | memoryview, *, limit: int = BODY_SHOWN_BYTES) -> ReadableBody:
    """A stored body as text a person can read: UTF-8 (bad bytes replaced), JSON re-indented,
    at most ``limit`` bytes of it. It is shown as text only, never interpreted."""
    raw = bytes(body)
    data, pretty = raw, False
    if raw.lstrip()[:1] in (b"{", b"[") and len(raw) <= PRETTY_PRINT_MAX_BYTES:
        with contextlib.suppress(ValueError, RecursionError):  # not JSON after all: shown as it came
            data, pretty = json.dumps(json.loads(raw), ensure_ascii=False, indent=2).encode(), True
    cut = len(data) > limit
    text = data[:limit].decode("utf-8", errors="replace")
    if cut:
        text = text.rstrip("\ufffd")  # a character the cut split in two
    return ReadableBody(text=text, size=len(raw), cut=cut, pretty=pretty)
