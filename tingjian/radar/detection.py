"""Counting new complaints per window and dimension, and finding the windows that spike.

Responsible for: the counts (cases by ``opened_at``, spam and duplicates left out) in a
window and in the same window of each previous week, per category, product, branch,
channel and overall; handing them to ``statistics.test``; the hourly series a crisis shows.
Must never: write anything (``services`` records what is found) or read a case's text.

The window is the *trailing* hour: run every minute, the radar judges the last 60 minutes
against the same 60 minutes of the week in past weeks, so a burst is seen within minutes
and one that straddles the top of the hour is not cut in two (a "current partial hour"
with a baseline scaled by the elapsed minutes would see half of it in each hour). Once an
hour the finished clock hour is judged as well. Weeks start counting only from the first
case ever recorded: a new installation has no history, not a history of zeros.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour

from tingjian.cases.models import Case, CloseReason

from . import statistics
from .models import Dimension

# Dimension → the Case field counted (None: every case).
FIELDS: dict[str, str | None] = {
    Dimension.CATEGORY: "category_id",
    Dimension.PRODUCT: "product_id",
    Dimension.BRANCH: "branch_id",
    Dimension.CHANNEL: "origin_channel",
    Dimension.ALL: None,
}
ALL_KEY = "*"
DEFAULT_WEEKS = 8
MAX_CASE_IDS = 500
SERIES_HOURS = 24


def weeks_of_history() -> int:
    return int(getattr(settings, "TINGJIAN_RADAR_BASELINE_WEEKS", DEFAULT_WEEKS))


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def counted_cases() -> QuerySet[Case]:
    """The cases a spike is made of: spam and duplicates are no new complaints."""
    return Case.objects.exclude(close_reason__in=[CloseReason.SPAM, CloseReason.DUPLICATE])


@dataclass(frozen=True)
class Finding:
    dimension: str
    key: str
    window_start: datetime
    window_end: datetime
    weeks: int
    verdict: statistics.Verdict


def past_windows(start: datetime, end: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """The same local minutes of the week in each of the previous ``weeks`` weeks that have
    history (they start after the first case ever recorded)."""
    first = Case.objects.order_by("opened_at").values_list("opened_at", flat=True).first()
    if first is None:
        return []
    zone = local_zone()
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    windows = []
    for k in range(1, weeks + 1):
        # Wall-clock arithmetic in the local zone: the same local hour even across a
        # daylight-saving change.
        a, b = local_start - timedelta(weeks=k), local_end - timedelta(weeks=k)
        if a >= first:
            windows.append((a, b))
    return windows


def _in_windows(windows: list[tuple[datetime, datetime]]) -> Q:
    """Any of the (non-empty list of) windows."""
    return reduce(operator.or_, (Q(opened_at__gte=a, opened_at__lt=b) for a, b in windows))


def _key_filter(field: str, keys: list[str]) -> Q:
    if field == "origin_channel":
        return Q(origin_channel__in=keys)
    return Q(**{f"{field}__in": [int(k) for k in keys]})


def counts(dimension: str, windows: list[tuple[datetime, datetime]], keys: list[str] | None = None) -> dict[str, int]:
    """New complaints per key of ``dimension`` in the union of ``windows`` (one query)."""
    if not windows:
        return {}
    field = FIELDS[dimension]
    qs = counted_cases().filter(_in_windows(windows))
    if field is None:
        return {ALL_KEY: qs.count()}
    if keys is not None:
        qs = qs.filter(_key_filter(field, keys))
    rows = qs.exclude(**{f"{field}__isnull": True}).values(field).annotate(n=Count("id")).order_by()
    return {str(row[field]): int(row["n"]) for row in rows}


def key_cases(dimension: str, key: str) -> QuerySet[Case]:
    field = FIELDS[dimension]
    qs = counted_cases()
    return qs if field is None else qs.filter(_key_filter(field, [key]))


def scan(end: datetime, *, minutes: int = 60, dimensions: tuple[str, ...] = tuple(FIELDS)) -> list[Finding]:
    """Every key whose count in [end − minutes, end) is a spike (two queries per dimension,
    the second only when some key reaches the minimum count)."""
    start = end - timedelta(minutes=minutes)
    windows = past_windows(start, end, weeks_of_history())
    if not windows:
        return []
    hours = minutes / 60
    min_count = int(getattr(settings, "TINGJIAN_RADAR_MIN_COUNT", statistics.MIN_COUNT))
    alpha = float(getattr(settings, "TINGJIAN_RADAR_ALPHA", statistics.ALPHA))
    found = []
    for dimension in dimensions:
        current = {k: n for k, n in counts(dimension, [(start, end)]).items() if n >= min_count}
        if not current:
            continue
        past = counts(dimension, windows, keys=list(current))
        for key, observed in sorted(current.items()):
            verdict = statistics.test(
                observed, past.get(key, 0), len(windows), hours=hours, min_count=min_count, alpha=alpha,
            )
            if verdict.is_spike:
                found.append(Finding(dimension, key, start, end, len(windows), verdict))
    return found


def hour_of_week(at: datetime) -> int:
    local = at.astimezone(local_zone())
    return local.weekday() * 24 + local.hour


def hourly_series(dimension: str, key: str, end: datetime, *, hours: int = SERIES_HOURS) -> list[dict[str, object]]:
    """The last ``hours`` clock hours up to ``end`` (the last one partial): complaints each
    hour and the usual count of that hour of the week (mean over the weeks with history)."""
    zone = local_zone()
    last = end.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    base = key_cases(dimension, key)
    trunc = TruncHour("opened_at", tzinfo=zone)
    current = {
        hour_of_week(row["h"]): int(row["n"])
        for row in base.filter(opened_at__gte=first, opened_at__lt=end)
        .annotate(h=trunc).values("h").annotate(n=Count("id")).order_by()
    }
    windows = past_windows(first, last + timedelta(hours=1), weeks_of_history())
    past: dict[int, int] = defaultdict(int)
    if windows:
        for row in base.filter(_in_windows(windows)).annotate(h=trunc).values("h").annotate(n=Count("id")).order_by():
            past[hour_of_week(row["h"])] += int(row["n"])
    series = []
    for i in range(hours):
        at = first + timedelta(hours=i)
        slot = hour_of_week(at)
        series.append({
            "at": at.isoformat(),
            "observed": current.get(slot, 0),
            "baseline": round(past.get(slot, 0) / len(windows), 2) if windows else None,
        })
    return series


def cases_in_window(dimension: str, key: str, start: datetime, end: datetime) -> list[tuple[int, bool, datetime]]:
    """(id, personal safety, opened) of the cases behind a spike, newest first."""
    rows = (
        key_cases(dimension, key).filter(opened_at__gte=start, opened_at__lt=end)
        .order_by("-opened_at", "-id").values_list("id", "safety", "opened_at")[:MAX_CASE_IDS]
    )
    return [(int(pk), bool(safety), opened) for pk, safety, opened in rows]
