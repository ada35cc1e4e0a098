"""When synthetic complaints arrive: a history with the rhythm of a restaurant chain.

The requested number of cases is spread exactly over the last ``days`` calendar days (local
time, ``TIME_ZONE``): slowly growing business, more on Fridays and weekends, more around
the Lunar New Year, in the summer heat and in December, some day-to-day noise, and a few
incident days (a bad supplier batch, a payment outage) where complaints of one kind pile
up, so dashboards and the crisis radar have something to find. Within a day, arrivals
follow the meal hours (lunch and dinner peaks, quiet nights). Arrivals come out in time
order, one day at a time, so memory stays bounded whatever the count.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import accumulate

# Relative complaints per local hour 0–23: lunch and dinner peaks, late delivery orders.
HOURLY = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.2, 2.8, 3.6, 5.2, 5.4, 3.4, 2.4,
          2.5, 3.0, 4.6, 5.1, 4.2, 3.2, 2.0, 1.0)
WEEKDAY = (0.95, 0.9, 0.9, 0.95, 1.1, 1.3, 1.25)  # Monday … Sunday
MONTH = (1.05, 1.15, 1.0, 0.97, 1.0, 1.02, 1.15, 1.15, 0.95, 1.0, 1.05, 1.1)
INCIDENT_EVERY_DAYS = 120


@dataclass(frozen=True, slots=True)
class Arrival:
    at: datetime  # UTC
    local_hour: int
    year: int  # local year: the case number's year
    incident: int  # index into ``Timeline.incident_shares`` on an incident day, else -1


class Timeline:
    def __init__(self, rng: random.Random, *, count: int, days: int, now: datetime, tz: tzinfo) -> None:
        self.rng = rng
        self.count = count
        self.now = now
        self.tz = tz
        today = now.astimezone(tz).date()
        self.first_day = today - timedelta(days=days - 1)
        self.days = days
        self.incident_shares: list[float] = []
        self.incident_days = self._incidents(days)
        weights = [self._weight(d) for d in range(days)]
        total = sum(weights)
        # Exact total: round the running sum, take the differences.
        running = list(accumulate(w * count / total for w in weights))
        rounded = [0, *(round(x) for x in running)]
        self.per_day = [rounded[i + 1] - rounded[i] for i in range(days)]
        self.per_day[-1] += count - sum(self.per_day)

    def _incidents(self, days: int) -> dict[int, int]:
        """Incident day → its index. On that day 10–30 % of the complaints are about the
        incident, on top of the usual ones: a few hundred at a million cases, a clear spike."""
        n = max(1, days // INCIDENT_EVERY_DAYS) if days >= 14 else 0
        chosen = self.rng.sample(range(days - 1), min(n, days - 1)) if days > 1 else []
        self.incident_shares = [self.rng.uniform(0.1, 0.3) for _ in chosen]
        return {day: i for i, day in enumerate(sorted(chosen))}

    def _day(self, d: int) -> date:
        return self.first_day + timedelta(days=d)

    def _hours_open(self, d: int) -> list[float]:
        """The hourly weights of day ``d``; today only up to now."""
        if d < self.days - 1:
            return list(HOURLY)
        local = self.now.astimezone(self.tz)
        part = (local.minute * 60 + local.second) / 3600
        hours = [w if h < local.hour else w * part if h == local.hour else 0.0 for h, w in enumerate(HOURLY)]
        if not any(hours):  # just past midnight: a sliver of the first hour
            hours[0] = 1e-3
        return hours

    def _weight(self, d: int) -> float:
        day = self._day(d)
        growth = 0.75 + 0.5 * d / max(1, self.days - 1)
        noise = math.exp(self.rng.gauss(0, 0.12))
        spike = 1 / (1 - self.incident_shares[self.incident_days[d]]) if d in self.incident_days else 1.0
        return growth * WEEKDAY[day.weekday()] * MONTH[day.month - 1] * noise * spike * sum(self._hours_open(d))

    def __iter__(self) -> Iterator[Arrival]:
        rng = self.rng
        for d, n in enumerate(self.per_day):
            if not n:
                continue
            day = self._day(d)
            midnight = datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)
            hours = self._hours_open(d)
            cum = list(accumulate(hours))
            limit = (self.now - midnight).total_seconds() - 60 if d == self.days - 1 else 86400.0
            seconds = []
            for h in rng.choices(range(24), cum_weights=cum, k=n):
                seconds.append(min(h * 3600 + rng.random() * 3600, limit))
            seconds.sort()
            incident = self.incident_days.get(d, -1)
            for s in seconds:
                at = midnight + timedelta(seconds=max(0.0, s))
                yield Arrival(at=at, local_hour=int(s // 3600), year=day.year, incident=incident)
