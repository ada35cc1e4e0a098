"""Computing one local day's facts from the cases, clocks, overrides and survey answers.

A handful of indexed range queries per day (cases opened, first answered and closed that
day; clocks met or breached; overrides; answers; the opened cases' customers' earlier
cases), grouped in Python into every (branch, department, channel) grouping, then the day's
rows are replaced in one transaction. What counts on which day is documented in
``tingjian.insights.measures``. Writes only DayFacts; never changes a case.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tingjian import clock
from tingjian.cases.models import Case, Override
from tingjian.sla.models import Clock

from ..measures import HOURS, REPEAT_WITHIN_DAYS, DayBuilder
from ..models import ALL, ALL_CHANNELS, NONE, DayFacts
from ..selectors.period import day_bounds, local_tz

DIMS = ("branch_id", "department_id", "origin_channel")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return seconds if seconds >= 0 else None


def _add_opened(builder: DayBuilder, lo: datetime, hi: datetime) -> int:
    tz = local_tz()
    opened = list(
        Case.objects.filter(opened_at__gte=lo, opened_at__lt=hi).order_by().values_list(
            *DIMS, "id", "customer_id", "opened_at", "safety", "severity", "category_id", "product_id", "root_cause_id",
        )
    )
    if not opened:
        return 0
    # The customers' cases of the 30 days before (and of the day itself), to find repeats.
    earlier: dict[int, list[datetime]] = defaultdict(list)
    day_customers = Case.objects.filter(opened_at__gte=lo, opened_at__lt=hi).values("customer_id")
    for customer_id, opened_at in (
        Case.objects.filter(customer_id__in=day_customers, opened_at__gte=lo - timedelta(days=REPEAT_WITHIN_DAYS),
                            opened_at__lt=hi).order_by().values_list("customer_id", "opened_at")
    ):
        earlier[customer_id].append(opened_at)
    for times in earlier.values():
        times.sort()
    window = timedelta(days=REPEAT_WITHIN_DAYS)
    for branch, department, channel, _id, customer, opened_at, safety, severity, category, product, root_cause in opened:
        rows = builder.groupings(branch, department, channel)
        builder.count(rows, "opened")
        if safety:
            builder.count(rows, "safety")
        builder.count_at(rows, "hours", HOURS, timezone.localtime(opened_at, tz).hour)
        builder.count_in(rows, "cat", category)
        builder.count_in(rows, "prod", product)
        builder.count_in(rows, "rc", root_cause)
        builder.count_in(rows, "sev", severity)
        times = earlier[customer]
        # Another case of the customer opened in [opened_at - 30 days, opened_at).
        if bisect.bisect_left(times, opened_at) > bisect.bisect_left(times, opened_at - window):
            builder.count(rows, "repeat")
    return len(opened)


def _add_first_responses(builder: DayBuilder, lo: datetime, hi: datetime) -> None:
    for branch, department, channel, opened_at, first_response_at in (
        Case.objects.filter(first_response_at__gte=lo, first_response_at__lt=hi).order_by()
        .values_list(*DIMS, "opened_at", "first_response_at")
    ):
        seconds = _seconds(opened_at, first_response_at)
        if seconds is not None:
            builder.duration(branch, department, channel, "frt", seconds)


STAGE_FIELDS = (("intake", "opened_at"), ("investigation", "investigation_at"), ("response", "response_at"),
                ("qa", "qa_at"))


def _add_closed(builder: DayBuilder, lo: datetime, hi: datetime) -> int:
    closed = list(
        Case.objects.filter(closed_at__gte=lo, closed_at__lt=hi).order_by()
        .values_list(*DIMS, "opened_at", "investigation_at", "response_at", "qa_at", "closed_at", "reopen_count")
    )
    for branch, department, channel, opened_at, investigation_at, response_at, qa_at, closed_at, reopens in closed:
        rows = builder.groupings(branch, department, channel)
        builder.count(rows, "closed")
        if reopens:
            builder.count(rows, "reopened")
        seconds = _seconds(opened_at, closed_at)
        if seconds is not None:
            builder.duration(branch, department, channel, "res", seconds)
        # Each stage the case reached lasted until it entered the next one it reached.
        reached = [(stage, at) for stage, at in zip(
            ("intake", "investigation", "response", "qa"), (opened_at, investigation_at, response_at, qa_at), strict=True,
        ) if at is not None]
        reached.append(("closed", closed_at))
        for (stage, entered), (_next, left) in zip(reached, reached[1:], strict=False):
            spent = _seconds(entered, left)
            if spent is not None:
                builder.pair_in(rows, "stage", stage, spent, 1)
    return len(closed)


def _add_clocks(builder: DayBuilder, lo: datetime, hi: datetime) -> None:
    decided = Q(met_at__gte=lo, met_at__lt=hi, breached_at__isnull=True) | Q(breached_at__gte=lo, breached_at__lt=hi)
    for kind, branch, department, channel, breached_at in (
        Clock.objects.filter(decided).order_by()
        .values_list("kind", "case__branch_id", "case__department_id", "case__origin_channel", "breached_at")
    ):
        rows = builder.groupings(branch, department, channel)
        if breached_at is None:
            builder.pair_in(rows, "sla", kind, 1, 0)
        else:
            builder.pair_in(rows, "sla", kind, 0, 1)


def _add_overrides(builder: DayBuilder, lo: datetime, hi: datetime) -> None:
    for branch, department, channel in (
        Override.objects.filter(at__gte=lo, at__lt=hi).order_by()
        .values_list("case__branch_id", "case__department_id", "case__origin_channel")
    ):
        builder.count(builder.groupings(branch, department, channel), "overrides")


def _add_answers(builder: DayBuilder, lo: datetime, hi: datetime) -> None:
    from tingjian.surveys.models import Answer

    for branch, department, channel, csat, nps in (
        Answer.objects.filter(answered_at__gte=lo, answered_at__lt=hi).order_by().values_list(
            "invitation__case__branch_id", "invitation__case__department_id", "invitation__case__origin_channel",
            "csat", "nps",
        )
    ):
        rows = builder.groupings(branch, department, channel)
        if csat is not None:
            for row in rows:
                vector = row.setdefault("csat", [0, 0, 0])
                vector[0] += csat
                vector[1] += 1
                vector[2] += 1 if csat >= 4 else 0
        if nps is not None:
            builder.count_at(rows, "nps", 3, 0 if nps >= 9 else (1 if nps >= 7 else 2))


def compute_day(day: date) -> int:
    """Recompute and store the facts of one local day; returns the number of case events
    (opened + closed) it read. Idempotent: the day's rows are replaced as a whole."""
    lo, hi = day_bounds(day, day)
    builder = DayBuilder(ALL, NONE, ALL_CHANNELS)
    events = _add_opened(builder, lo, hi)
    _add_first_responses(builder, lo, hi)
    events += _add_closed(builder, lo, hi)
    _add_clocks(builder, lo, hi)
    _add_overrides(builder, lo, hi)
    _add_answers(builder, lo, hi)
    rows = builder.rows()
    # The company-wide row always exists, so "computed, nothing happened" differs from
    # "never computed".
    rows.setdefault((ALL, ALL, ALL_CHANNELS), {})
    now = clock.now()
    facts = [
        DayFacts(day=day, branch=b, department=d, channel=c, measures=m, computed_at=now)
        for (b, d, c), m in rows.items()
    ]
    with transaction.atomic():
        DayFacts.objects.filter(day=day).delete()
        DayFacts.objects.bulk_create(facts, batch_size=500)
    return events
