"""`tingjian insights`: the KPI rollup from the console.

    tingjian insights rebuild                                  (every day from the first case to today)
    tingjian insights rebuild --from 2026-01-01 --to 2026-03-31
    tingjian insights status                                   (days computed, days waiting, the marks)
    tingjian insights sweep                                    (what the worker does each minute, for cron)
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Max, Min
from django.utils import timezone

from tingjian.cases.models import Case
from tingjian.insights import rollup
from tingjian.insights.models import ALL, ALL_CHANNELS, DayFacts, DirtyDay, RollupMark
from tingjian.insights.selectors.period import local_tz, today


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "KPI rollup: rebuild days of history, show its status, sweep for changes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("rebuild", help="recompute the daily facts of a range of days")
        p.add_argument("--from", dest="start", type=_date, help="first day (default: the first case's day)")
        p.add_argument("--to", dest="end", type=_date, help="last day (default: today)")
        sub.add_parser("status", help="days computed, days waiting, the marks")
        sub.add_parser("sweep", help="queue what changed and recompute the queued days")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            self._rebuild(options.get("start"), options.get("end"))
        elif action == "status":
            self._status()
        elif action == "sweep":
            queued = rollup.sweep() + rollup.queue_nightly()
            done = 0
            while rollup.has_dirty_days():
                step = rollup.recompute_dirty()
                if not step:
                    break
                done += step
            self.stdout.write(f"{queued} days queued, {done} recomputed")

    def _rebuild(self, start: date | None, end: date | None) -> None:
        last = today()
        end = end or last
        if start is None:
            first = Case.objects.aggregate(first=Min("opened_at"))["first"]
            start = timezone.localtime(first, local_tz()).date() if first else end
        if start > end:
            raise CommandError("--from is after --to")
        if end > last:
            raise CommandError(f"--to {end} is in the future (today is {last})")
        started = time.monotonic()
        days = events = 0
        day = start
        while day <= end:
            events += rollup.compute_day(day)
            days += 1
            if days % 30 == 0:
                self.stdout.write(f"  … {day}: {days} days, {events} case events")
            day += timedelta(days=1)
        DirtyDay.objects.filter(day__gte=start, day__lte=end, claimed_until__isnull=True).delete()
        seconds = time.monotonic() - started
        rate = events / seconds if seconds else 0
        self.stdout.write(
            f"rebuilt {days} days ({start} – {end}): {events} case events (opened + closed) in {seconds:.1f} s, "
            f"{rate:,.0f} events/s, {seconds / days * 1000:.0f} ms/day"
        )

    def _status(self) -> None:
        computed = DayFacts.objects.filter(branch=ALL, department=ALL, channel=ALL_CHANNELS).aggregate(
            n=Count("pk"), first=Min("day"), last=Max("day"), at=Max("computed_at"),
        )
        rows = DayFacts.objects.count()
        self.stdout.write(
            f"days computed: {computed['n']} ({computed['first'] or '—'} – {computed['last'] or '—'}), "
            f"{rows} rows, last computed {computed['at'] or 'never'}"
        )
        dirty = DirtyDay.objects.aggregate(n=Count("pk"), first=Min("day"), last=Max("day"))
        claimed = DirtyDay.objects.filter(claimed_until__isnull=False).count()
        self.stdout.write(
            f"days waiting: {dirty['n']}" + (f" ({dirty['first']} – {dirty['last']}, {claimed} being computed)"
                                              if dirty["n"] else "")
        )
        marks = list(RollupMark.objects.order_by("name"))
        if not marks:
            self.stdout.write("marks: none yet (the worker's first sweep sets them)")
        for mark in marks:
            self.stdout.write(f"mark {mark.name}: {timezone.localtime(mark.mark, local_tz()):%Y-%m-%d %H:%M:%S}")
