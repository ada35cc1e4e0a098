"""Which days a report covers and when it is due, in the company's local time zone.

A weekly report covers Monday to Sunday and is due on the next Monday at 08:00 local time; a
monthly report covers a calendar month and is due on the 1st of the next month at 08:00.
Local means ``settings.TIME_ZONE`` (Asia/Taipei), the zone the KPIs count days in.

Must never: read the database, or use the server's own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import Cadence

SEND_AT = time(8, 0)


@dataclass(frozen=True)
class Period:
    cadence: str
    start: date
    end: date  # inclusive

    @property
    def due_at(self) -> datetime:
        """When the report of this period is sent: the day after it ends, 08:00 local."""
        return datetime.combine(self.end + timedelta(days=1), SEND_AT, tzinfo=local_zone())

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=local_zone())

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=local_zone())

    def previous(self) -> Period:
        return containing(self.cadence, self.start - timedelta(days=1))


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def containing(cadence: str, day: date) -> Period:
    """The week (Monday–Sunday) or month that contains ``day``."""
    if cadence == Cadence.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return Period(cadence, start, start + timedelta(days=6))
    if cadence == Cadence.MONTHLY:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return Period(cadence, start, following - timedelta(days=1))
    raise ValueError(f"unknown cadence {cadence!r}")


def last_due(cadence: str, now: datetime) -> Period:
    """The latest period whose report is due at or before ``now``.

    On Monday 07:59 local this is the week before last; from 08:00 it is last week.
    """
    local = now.astimezone(local_zone())
    current = containing(cadence, local.date())
    period = current.previous()
    if period.due_at > now:
        period = period.previous()
    return period


def is_finished(period: Period, now: datetime) -> bool:
    return period.ends_at <= now
