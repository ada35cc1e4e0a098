"""Keeping the rollup current: find the days that changed, recompute them, once each.

``sweep`` reads what changed since its mark (cases by ``updated_at``, SLA clocks met or
breached, overrides, survey answers) and queues those local days as DirtyDay rows;
``recompute_dirty`` claims queued days one at a time with a conditional UPDATE (two workers
never compute the same day) and recomputes them; once a night the last 40 days are queued in
full, which catches what the sweep cannot see (a reopened case leaves its old closing day, a
case moved to another branch leaves its clocks' days). ``periodic_work`` runs each minute.
Never computes facts itself inside a web request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from tingjian import clock
from tingjian.cases.models import Case, Override
from tingjian.sla.models import Clock

from ..models import DirtyDay, RollupMark
from ..selectors.period import local_tz, today
from .compute import compute_day

CHANGES = "changes"
NIGHTLY = "nightly"
# Rows saved just before the mark but committed just after it are still seen.
OVERLAP = timedelta(minutes=2)
NIGHTLY_DAYS = 40
NIGHTLY_HOUR = 3  # local time
CLAIM = timedelta(minutes=10)
# One run stops taking new days after this long; the rest waits for the next run.
BUDGET = timedelta(seconds=45)


def queue(days: Iterable[date]) -> int:
    """Mark days dirty (again); returns how many. Days after today are ignored."""
    last = today()
    now = clock.now()
    rows = [DirtyDay(day=d, queued_at=now) for d in sorted(set(days)) if d is not None and d <= last]
    if rows:
        DirtyDay.objects.bulk_create(rows, update_conflicts=True, unique_fields=["day"], update_fields=["queued_at"])
    return len(rows)


def _days(qs: Any, field: str) -> set[date]:
    day = TruncDate(field, tzinfo=local_tz())
    return set(qs.order_by().annotate(_day=day).values_list("_day", flat=True).distinct())


def changed_days(since: datetime) -> set[date]:
    changed = Case.objects.filter(updated_at__gte=since)
    days = set()
    for field in ("opened_at", "first_response_at", "closed_at"):
        days |= _days(changed.filter(**{f"{field}__isnull": False}), field)
    days |= _days(Clock.objects.filter(met_at__gte=since), "met_at")
    days |= _days(Clock.objects.filter(breached_at__gte=since), "breached_at")
    days |= _days(Override.objects.filter(at__gte=since), "at")
    from tingjian.surveys.models import Answer

    days |= _days(Answer.objects.filter(answered_at__gte=since), "answered_at")
    return days


def sweep() -> int:
    """Queue the days touched since the last sweep; returns how many were queued. The first
    sweep ever queues the last 40 days (run ``tingjian insights rebuild`` for older ones)."""
    now = clock.now()
    mark, created = RollupMark.objects.get_or_create(name=CHANGES, defaults={"mark": now})
    if created:
        return queue(today() - timedelta(days=i) for i in range(NIGHTLY_DAYS))
    days = changed_days(mark.mark - OVERLAP)
    RollupMark.objects.filter(name=CHANGES).update(mark=now)
    return queue(days)


def queue_nightly() -> int:
    """Once per local day after 03:00 (claimed, so one worker does it), queue the last 40
    days; returns how many were queued (0 when not due or already done)."""
    now = clock.now()
    local = timezone.localtime(now, local_tz())
    if local.hour < NIGHTLY_HOUR:
        return 0
    due = timezone.make_aware(datetime.combine(local.date(), time(NIGHTLY_HOUR)), local_tz())
    RollupMark.objects.get_or_create(name=NIGHTLY, defaults={"mark": due - timedelta(days=1)})
    if not RollupMark.objects.filter(name=NIGHTLY, mark__lt=due).update(mark=now):
        return 0
    return queue(local.date() - timedelta(days=i) for i in range(NIGHTLY_DAYS))


def _claimable(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def recompute_dirty(*, budget: timedelta = BUDGET, limit: int | None = None) -> int:
    """Recompute queued days, newest first, each claimed so no other worker computes it at
    the same time; returns the number of days recomputed."""
    started = clock.now()
    done = 0
    skipped: set[int] = set()
    while limit is None or done < limit:
        now = clock.now()
        if now - started > budget:
            break
        candidate = (
            DirtyDay.objects.filter(_claimable(now)).exclude(pk__in=skipped).order_by("-day")
            .values_list("pk", "day", "queued_at").first()
        )
        if candidate is None:
            break
        pk, day, queued_at = candidate
        if not DirtyDay.objects.filter(_claimable(now), pk=pk).update(claimed_until=now + CLAIM):
            skipped.add(pk)  # another worker took it
            continue
        try:
            compute_day(day)
        except Exception:
            DirtyDay.objects.filter(pk=pk).update(claimed_until=None)
            raise
        # Queued again while we computed: keep it for the next run.
        if not DirtyDay.objects.filter(pk=pk, queued_at=queued_at).delete()[0]:
            DirtyDay.objects.filter(pk=pk).update(claimed_until=None)
            skipped.add(pk)
        done += 1
    return done


def has_dirty_days() -> bool:
    return DirtyDay.objects.filter(_claimable(clock.now())).exists()
