"""Every minute, the worker sweeps and polls — through the tasks framework, not a loop.

``tick`` is an ordinary task that does the periodic work and enqueues its own next run
with ``run_after`` one minute later. Several workers (or restarts) may start chains; the
``Heartbeat`` row lets exactly one tick through per minute (a conditional UPDATE), and a
chain whose tick finds it already taken simply ends, so chains never multiply. A worker
that starts finds a chain that died (due more than two minutes ago) and starts it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.tasks import task

from tingjian import clock
from tingjian.channels import pipeline
from tingjian.channels.models import Channel, Kind

from .models import Heartbeat

logger = logging.getLogger(__name__)

EVERY = timedelta(seconds=60)
SLACK = timedelta(seconds=5)
NAME = "tick"


def run_periodic_work() -> str:
    """What happens each minute; also what `tingjian channels sweep` runs from cron."""
    from tingjian.channels.tasks import poll_mailbox

    swept = pipeline.sweep()
    polled = 0
    for channel in Channel.objects.filter(kind=Kind.EMAIL, is_active=True).only("pk", "config", "state"):
        every = int((channel.config or {}).get("poll_seconds") or 60)
        last = (channel.state or {}).get("last_poll_at")
        if last and clock.now() - clock_parse(last) < timedelta(seconds=every) - SLACK:
            continue
        try:
            poll_mailbox.enqueue(channel.pk)
            polled += 1
        except Exception:
            logger.exception("could not enqueue the poll of mailbox %s", channel.pk)
    return f"requeued {swept['events']} event(s), {swept['deliveries']} delivery(ies); polling {polled} mailbox(es)"


def clock_parse(value: str) -> datetime:
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value)
    return parsed if parsed is not None else clock.now() - timedelta(days=1)


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
