"""Background work of the alerts app (django.tasks): thin, by id, idempotent.

The task bodies import their module when they run, so the modules that enqueue (services,
mailing, webhooks) can import this one without a cycle.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.tasks import task

logger = logging.getLogger(__name__)


@task(priority=40)
def send_notification_email(notification_id: int) -> str:
    from .mailing import send

    return send(notification_id)


@task(priority=40)
def deliver_webhook(delivery_id: int) -> str:
    from .webhooks import deliver

    return deliver(delivery_id)


def enqueue_email(notification_id: int, *, run_after: datetime | None = None) -> None:
    # A queue that is down must not fail the caller (notify runs this after commit): the
    # row says the email is due, and the sweep (services.periodic_work) enqueues it again.
    try:
        chosen = send_notification_email.using(run_after=run_after) if run_after else send_notification_email
        chosen.enqueue(notification_id)
    except Exception:
        logger.exception("could not enqueue the email of notification %s; the sweep will", notification_id)


def enqueue_webhook(delivery_id: int, *, run_after: datetime | None = None) -> None:
    try:
        chosen = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook
        chosen.enqueue(delivery_id)
    except Exception:
        logger.exception("could not enqueue webhook delivery %s; the sweep will", delivery_id)
