"""Background work of the reports app (django.tasks): thin, by id, idempotent.

The sweeps (``queue_due_reports``, ``queue_due_deliveries``) run each minute from
``services.periodic_work``; a row is queued again only when its ``due_at`` has passed, and
queueing moves ``due_at`` forward, so a slow queue is not flooded. Whether a task is queued
once or five times, the claims in ``generation`` and ``delivery`` let it run once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.tasks import task

from .models import Delivery, DeliveryStatus, Report, ReportStatus

logger = logging.getLogger(__name__)

# How long a queued task may wait before the sweep queues it again.
REQUEUE_AFTER = timedelta(minutes=10)
BATCH = 100


@task(priority=20)
def generate_report(report_id: int) -> str:
    from .generation import generate

    return generate(report_id)


@task(priority=30)
def send_delivery(delivery_id: int) -> str:
    from .delivery import send

    return send(delivery_id)


def enqueue_generate(report_id: int) -> None:
    # A queue that is down must not fail the caller: the row says the work is due, and the
    # sweep queues it again.
    try:
        generate_report.enqueue(report_id)
    except Exception:
        logger.exception("could not enqueue the making of report %s; the sweep will", report_id)


def enqueue_send(delivery_id: int, *, run_after: datetime | None = None) -> None:
    try:
        chosen = send_delivery.using(run_after=run_after) if run_after else send_delivery
        chosen.enqueue(delivery_id)
    except Exception:
        logger.exception("could not enqueue report delivery %s; the sweep will", delivery_id)


def queue_due_reports(now: datetime) -> int:
    from .generation import CLAIM_TIMEOUT

    due = Q(status=ReportStatus.PENDING) & (Q(due_at__isnull=True) | Q(due_at__lte=now))
    stale = Q(status=ReportStatus.GENERATING, claimed_at__lt=now - CLAIM_TIMEOUT)
    queued = 0
    for report_id in Report.objects.filter(due | stale).order_by("requested_at").values_list("pk", flat=True)[:BATCH]:
        # Moved forward first, with the same condition: two sweeps at once queue it once.
        if Report.objects.filter(due | stale, pk=report_id).update(due_at=now + REQUEUE_AFTER):
            enqueue_generate(report_id)
            queued += 1
    return queued


def queue_due_deliveries(now: datetime) -> int:
    from .delivery import give_up_interrupted

    give_up_interrupted(now)
    due = Q(status=DeliveryStatus.PENDING, report__status=ReportStatus.READY) & (
        Q(due_at__isnull=True) | Q(due_at__lte=now)
    )
    queued = 0
    for delivery_id in Delivery.objects.filter(due).order_by("created_at").values_list("pk", flat=True)[:BATCH]:
        if Delivery.objects.filter(
            Q(due_at__isnull=True) | Q(due_at__lte=now), pk=delivery_id, status=DeliveryStatus.PENDING,
        ).update(due_at=now + REQUEUE_AFTER):
            enqueue_send(delivery_id)
            queued += 1
    return queued


def queue_deliveries_of(report_id: int) -> int:
    """Right after a report is made: send its waiting deliveries without waiting for the sweep."""
    ids = list(
        Delivery.objects.filter(report_id=report_id, status=DeliveryStatus.PENDING).values_list("pk", flat=True)
    )
    for delivery_id in ids:
        enqueue_send(delivery_id)
    return len(ids)
