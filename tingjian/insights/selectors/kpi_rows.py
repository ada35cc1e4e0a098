"""KPI values of a slice with their comparisons and targets, and KPIs over time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from .. import kpis
from ..measures import Totals, total
from ..models import NONE, KpiTarget
from .backlog import backlog_counts
from .display import drill_url, format_value, relative_change
from .facts import day_rows, totals
from .period import Slice, today


@dataclass(frozen=True)
class KpiRow:
    code: str
    label: str
    unit: str  # "count" | "percent" | "seconds" | "score" | "per10k"
    value: float | None
    display: str  # formatted for people ("42 min", "93.1 %", "—")
    previous: float | None
    last_year: float | None
    change: float | None  # relative change vs previous (0.23 = +23 %), None when not comparable
    target: float | None
    direction: str  # "at_most" | "at_least" (better when lower / higher)
    met: bool | None  # None when no target or no value
    note: str  # e.g. "no answers yet"
    drill_url: str  # the page listing the cases behind the number

    @property
    def target_display(self) -> str:
        """The target in the KPI's own unit ("1 h", "90 %"), for people."""
        return format_value(self.target, self.unit) if self.target is not None else ""

    @property
    def previous_display(self) -> str:
        return format_value(self.previous, self.unit)

    @property
    def last_year_display(self) -> str:
        return format_value(self.last_year, self.unit)


@dataclass(frozen=True)
class TargetView:
    value: float
    direction: str
    scope: str  # "company" | "branch" | "department"


def targets_for(slice: Slice, codes: Iterable[str] | None = None) -> dict[str, TargetView]:
    """The target that applies to each KPI in the slice: a branch's target wins over a
    department's, which wins over the company-wide one (the most specific wins; with both a
    branch and a department chosen, the branch decides because bonuses are per branch)."""
    branch = slice.branch if slice.branch not in (None, NONE) else None
    department = slice.department if slice.department not in (None, NONE) else None
    q = Q(branch__isnull=True, department__isnull=True)
    if branch:
        q |= Q(branch_id=branch)
    if department:
        q |= Q(department_id=department)
    qs = KpiTarget.objects.filter(q)
    if codes is not None:
        qs = qs.filter(kpi__in=list(codes))
    rank = {"company": 0, "department": 1, "branch": 2}
    chosen: dict[str, TargetView] = {}
    for t in qs.values("kpi", "branch_id", "department_id", "value", "direction"):
        scope = "branch" if t["branch_id"] else ("department" if t["department_id"] else "company")
        current = chosen.get(t["kpi"])
        if current is None or rank[scope] > rank[current.scope]:
            chosen[t["kpi"]] = TargetView(t["value"], t["direction"], scope)
    return chosen


def is_met(value: float | None, target: TargetView | None) -> bool | None:
    if value is None or target is None:
        return None
    return value <= target.value if target.direction == kpis.AT_MOST else value >= target.value


def _compute(kpi: kpis.Kpi, measures: Totals, backlog: dict[str, int] | None) -> float | None:
    if kpi.live:
        return None if backlog is None else kpi.compute(backlog)
    return kpi.compute(measures)


def _row(
    kpi: kpis.Kpi, slice: Slice, now: Totals, prev: Totals, last_year: Totals,
    backlog: dict[str, int], targets: dict[str, TargetView],
) -> KpiRow:
    value = _compute(kpi, now, backlog)
    previous = None if kpi.live else kpi.compute(prev)
    year_ago = None if kpi.live else kpi.compute(last_year)
    target = targets.get(kpi.code)
    note = str(kpi.empty_note) if value is None else ""
    if kpi.live:
        note = _("open now, whatever the period")
    return KpiRow(
        code=kpi.code, label=str(kpi.label), unit=kpi.unit, value=value, display=format_value(value, kpi.unit),
        previous=previous, last_year=year_ago, change=relative_change(value, previous),
        target=target.value if target else None, direction=kpi.direction, met=is_met(value, target),
        note=note, drill_url=drill_url({**slice.query(), **kpi.drill}),
    )


def kpi_table(slice: Slice, *, last_year: bool = True) -> list[KpiRow]:
    """Every KPI of the catalogue for the slice, against the previous period, the same period
    last year (unless ``last_year`` is False: the dashboard shows no such column, and it saves
    a third of the reading) and its target. Reads about 3 × days DayFacts rows and one
    backlog query."""
    slice.ensure_not_future()
    now, prev = totals(slice), totals(slice.previous())
    year_ago = totals(slice.last_year()) if last_year else Totals()
    backlog = backlog_counts(slice)
    targets = targets_for(slice)
    return [_row(k, slice, now, prev, year_ago, backlog, targets) for k in kpis.CATALOGUE.values()]


def kpi_value(code: str, slice: Slice) -> KpiRow:
    kpi = kpis.get(code)
    slice.ensure_not_future()
    if kpi.live:
        empty = Totals()
        return _row(kpi, slice, empty, empty, empty, backlog_counts(slice), targets_for(slice, [code]))
    return _row(kpi, slice, totals(slice), totals(slice.previous()), totals(slice.last_year()), {},
                targets_for(slice, [code]))


STEPS = ("day", "week", "month")


def bucket_start(day: date, step: str) -> date:
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def series(code: str, slice: Slice, *, step: str = "day") -> list[tuple[date, float | None]]:
    return series_many([code], slice, step=step)[code]


def series_many(
    codes: Iterable[str], slice: Slice, *, step: str = "day",
) -> dict[str, list[tuple[date, float | None]]]:
    """``series`` of several KPIs from one read of the rollup (the dashboard's sparklines).

    Each step's days are added up once and every KPI is computed from that sum."""
    """The KPI per day, week (from Monday) or month of the slice; each point is dated by the
    first day of its step inside the slice (a week cut by the period's start starts there).
    Steps after today are None. A live KPI (the backlog) has no history: only the step
    holding today has a value."""
    if step not in STEPS:
        raise ValueError(_("Unknown step “%(step)s”: use day, week or month.") % {"step": step})
    chosen = [kpis.get(code) for code in codes]
    slice.ensure_not_future()
    points: dict[date, list[dict[str, Any]]] = {}
    for day in slice.day_list():
        points.setdefault(max(bucket_start(day, step), slice.start), [])
    result: dict[str, list[tuple[date, float | None]]] = {}
    live = [kpi for kpi in chosen if kpi.live]
    if live:
        current = max(bucket_start(today(), step), slice.start)
        backlog = backlog_counts(slice)
        for kpi in live:
            value = kpi.compute(backlog)
            result[kpi.code] = [(point, value if point == current else None) for point in points]
    stored = [kpi for kpi in chosen if not kpi.live]
    if stored:
        grouped: dict[date, list[dict[str, Any]]] = defaultdict(list)
        for day, _key, measures in day_rows(slice):
            grouped[max(bucket_start(day, step), slice.start)].append(measures)
        # Steps that have not begun yet have no value (a zero would read as a sudden drop).
        last = today()
        sums = {point: total(grouped.get(point, [])) for point in points if point <= last}
        for kpi in stored:
            result[kpi.code] = [(point, kpi.compute(sums[point]) if point in sums else None) for point in points]
    return result
