"""Notifications: responsible for telling people, in the app, that something needs them.

Must never: decide *whom* to tell (the calling service knows that) or import another app.
Issue 4 adds email, webhooks, preferences and acknowledgement on top of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from tingjian import clock

from .models import Notification


def notify(
    recipients: Iterable[Any],
    *,
    kind: str,
    verb: str,
    params: dict[str, Any] | None = None,
    url: str = "",
) -> list[Notification]:
    """Create one unread notification per distinct recipient."""
    now = clock.now()
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user, kind=kind, verb=verb, params=params or {}, url=url, created_at=now
            )
        )
    with transaction.atomic():
        return Notification.objects.bulk_create(rows)


def mark_read(user: Any, *, notification_ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=clock.now())
