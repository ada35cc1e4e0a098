"""REST intake (``POST /api/v1/intake``): other systems hand us complaints as JSON.

The endpoint validates and stores the request as an InboundEvent keyed by the caller's
Idempotency-Key; this adapter turns that stored JSON into a customer message in the task.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from tingjian import clock

from .base import (
    Adapter,
    ChannelConfig,
    Contact,
    CustomerMessage,
    IncomingEvent,
    MalformedPayload,
    ParsedEvent,
)

HANDLE_ORDER = ("line", "wechat_openid", "messenger", "instagram", "email", "phone")


def _when(value: Any) -> datetime:
    parsed = parse_datetime(str(value)) if value else None
    return parsed if parsed is not None and parsed.tzinfo is not None else clock.now()


class ApiAdapter(Adapter):
    kind = "api"
    label = "REST intake"
    has_webhook = False
    config_keys = ("source",)

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        try:
            data = json.loads(event.payload)
            person: dict[str, Any] = data["customer"]
            text = str(data["body"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedPayload(f"stored intake request is not readable: {type(exc).__name__}") from exc
        handles = [(str(i["kind"]), str(i["value"])) for i in person.get("identities", [])]
        if person.get("phone"):
            handles.append(("phone", str(person["phone"])))
        if person.get("email"):
            handles.append(("email", str(person["email"])))
        handles.sort(key=lambda h: HANDLE_ORDER.index(h[0]) if h[0] in HANDLE_ORDER else len(HANDLE_ORDER))
        if not handles:
            raise MalformedPayload("the intake request names no way to reach the customer")
        kind, handle = handles[0]
        contact = Contact(
            kind=kind, handle=handle, display_name=str(person.get("name", "")),
            given=tuple(handles[1:]), language=str(person.get("language", "")),
        )
        return [
            CustomerMessage(
                external_id=f"api:{channel.name}:{event.external_id}", contact=contact, text=text,
                sent_at=_when(data.get("sent_at")), channel=str(data.get("channel") or "api"),
                subject=str(data.get("subject", "")), fields=dict(data.get("fields") or {}),
            )
        ]


ADAPTER = ApiAdapter()
