"""Every minute, the worker sweeps and polls — through the tasks framework, not a loop.

``tick`` is an ordinary task that does the periodic work and enqueues its own next run
with ``run_after`` one minute later. Several workers (or restarts) may start chains; the
``Heartbeat`` row lets exactly one tick through per minute (a conditional UPDATE), and a
chain whose tick finds it already taken simply ends, so chains never multiply. A worker
that starts finds a chain that died (due more than two minutes ago) and starts it again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.tasks import task

from tingjian import clock
from tingjian.alerts import services as alert_services
from tingjian.channels import pipeline
from tingjian.insights import tasks as insights_tasks
from tingjian.radar import services as radar_services
from tingjian.reports import services as report_services
from tingjian.sla import timers as sla_timers
from tingjian.surveys import services as survey_services

from .models import Heartbeat

logger = logging.getLogger(__name__)

EVERY = timedelta(seconds=60)
SLACK = timedelta(seconds=5)
NAME = "tick"


def run_periodic_work() -> str:
    """What happens each minute: each app's periodic work, collected here. One app's failure
    does not keep the others from running."""
    results = []
    for work in (
        pipeline.periodic_work, sla_timers.periodic_work, alert_services.periodic_work,
        survey_services.periodic_work, insights_tasks.periodic_work, radar_services.periodic_work,
        report_services.periodic_work, prune_task_results,
    ):
        try:
            results.append(work())
        except Exception:
            logger.exception("periodic work %s failed", getattr(work, "__module__", work))
            results.append(f"{getattr(work, '__module__', '?')} failed")
    return "; ".join(results)


PRUNE = "prune-task-results"
PRUNE_EVERY = timedelta(hours=1)


def prune_task_results() -> str:
    """Once an hour, forget finished task results older than TINGJIAN_TASK_RESULTS_KEEP_DAYS.

    Every SLA clock change enqueues a wake-up; most find nothing to do once the clock moved.
    With the database queue each is a row, so without pruning the table grows with every
    case. (Redis expires its results by itself.)
    """
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return "prune: not a database queue"
    now = clock.now()
    Heartbeat.objects.get_or_create(name=PRUNE, defaults={"due_at": now})
    if not Heartbeat.objects.filter(name=PRUNE, due_at__lte=now).update(due_at=now + PRUNE_EVERY, last_run_at=now):
        return "prune: not due"
    from django_tasks_db.models import DBTaskResult

    cutoff = now - timedelta(days=settings.TINGJIAN_TASK_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return f"prune: {deleted} finished task results removed"


@task(priority=90)
def tick() -> str:
    now = clock.now()
    claimed = Heartbeat.objects.filter(name=NAME, due_at__lte=now + SLACK).update(due_at=now + EVERY, last_run_at=now)
    if not claimed:
        return "another chain ticks"
    # The next tick is enqueued first, so a failure below cannot end the chain.
    tick.using(run_after=now + EVERY).enqueue()
    try:
        result = run_periodic_work()
    except Exception:
        logger.exception("periodic work failed; the next tick tries again")
        result = "failed"
    Heartbeat.objects.filter(name=NAME).update(last_result=result[:300])
    return result


def ensure_ticking() -> bool:
    """Start the chain if none is alive; True if this call started one."""
    now = clock.now()
    beat, created = Heartbeat.objects.get_or_create(name=NAME, defaults={"due_at": now})
    if not created and beat.due_at > now - 2 * EVERY:
        return False
    Heartbeat.objects.filter(name=NAME).update(due_at=now)
    tick.enqueue()
    return True
