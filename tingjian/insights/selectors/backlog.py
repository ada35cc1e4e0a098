"""The live backlog: open cases by age, counted now (not rolled up; one aggregate query on
the open cases, which the stage index keeps small)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet

from tingjian import clock
from tingjian.cases.models import Case, Stage

from ..kpis import AGE_BUCKETS
from ..models import NONE
from .period import Slice


def filtered_cases(slice: Slice, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Cases of the slice's branch, department and channel (no period)."""
    qs = Case.objects.all() if qs is None else qs
    for column, field in (("branch", "branch_id"), ("department", "department_id")):
        value = getattr(slice, column)
        if value == NONE:
            qs = qs.filter(**{f"{field}__isnull": True})
        elif value is not None:
            qs = qs.filter(**{field: value})
    if slice.channel:
        qs = qs.filter(origin_channel=slice.channel)
    return qs


def age_filter(age: str) -> Q:
    now = clock.now()
    for code, low, high in AGE_BUCKETS:
        if code == age:
            q = Q()
            if low is not None:
                q &= Q(opened_at__lte=now - timedelta(days=low))
            if high is not None:
                q &= Q(opened_at__gt=now - timedelta(days=high))
            return q
    raise ValueError(age)


def backlog_counts(slice: Slice) -> dict[str, int]:
    """{age bucket: open cases} for the slice's filters (its period does not matter)."""
    qs = filtered_cases(slice).exclude(stage=Stage.CLOSED)
    counts = qs.aggregate(**{code: Count("pk", filter=age_filter(code)) for code, _low, _high in AGE_BUCKETS})
    return {code: int(counts[code] or 0) for code, _low, _high in AGE_BUCKETS}
