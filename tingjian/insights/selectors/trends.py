"""A KPI over time beside the previous period and the same period last year, each point
with the link to its cases (the trends page, the reports)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .. import kpis
from ..tables import Column, Table
from .display import drill_url, format_value
from .kpi_rows import KpiRow, bucket_start, series
from .period import Slice


@dataclass(frozen=True)
class TrendPoint:
    start: date
    end: date
    value: float | None
    display: str
    previous: float | None
    last_year: float | None
    drill_url: str


@dataclass(frozen=True)
class Trend:
    code: str
    label: str
    unit: str
    step: str
    points: list[TrendPoint]

    def table(self) -> Table:
        kind = {"percent": "float", "count": "int"}.get(self.unit, "float")
        return Table(
            name=f"trend-{self.code}", title=self.label,
            columns=[
                Column("start", _("From")), Column("end", _("To")), Column("value", self.label, kind),
                Column("previous", _("Previous period"), kind), Column("last_year", _("Last year"), kind),
            ],
            rows=[p.__dict__ for p in self.points],
        )


def auto_step(slice: Slice) -> str:
    """Days for up to a month, weeks up to half a year, months beyond."""
    days = slice.days()
    return "day" if days <= 31 else ("week" if days <= 186 else "month")


def _bucket_end(start: date, step: str, last: date) -> date:
    if step == "week":
        end = bucket_start(start, "week") + timedelta(days=6)
    elif step == "month":
        end = (start.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        end = start
    return min(end, last)


def trend(code: str, slice: Slice, *, step: str = "") -> Trend:
    """The KPI per step of the slice, each point beside the same step of the previous period
    and of last year (aligned by position), with the link to the point's cases."""
    kpi = kpis.get(code)
    if kpi.live:
        raise ValueError(_("“%(kpi)s” is counted live and has no history.") % {"kpi": kpi.label})
    step = step or auto_step(slice)
    now = series(code, slice, step=step)
    before = series(code, slice.previous(), step=step)
    year_ago = series(code, slice.last_year(), step=step)
    points = []
    for i, (start, value) in enumerate(now):
        end = _bucket_end(start, step, slice.end)
        points.append(TrendPoint(
            start=start, end=end, value=value, display=format_value(value, kpi.unit),
            previous=before[i][1] if i < len(before) else None,
            last_year=year_ago[i][1] if i < len(year_ago) else None,
            drill_url=drill_url({**replace(slice, start=start, end=end).query(), **kpi.drill}),
        ))
    return Trend(code=kpi.code, label=str(kpi.label), unit=kpi.unit, step=step, points=points)


def kpi_rows_table(rows: list[KpiRow]) -> Table:
    """The KPI table of a slice as the page shows it (values formatted), for CSV / XLSX."""
    return Table(
        name="kpis", title=_("KPIs"),
        columns=[
            Column("label", _("KPI")), Column("display", _("Value")), Column("value", _("Value (raw)"), "float"),
            Column("unit", _("Unit")), Column("previous", _("Previous period"), "float"),
            Column("change", _("Change"), "percent"), Column("last_year", _("Last year"), "float"),
            Column("target", _("Target"), "float"), Column("met", _("Target met")),
        ],
        rows=[{**row.__dict__, "met": "" if row.met is None else (_("met") if row.met else _("missed"))} for row in rows],
    )
