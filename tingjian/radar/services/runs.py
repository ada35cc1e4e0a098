"""Claiming a periodic job: one conditional UPDATE, so it runs once however many workers tick."""

from __future__ import annotations

from datetime import datetime

from ..models import RadarRun


def claim(name: str, now: datetime, *, next_due: datetime) -> bool:
    """True for the one caller that moves the job's due time from the past to ``next_due``."""
    RadarRun.objects.get_or_create(name=name, defaults={"due_at": now})
    return bool(RadarRun.objects.filter(name=name, due_at__lte=now).update(due_at=next_due, last_run_at=now))


def note(name: str, result: str) -> None:
    RadarRun.objects.filter(name=name).update(last_result=result[:300])
