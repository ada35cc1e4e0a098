"""SLA tasks: one per clock wake-up; they take ids and re-read everything (idempotent)."""

from __future__ import annotations

from django.tasks import task

from . import services, timers


@task(priority=80)
def fire_clock(clock_id: int) -> str:
    return timers.fire(clock_id)


@task(priority=70)
def recompute_calendar(calendar_id: int) -> int:
    return services.recompute_for_calendar(calendar_id)
