"""Insights tasks: recomputing the days the sweep queued (idempotent: a day is recomputed as
a whole, and claimed so two workers never do the same one)."""

from __future__ import annotations

from django.tasks import task

from . import rollup


@task(priority=20)
def recompute_dirty_days() -> int:
    return rollup.recompute_dirty()


def periodic_work() -> str:
    """Each minute (``tingjian.ops.periodic``): queue what changed, once a night the last 40
    days, and start a worker task if any day waits. Computing happens in the task."""
    queued = rollup.sweep()
    nightly = rollup.queue_nightly()
    waiting = rollup.has_dirty_days()
    if waiting:
        recompute_dirty_days.enqueue()
    parts = [f"insights: {queued} days queued"]
    if nightly:
        parts.append(f"nightly {nightly}")
    if waiting:
        parts.append("recompute enqueued")
    return ", ".join(parts)
