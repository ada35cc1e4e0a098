"""Months as the per-10,000 figures see them: the first day of the month, in a branch's
own time zone (a complaint at 23:30 on 31 January in Taipei belongs to January there)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from tingjian import clock

_MONTH = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})\s*$")


def parse_month(text: str) -> date | None:
    """``2026-03`` (also ``2026/3``) as the first day of that month; None when it is not one."""
    match = _MONTH.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return date(year, month, 1)


def month_text(month: date) -> str:
    return f"{month:%Y-%m}"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def zone(name: str | None = None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (KeyError, ValueError):
        # A branch with a misspelt zone counts in the company's zone rather than failing.
        return ZoneInfo(settings.TIME_ZONE)


def bounds(month: date, time_zone: str | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the month in ``time_zone`` as aware datetimes."""
    tz = zone(time_zone)
    return (
        datetime.combine(month, time.min, tzinfo=tz),
        datetime.combine(next_month(month), time.min, tzinfo=tz),
    )


def current_month(time_zone: str | None = None) -> date:
    today = clock.now().astimezone(zone(time_zone)).date()
    return today.replace(day=1)


def is_over(month: date, time_zones: Iterable[str] = ()) -> bool:
    """True once the month has ended in every one of ``time_zones`` (and the company's)."""
    now = clock.now()
    names = {settings.TIME_ZONE, *time_zones}
    return all(now >= bounds(month, name)[1] for name in names)


def recent_months(count: int = 12, *, until: date | None = None) -> list[date]:
    """The ``count`` months up to ``until`` (default: this month), newest first."""
    month = until or current_month()
    out = []
    for _ in range(count):
        out.append(month)
        month = previous_month(month)
    return out
