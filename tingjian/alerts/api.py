"""The alerts part of REST API v1: the caller's own notifications (STYLE rule 7).

Thin endpoints over ``alerts.selectors`` and ``alerts.services``. Someone else's
notification is ``Notification.DoesNotExist`` (404, never a hint that it exists) and
``NothingToAcknowledge`` is a ValidationError (422): the api app renders both. A second
acknowledgement is answered here, because alerts may not import the api app's problem
helpers (the layering contract) and the answer must carry who acknowledged and when.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import formats
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from . import selectors, services
from .errors import AlreadyAcknowledged
from .models import AckVia, Notification

router = Router()

PROBLEM_TYPE = "https://tingjian.dev/problems/already-acknowledged"


class AlertQuery(Schema):
    unread: bool = Field(False, description="only the unread ones")
    awaiting_ack: bool = Field(False, description="only those still waiting for your acknowledgement")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


class AlertOut(Schema):
    id: int
    kind: str
    topic: str
    text: str = Field(description="in the language of the request")
    url: str = Field(description="absolute link to the item, or empty")
    urgent: bool
    requires_ack: bool
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_via: str = Field(description="app, email or api; empty until acknowledged")


class AlertPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AlertOut]


def alert_out(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk, "kind": notification.kind, "topic": notification.topic,
        "text": notification.text, "url": services.absolute_url(notification.url),
        "urgent": notification.urgent, "requires_ack": notification.requires_ack,
        "created_at": notification.created_at, "read_at": notification.read_at,
        "acknowledged_at": notification.acknowledged_at, "acknowledged_via": notification.acknowledged_via,
    }


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _already_acknowledged(request: HttpRequest, exc: AlreadyAcknowledged) -> HttpResponse:
    by = exc.by.get_username()
    body = {
        "type": PROBLEM_TYPE, "title": _("Already acknowledged"), "status": 409,
        "detail": _("Already acknowledged by %(name)s at %(at)s.") % {
            "name": exc.by_name, "at": formats.date_format(exc.at, "Y-m-d H:i"),
        },
        "instance": request.path,
        "acknowledged_at": exc.at.isoformat(), "acknowledged_by": by, "acknowledged_via": exc.via,
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=409, content_type="application/problem+json; charset=utf-8",
    )


@router.get("", response=AlertPage, summary="Your notifications, newest first")
def list_alerts(request: HttpRequest, filters: Query[AlertQuery]) -> dict[str, Any]:
    found = selectors.notifications_for(_user(request), unread=filters.unread, awaiting_ack=filters.awaiting_ack)
    rows = found[filters.offset:filters.offset + filters.limit]
    return {
        "count": found.count(), "limit": filters.limit, "offset": filters.offset,
        "items": [alert_out(n) for n in rows],
    }


@router.post(
    "/{alert_id}/acknowledge", response=AlertOut,
    summary="Acknowledge an alert addressed to you (409 if already acknowledged, 422 if it needs none)",
)
def acknowledge(request: HttpRequest, alert_id: int) -> Any:
    user = _user(request)
    notification = selectors.notification_for(user, alert_id)
    try:
        services.acknowledge(notification, by=user, via=AckVia.API)
    except AlreadyAcknowledged as exc:
        return _already_acknowledged(request, exc)
    return alert_out(notification)


@router.post("/{alert_id}/read", response=AlertOut, summary="Mark one of your notifications read")
def mark_read(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    user = _user(request)
    notification = selectors.notification_for(user, alert_id)
    services.mark_read(user, notification_ids=[notification.pk])
    notification.refresh_from_db(fields=["read_at"])
    return alert_out(notification)
