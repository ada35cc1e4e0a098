"""Signed acknowledge links for emails: a person acknowledges from a phone's mail app.

The token names the notification and its recipient and is signed with SECRET_KEY and a
salt of its own, so it cannot be made for another notification or reused for another
purpose; it expires after ``TINGJIAN_ACK_LINK_MAX_AGE`` seconds. Opening the link only
shows a page: mail scanners fetch links, so acknowledging takes a POST from that page.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Notification

SALT = "tingjian.alerts.ack-link"


class ForgedLink(Exception):
    """The token was not made by us (or was altered)."""


class ExpiredLink(Exception):
    """The token is ours but older than the allowed age."""


def ack_token(notification: Notification) -> str:
    return signing.dumps({"n": notification.pk, "u": notification.recipient_id}, salt=SALT, compress=False)


def ack_url(notification: Notification) -> str:
    path = reverse("web:notifications-ack", args=[ack_token(notification)])
    return f"{settings.TINGJIAN_PUBLIC_URL}{path}"


def read_ack_token(token: str) -> int:
    """The notification id the token was made for; ForgedLink or ExpiredLink otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.TINGJIAN_ACK_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ExpiredLink(str(exc)) from exc
    except signing.BadSignature as exc:
        raise ForgedLink(str(exc)) from exc
    try:
        notification_id = int(data["n"])
        recipient_id = int(data["u"])
    except (TypeError, KeyError, ValueError) as exc:
        raise ForgedLink("the token does not name a notification") from exc
    # A link to a notification since deleted (with its recipient) is simply not valid.
    if not Notification.objects.filter(pk=notification_id, recipient_id=recipient_id).exists():
        raise ForgedLink("no such notification for that recipient")
    return notification_id
