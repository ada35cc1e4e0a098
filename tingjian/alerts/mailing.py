"""Emailing one notification: the body of the ``send_notification_email`` task.

Responsible for: rendering the mail in the recipient's language and time zone (HTML and
plain text, with a link to the item and, when asked for, a signed acknowledge link),
sending it once, and recording the outcome on the notification. Must never: send twice
(the row is claimed with a conditional UPDATE first), send during the recipient's quiet
hours unless the alert is urgent, or log the address or the text (personal data).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tingjian import clock

from . import links, selectors, tasks
from .models import EmailStatus, Notification, NotificationPreference
from .services import CLAIM_TIMEOUT, absolute_url

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd and 4th attempt; after the 4th failure the email is given up.
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
SUBJECT_MAX = 150


def recipient_language(user: Any) -> str:
    profile = getattr(user, "profile", None)
    language = getattr(profile, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def send(notification_id: int) -> str:
    """Send the notification's email if it is due; safe to run twice, or in two workers."""
    now = clock.now()
    claimed = Notification.objects.filter(
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=notification_id, email_status__in=[EmailStatus.QUEUED, EmailStatus.HELD],
    ).update(email_claimed_at=now)
    if not claimed:
        return "nothing to send (already sent, off, or another worker has it)"
    notification = selectors.notification(notification_id)
    user = notification.recipient
    preference = selectors.preference_for(user)
    # Looked at again now: the person may have changed their choices since it was queued.
    if not user.is_active or not user.email or not preference.wants_email(notification.kind):
        _record(notification_id, email_status=EmailStatus.OFF, email_due_at=None)
        return "off"
    quiet_until = None if notification.urgent else preference.quiet_until(now)
    if quiet_until is not None:
        _record(notification_id, email_status=EmailStatus.HELD, email_due_at=quiet_until)
        tasks.enqueue_email(notification_id, run_after=quiet_until)
        return "held until the end of quiet hours"
    message = render(notification, preference)
    try:
        message.send()
    except Exception as exc:
        return _failed(notification, exc)
    _record(
        notification_id, email_status=EmailStatus.SENT, email_sent_at=clock.now(), email_error="",
        email_due_at=None, email_attempts=notification.email_attempts + 1,
    )
    return "sent"


def render(notification: Notification, preference: NotificationPreference) -> EmailMultiAlternatives:
    user = notification.recipient
    with translation.override(recipient_language(user)), timezone.override(preference.zone):
        context = {
            "notification": notification,
            "text": notification.text,
            "item_url": absolute_url(notification.url),
            "ack_url": links.ack_url(notification) if notification.awaiting_acknowledgement else "",
            "preferences_url": absolute_url(reverse("web:notification-preferences")),
            "name": user.get_full_name() or user.get_username(),
        }
        subject = " ".join(render_to_string("alerts/email/subject.txt", context).split())[:SUBJECT_MAX]
        text = render_to_string("alerts/email/notification.txt", context)
        html = render_to_string("alerts/email/notification.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
        # Out-of-office replies must not answer an automatic mail (nor reach our mailbox channel).
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _record(notification_id: int, **fields: Any) -> None:
    Notification.objects.filter(pk=notification_id).update(email_claimed_at=None, **fields)


def _failed(notification: Notification, exc: Exception) -> str:
    attempts = notification.email_attempts + 1
    # The class only: an SMTP error's text may quote the address.
    problem = type(exc).__name__[:200]
    if attempts <= len(RETRY_WAITS):
        due = clock.now() + RETRY_WAITS[attempts - 1]
        logger.warning("email of notification %s failed (%s); attempt %s, retrying", notification.pk, problem, attempts)
        _record(
            notification.pk, email_status=EmailStatus.QUEUED, email_attempts=attempts, email_error=problem,
            email_due_at=due,
        )
        tasks.enqueue_email(notification.pk, run_after=due)
        return "will retry"
    logger.error("email of notification %s failed for good (%s) after %s attempts", notification.pk, problem, attempts)
    _record(
        notification.pk, email_status=EmailStatus.FAILED, email_attempts=attempts, email_error=problem,
        email_due_at=None,
    )
    return "failed"
