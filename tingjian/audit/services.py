"""Writing and verifying the audit trail.

Responsible for: appending events in the caller's transaction and chaining them by hash,
so that an edited, removed or inserted row shows. Must never: update or delete an event,
or log the before/after values (they may hold personal data).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from tingjian import clock

from .models import AuditEvent

GENESIS = "0" * 64
# Any constant works: every writer of the chain takes the same PostgreSQL advisory lock so
# two transactions never chain onto the same previous event.
_CHAIN_LOCK_KEY = 0x7A1D17


def _plain(value: Any) -> Any:
    """What a JSON column gives back, so the hash computed now equals the one recomputed later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {"prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }


def record(
    action: str,
    *,
    actor: Any | None,
    object_type: str,
    object_id: object,
    summary: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        actor_id = getattr(actor, "pk", None)
        event = AuditEvent(
            at=(at or clock.now()).astimezone(UTC),
            actor_id=actor_id,
            actor_label=getattr(actor, "get_username", lambda: "")() if actor_id else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary[:500],
            before=_plain(before),
            after=_plain(after),
            reason=reason,
            prev_hash=last or GENESIS,
        )
        event.hash = _digest(event.prev_hash, _hashed_fields(event))
        event.save()
        return event


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    problem: str


def verify() -> tuple[int, BrokenLink | None]:
    """Walk the chain in order; return how many events were checked and the first break."""
    expected_prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        checked += 1
        if event.prev_hash != expected_prev:
            return checked, BrokenLink(
                event.id, "previous-hash mismatch: an earlier event was removed or inserted"
            )
        if _digest(event.prev_hash, _hashed_fields(event)) != event.hash:
            return checked, BrokenLink(event.id, "content hash mismatch: this event was edited")
        expected_prev = event.hash
    return checked, None
