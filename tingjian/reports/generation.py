"""Making one report: the body of the ``generate_report`` task.

Responsible for: claiming the report (a conditional UPDATE, so two workers never make it
twice), composing its snapshot, rendering the HTML and the PDF, storing them, and then
queueing its deliveries. Must never: send email (``delivery`` does), or leave a report
half-made: a failure records the reason and the sweep tries again later.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from tingjian import clock

from . import compose, render
from .models import Report, ReportStatus
from .periods import Period

logger = logging.getLogger(__name__)

# A report still "generating" after this long belonged to a worker that died: take it over.
CLAIM_TIMEOUT = timedelta(minutes=15)
RETRY_WAITS = (timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=60))


def claim(report_id: int) -> bool:
    now = clock.now()
    return bool(
        Report.objects.filter(
            Q(status=ReportStatus.PENDING) | Q(status=ReportStatus.GENERATING, claimed_at__lt=now - CLAIM_TIMEOUT),
            pk=report_id,
        ).update(status=ReportStatus.GENERATING, claimed_at=now)
    )


def generate(report_id: int) -> str:
    """Make the report if it is waiting; safe to run twice, or in two workers."""
    if not claim(report_id):
        return "nothing to make (ready, failed, or another worker has it)"
    report = Report.objects.get(pk=report_id)
    period = Period(report.cadence, report.period_start, report.period_end)
    try:
        data = compose.compose(
            period=period, scope=report.scope, branch_id=report.branch_id, department_id=report.department_id,
            language=report.language,
        )
        document = render.html(data)
        pdf = render.pdf(document)
    except Exception as exc:
        return _failed(report, exc)
    with transaction.atomic():
        Report.objects.filter(pk=report_id, status=ReportStatus.GENERATING).update(
            status=ReportStatus.READY, data=data, html=document, pdf=pdf, generated_at=clock.now(), error="",
            claimed_at=None, due_at=None, attempts=report.attempts + 1,
            scope_label=str(data.get("scope", {}).get("label", ""))[:200],
        )
        transaction.on_commit(lambda: _queue_deliveries(report_id))
    return "made"


def _queue_deliveries(report_id: int) -> None:
    from . import tasks

    tasks.queue_deliveries_of(report_id)


def _failed(report: Report, exc: Exception) -> str:
    attempts = report.attempts + 1
    problem = f"{type(exc).__name__}: {exc}"[:300]
    logger.exception("report %s could not be made (attempt %s)", report.pk, attempts)
    if attempts <= len(RETRY_WAITS):
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.PENDING, attempts=attempts, error=problem, claimed_at=None,
            due_at=clock.now() + RETRY_WAITS[attempts - 1],
        )
        return "will retry"
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.FAILED, attempts=attempts, error=problem, claimed_at=None, due_at=None,
    )
    return "failed"
