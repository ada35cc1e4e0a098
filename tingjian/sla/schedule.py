"""What a clock runs to and when it fires: targets, calendars and the arithmetic.

Shared by the clock lifecycle (``services``) and the timers (``timers``); it writes nothing
but the enqueued wake-up of a clock (``arm``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tingjian import clock as wall_clock

from .calendar import WorkingTime
from .models import BranchCalendar, BusinessCalendar, Clock, ClockKind, SlaSettings, Target

logger = logging.getLogger(__name__)

RED_SHARE = 0.9


# ----------------------------------------------------------------------------- settings


def sla_settings() -> SlaSettings:
    row, _created = SlaSettings.objects.get_or_create(pk=1, defaults={"pause_on": ["customer"]})
    return row


# ---------------------------------------------------------------------------- calendars

_working_times: dict[int, tuple[datetime, WorkingTime]] = {}


def working_time(calendar: BusinessCalendar | None) -> WorkingTime:
    """The calendar's arithmetic, cached per process until the calendar is saved again."""
    if calendar is None:
        return WorkingTime.around_the_clock(settings.TIME_ZONE)
    cached = _working_times.get(calendar.pk)
    if cached and cached[0] == calendar.updated_at:
        return cached[1]
    wt = WorkingTime.from_calendar(calendar)
    if not wt.has_hours:
        # A calendar with no opening hours yet (being set up) must not stop every clock:
        # count around the clock until it has some — the safe mistake is to alert early.
        wt = WorkingTime.around_the_clock(calendar.time_zone)
    _working_times[calendar.pk] = (calendar.updated_at, wt)
    return wt


def forget_calendar(calendar_id: int) -> None:
    _working_times.pop(calendar_id, None)


def calendar_for(case: Any) -> BusinessCalendar | None:
    """The branch's calendar, else the default one; None (24/7) when there is no calendar."""
    if case.branch_id:
        link = BranchCalendar.objects.select_related("calendar").filter(branch_id=case.branch_id).first()
        if link:
            return link.calendar
    return BusinessCalendar.objects.filter(is_default=True).first()


# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Choice:
    """What a clock should run to: the target row (if any), seconds and calendar."""

    target: Target | None
    seconds: int
    business_hours: bool
    calendar: BusinessCalendar | None


def _match(targets: Iterable[Target], case: Any, kind: str, stage: str) -> Target | None:
    best: tuple[int, int, int] | None = None
    chosen: Target | None = None
    for t in targets:
        if t.kind != kind or t.stage != stage:
            continue
        if t.severity is not None and t.severity != case.severity:
            continue
        if t.channel and t.channel != case.origin_channel:
            continue
        if t.category_id is not None and t.category_id != case.category_id:
            continue
        rank = (t.category_id is not None, bool(t.channel), t.severity is not None)
        score = (int(rank[0]), int(rank[1]), int(rank[2]))
        if best is None or score > best:
            best, chosen = score, t
    return chosen


def choose(case: Any, kind: str, stage: str = "", *, targets: list[Target] | None = None,
           settings_row: SlaSettings | None = None) -> Choice | None:
    """The target a clock of ``kind`` should have for this case now, or None if none applies.

    A safety case's first response is at most the safety target (15 minutes by default) and
    runs around the clock whatever the channel: a burn reported by email at night cannot
    wait for office hours.
    """
    rows = targets if targets is not None else list(Target.objects.all())
    target = _match(rows, case, kind, stage)
    if case.safety and kind in {ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE}:
        row = settings_row or sla_settings()
        seconds = row.safety_first_response_minutes * 60
        if target is not None:
            seconds = min(seconds, target.minutes * 60)
        return Choice(target, seconds, False, None)
    if target is None:
        return None
    calendar = calendar_for(case) if target.business_hours else None
    return Choice(target, target.minutes * 60, target.business_hours and calendar is not None, calendar)


# ------------------------------------------------------------------------ the arithmetic


def schedule(clock: Clock, reminder_percent: int) -> None:
    """Set due, reminder, red and next-fire times from the running state."""
    if clock.running_since is None or not clock.is_open:
        clock.due_at = clock.remind_at = clock.red_at = None
    else:
        wt = working_time(clock.calendar) if clock.business_hours else working_time(None)
        start = clock.running_since

        def at(share_seconds: float) -> datetime:
            left = share_seconds - clock.consumed_seconds
            # Already used up before this running segment (a target lowered mid-way):
            # the moment is the start of the segment, so it fires at once.
            return wt.add(start, left) if left > 0 else start

        clock.due_at = at(clock.target_seconds)
        clock.remind_at = at(clock.target_seconds * reminder_percent / 100)
        clock.red_at = at(clock.target_seconds * max(RED_SHARE, reminder_percent / 100))
    pending = [
        clock.remind_at if clock.reminded_at is None and clock.breached_at is None else None,
        clock.due_at if clock.breached_at is None else None,
        clock.next_escalation_at,
    ]
    moments = [m for m in pending if m is not None]
    clock.next_fire_at = min(moments) if moments and clock.is_open else None


def consume_until(clock: Clock, now: datetime) -> None:
    """Bank the working time used since ``running_since`` and restart the segment at ``now``."""
    if clock.running_since is None:
        return
    wt = working_time(clock.calendar) if clock.business_hours else working_time(None)
    clock.consumed_seconds += wt.elapsed(clock.running_since, now)
    clock.running_since = now




# Wake-ups are queued only for events within this horizon; the worker's minute tick queues
# the rest as they come near (``timers.arm_upcoming``). A queue holding a future task for
# every open clock makes every idle poll of django-tasks-db read them all: measured at
# 100,000 open cases, 200,000 queued wake-ups cost 50–190 ms per one-second poll.
ARM_HORIZON = timedelta(minutes=10)


def arm(clock: Clock) -> None:
    """Enqueue the clock's next wake-up after commit, if it is within the horizon and not
    queued for that moment already. Losing it is harmless: the sweep fires every clock
    whose next event is due."""
    when = clock.next_fire_at
    if when is None or when > wall_clock.now() + ARM_HORIZON or clock.armed_for == when:
        return
    clock_id = clock.pk

    def enqueue() -> None:
        from .tasks import fire_clock

        try:
            fire_clock.using(run_after=when).enqueue(clock_id)
        except Exception:
            logger.exception("could not enqueue the timer of SLA clock %s; the sweep will fire it", clock_id)
            return
        Clock.objects.filter(pk=clock_id).update(armed_for=when)

    transaction.on_commit(enqueue)


def case_url(case: Any) -> str:
    return reverse("web:case-detail", args=[case.number])


def local_time(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"



def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
