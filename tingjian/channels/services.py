"""Channels: configuring them, and taking in what they deliver.

Responsible for: channel settings and their encrypted secrets (validated against the
adapter's keys, audited without their values), storing each delivered event once
(``receive``), quarantining unreadable bodies, counting refused requests, and requeueing
dead-lettered events. Must never: parse or file an event inside a web request (that is
``channels.pipeline``, in a task), call a platform from a webhook view, or log a secret or
a message's text.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.constants import OnConflict
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian import sealed as secrets
from tingjian.audit import services as audit

from .adapters import MODULES, get_adapter
from .adapters.base import Accepted, ChannelConfig
from .models import Channel, EventStatus, InboundEvent, Kind, QuarantinedRequest

logger = logging.getLogger(__name__)

QUARANTINE_MAX_BYTES = 256 * 1024
PERM = "channels.manage_channels"


def ensure_may_manage(by: Any) -> None:
    if by is not None and not by.has_perm(PERM):
        raise PermissionDenied(_("Only an administrator may configure channels."))


def channel_config(channel: Channel) -> ChannelConfig:
    """The channel as its adapter sees it, secrets decrypted (kept in memory only)."""
    adapter = get_adapter(channel.kind)
    api_base = getattr(settings, adapter.api_base_setting, "") if adapter.api_base_setting else ""
    state = dict(channel.state or {})
    sealed = state.pop("sealed", "")
    if sealed:
        state.update(secrets.unseal(sealed))
    return ChannelConfig(
        kind=channel.kind, name=channel.name, config=dict(channel.config or {}),
        secrets=secrets.unseal(channel.secrets_encrypted), api_base=api_base, state=state,
    )


def webhook_url(channel: Channel) -> str:
    return f"{settings.TINGJIAN_PUBLIC_URL}/hooks/{channel.kind}/{channel.name}/"


def _coerce(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in {"true", "false", "yes", "no", "on", "off"}:
        return value.lower() in {"true", "yes", "on"}
    return value


def _split(kind: str, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Sort key=value settings into plain settings and secrets; unknown keys are an error."""
    adapter = get_adapter(kind)
    config: dict[str, Any] = {}
    hidden: dict[str, str] = {}
    unknown = []
    for key, value in values.items():
        if key in adapter.secret_keys:
            hidden[key] = str(value)
        elif key in adapter.config_keys or key in COMMON_KEYS:
            config[key] = _coerce(value)
        else:
            unknown.append(key)
    if unknown:
        allowed = ", ".join(sorted({*adapter.config_keys, *adapter.secret_keys, *COMMON_KEYS}))
        raise ValidationError(
            _("Unknown setting(s) for %(kind)s: %(keys)s. Known: %(allowed)s")
            % {"kind": kind, "keys": ", ".join(sorted(unknown)), "allowed": allowed}
        )
    return config, hidden


# Settings every channel understands, whatever its platform.
COMMON_KEYS = ("auto_reply", "auto_reply_text", "language")


def _missing(kind: str, config: Mapping[str, Any], hidden: Mapping[str, str]) -> list[str]:
    adapter = get_adapter(kind)
    return [k for k in adapter.required_keys if not (config.get(k) or hidden.get(k))]


def create_channel(
    *, kind: str, name: str, display_name: str = "", values: Mapping[str, Any] | None = None,
    by: Any | None, sandbox: bool = False, branch: Any = None, department: Any = None,
) -> Channel:
    ensure_may_manage(by)
    if kind not in MODULES or kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown channel kind: %(k)s") % {"k": kind}})
    config, hidden = _split(kind, values or {})
    missing = _missing(kind, config, hidden)
    if missing:
        raise ValidationError(_("Missing setting(s): %(keys)s") % {"keys": ", ".join(missing)})
    now = clock.now()
    channel = Channel(
        kind=kind, name=name, display_name=display_name or name, config=config,
        secrets_encrypted=secrets.seal(hidden), sandbox=sandbox, branch=branch,
        department=department, created_at=now, updated_at=now,
    )
    channel.full_clean()
    try:
        with transaction.atomic():
            channel.save()
            audit.record(
                "channel.created", actor=by, object_type="channel", object_id=channel.pk,
                summary=f"{kind} channel {name} created",
                after={"config": sorted(config), "secrets": sorted(hidden), "sandbox": sandbox},
            )
    except IntegrityError as exc:
        raise ValidationError({"name": _("A %(kind)s channel named %(name)s exists already.") % {"kind": kind, "name": name}}) from exc
    return channel


def update_channel(
    channel: Channel, *, by: Any | None, values: Mapping[str, Any] | None = None,
    clear: Iterable[str] = (), **fields: Any,
) -> Channel:
    """Change settings; a secret given replaces the stored one, a secret left out is kept."""
    ensure_may_manage(by)
    allowed = {"display_name", "is_active", "sandbox", "branch", "department"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    config, hidden = _split(channel.kind, values or {})
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        stored = secrets.unseal(channel.secrets_encrypted)
        merged_config = {**channel.config, **config}
        merged_secrets = {**stored, **{k: v for k, v in hidden.items() if v}}
        for key in clear:
            merged_config.pop(key, None)
            merged_secrets.pop(key, None)
        missing = _missing(channel.kind, merged_config, merged_secrets)
        if missing:
            raise ValidationError(_("Missing setting(s): %(keys)s") % {"keys": ", ".join(missing)})
        for key, value in fields.items():
            setattr(channel, key, value)
        channel.config = merged_config
        channel.secrets_encrypted = secrets.seal(merged_secrets)
        channel.updated_at = clock.now()
        channel.full_clean()
        channel.save()
        audit.record(
            "channel.changed", actor=by, object_type="channel", object_id=channel.pk,
            summary=f"{channel.kind} channel {channel.name} changed",
            after={
                "fields": sorted(fields), "config": sorted(config),
                "secrets_replaced": sorted(k for k, v in hidden.items() if v), "cleared": sorted(clear),
            },
        )
    return channel


def save_state(channel: Channel, changes: Mapping[str, Any], *, sealed_keys: Iterable[str] = ()) -> None:
    """Remember what an adapter asked to keep; secret-like values (tokens) are sealed."""
    if not changes:
        return
    sealed_keys = set(sealed_keys)
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        state = dict(locked.state or {})
        hidden = secrets.unseal(state.get("sealed", ""))
        for key, value in changes.items():
            if key in sealed_keys or "token" in key:
                hidden[key] = value
            else:
                state[key] = value
        state["sealed"] = secrets.seal(hidden)
        locked.state = state
        locked.save(update_fields=["state"])
        channel.state = state


def note_problem(channel: Channel, problem: str) -> None:
    Channel.objects.filter(pk=channel.pk).update(last_error=problem[:500], last_error_at=clock.now())


def count_rejection(channel: Channel) -> None:
    """A request with a wrong or missing signature: counted for the administrator, nothing kept."""
    Channel.objects.filter(pk=channel.pk).update(
        rejected_requests=F("rejected_requests") + 1, last_rejected_at=clock.now()
    )
    logger.warning("refused a request with a bad signature on channel %s/%s", channel.kind, channel.name)


def quarantine(channel: Channel | None, body: bytes, *, reason: str, content_type: str = "") -> QuarantinedRequest:
    item = QuarantinedRequest.objects.create(
        channel=channel, received_at=clock.now(), reason=reason[:500],
        content_type=content_type[:100], body=body[:QUARANTINE_MAX_BYTES], size=len(body),
    )
    logger.warning("quarantined an unreadable %d-byte request (#%s)", len(body), item.pk)
    return item


def client_address(meta: Mapping[str, Any]) -> str:
    """The client's address: REMOTE_ADDR, or, behind ``TINGJIAN_TRUSTED_PROXIES`` proxies, the
    entry they added to X-Forwarded-For (counted from the right: a client can forge the left)."""
    proxies = int(getattr(settings, "TINGJIAN_TRUSTED_PROXIES", 0) or 0)
    remote = str(meta.get("REMOTE_ADDR", ""))
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    return hops[-proxies] if len(hops) >= proxies else remote


def client_key(address: str) -> str:
    """A keyed hash of a client address: enough to rate-limit, useless to identify anyone."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


_EVENT_FIELDS = [f for f in InboundEvent._meta.concrete_fields if not f.primary_key]


def _insert_new(event: InboundEvent) -> bool:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id (PostgreSQL and SQLite ≥ 3.35 alike).

    One round trip and no savepoint; a redelivery (the channel + platform id exists) comes
    back empty. bulk_create(ignore_conflicts=True) would not return the new id, and
    save() + IntegrityError needs a savepoint: the benchmark put both on the hot path.
    """
    rows = InboundEvent.objects._insert(  # type: ignore[attr-defined]
        [event], fields=_EVENT_FIELDS, returning_fields=[InboundEvent._meta.pk], on_conflict=OnConflict.IGNORE,
    )
    if not rows:
        return False
    event.pk = rows[0][0]
    event._state.adding = False
    return True


def _enqueue_in_transaction() -> bool:
    """With the database-backed queue the task row can be written in the event's own
    transaction: one commit per webhook instead of two, and never an event without its task.
    Other queues (Redis) are told only after the commit, so a worker never looks for an event
    it cannot see yet."""
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def receive(
    channel: Channel, accepted: Accepted, *, client: str = "", public_token: str = "", fingerprint: str = "",
    enqueue: bool = True,
) -> list[tuple[InboundEvent, bool]]:
    """Store each event once (a redelivery finds the first) and enqueue the new ones.

    ``enqueue=False`` is for a caller that files the events itself right away (the call-log
    import, whose progress bar counts filed calls); the sweep still covers a crash between.

    Returns (event, created) pairs. If the queue cannot be reached the event stays
    "received" and the sweep enqueues it later — it is never lost.
    """
    from .pipeline import enqueue_ingest

    now = clock.now()
    out: list[tuple[InboundEvent, bool]] = []
    together = _enqueue_in_transaction()
    with transaction.atomic():
        for incoming in accepted.events:
            external_id = incoming.external_id[:255]
            event = InboundEvent(
                channel=channel, external_id=external_id, received_at=now, body=incoming.payload,
                content_type=incoming.content_type[:100], meta=dict(incoming.meta),
                client_key=client_key(client) if client else "",
                public_token=public_token if len(accepted.events) == 1 else "", fingerprint=fingerprint,
            )
            if not _insert_new(event):
                out.append((InboundEvent.objects.get(channel=channel, external_id=external_id), False))
                continue
            out.append((event, True))
            if not enqueue:
                continue
            if together:
                enqueue_ingest(event.pk)
            else:
                transaction.on_commit(partial(enqueue_ingest, event.pk))
        if any(created for _event, created in out) and now - _last_touched.get(channel.pk, _LONG_AGO) > timedelta(minutes=1):
            # At most once a minute per process: every webhook updating one channel row would
            # serialise them all on its lock.
            _last_touched[channel.pk] = now
            Channel.objects.filter(pk=channel.pk).update(last_event_at=now)
    return out


_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
_last_touched: dict[int, datetime] = {}


def requeue(event: InboundEvent, *, by: Any) -> InboundEvent:
    """An administrator's one click: try a failed or dead-lettered event again from scratch."""
    from .pipeline import enqueue_ingest

    ensure_may_manage(by)
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event.pk)
        if event.status not in {EventStatus.DEAD, EventStatus.RETRYING, EventStatus.RECEIVED}:
            raise ValidationError(_("Only a failed or waiting event can be requeued."))
        before = event.status
        event.status = EventStatus.RECEIVED
        event.attempts = 0
        event.next_attempt_at = None
        event.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record(
            "channel.event_requeued", actor=by, object_type="channel", object_id=event.channel_id,
            summary=f"event {event.pk} requeued", before={"status": before}, after={"event": event.pk},
        )
        transaction.on_commit(lambda: enqueue_ingest(event.pk))
    return event


class IdempotencyConflict(Exception):
    """An Idempotency-Key was used before with a different request body."""


def api_channel(name: str = "") -> Channel:
    """The REST intake channel named, or the default one (made on first use: it has no secrets)."""
    if name:
        channel = Channel.objects.filter(kind=Kind.API, name=name, is_active=True).first()
        if channel is None:
            raise ValidationError({"channel": _("No active intake channel named %(n)s.") % {"n": name}})
        return channel
    now = clock.now()
    channel, _created = Channel.objects.get_or_create(
        kind=Kind.API, name="api", defaults={"display_name": "REST API", "created_at": now, "updated_at": now}
    )
    return channel


def submit_intake(channel: Channel, *, key: str, document: dict[str, Any], by: Any) -> tuple[InboundEvent, bool]:
    """Store a complaint another system sent, once per Idempotency-Key.

    The same key with the same body returns the first event (a client retrying after a
    timeout gets the same answer); the same key with another body is refused.
    """
    import json

    from .adapters.base import IncomingEvent

    if not by.has_perm("cases.add_case"):
        raise PermissionDenied(_("You may not open cases."))
    body = json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode()
    fingerprint = hashlib.sha256(body).hexdigest()
    existing = InboundEvent.objects.filter(channel=channel, external_id=key).first()
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise IdempotencyConflict(key)
        return existing, False
    (event, created), = receive(
        channel, Accepted(events=[IncomingEvent(external_id=key, payload=body, meta={"by": by.pk})]),
        fingerprint=fingerprint,
    )
    if created:
        audit.record(
            "channel.intake", actor=by, object_type="channel", object_id=channel.pk,
            summary=f"intake request {event.pk} received", after={"event": event.pk},
        )
    elif event.fingerprint != fingerprint:
        raise IdempotencyConflict(key)
    return event, created


def record_payload_read(*, by: Any, what: str, object_id: int, channel_id: int | None) -> None:
    """Reading a stored payload shows a customer's personal data: who read which, audited."""
    ensure_may_manage(by)
    audit.record(
        "channel.payload_read", actor=by, object_type="channel", object_id=channel_id or "",
        summary=f"{what} {object_id} payload read", after={what: object_id},
    )
