"""The insights part of REST API v1 (STYLE rule 7): every KPI number, series, breakdown,
heatmap and mover the pages and reports show, read from the rollup.

Every endpoint takes the same slice parameters: ``period`` (this_week, last_week,
this_month, last_month, last_30_days) or ``start`` and ``end`` (YYYY-MM-DD, local days,
inclusive), and optional ``branch`` / ``department`` ids (-1: cases with none) and
``channel``. insights.view_insights is required (403 otherwise); a period that has not
started or parameters that make no sense are 422.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from . import kpis as catalogue
from .selectors import (
    KpiRow,
    PeriodError,
    Slice,
    breakdown,
    ensure_can_view_insights,
    heatmap,
    kpi_table,
    movers,
    series,
    slice_from_params,
)
from .selectors.backlog import backlog_counts

router = Router()


class SliceQuery(Schema):
    period: str = Field("", max_length=20, description="this_week, last_week, this_month, last_month, last_30_days")
    start: str = Field("", max_length=10, description="first local day, YYYY-MM-DD (instead of period)")
    end: str = Field("", max_length=10, description="last local day, YYYY-MM-DD, inclusive")
    branch: str = Field("", max_length=12, description="a branch id; -1 for cases with no branch")
    department: str = Field("", max_length=12, description="a department id; -1 for cases with no department")
    channel: str = Field("", max_length=20, description="a channel kind (phone, line, email…)")


class SliceOut(Schema):
    start: date
    end: date
    branch: int | None
    department: int | None
    channel: str


class KpiOut(Schema):
    code: str
    label: str
    unit: str = Field(description="count, percent (0–100), seconds, score or per10k")
    value: float | None = Field(description="null when the period has nothing to measure")
    display: str
    previous: float | None = Field(description="the same number of days just before")
    last_year: float | None = Field(description="the same dates a year earlier")
    change: float | None = Field(description="relative change against previous (0.23 = +23 %)")
    target: float | None
    direction: str = Field(description="at_most (lower is better) or at_least")
    met: bool | None
    note: str
    drill_url: str = Field(description="the web page listing the cases behind the number")
    definition: str = Field(description="what the KPI counts, on which day, how it is computed")


class KpiTableOut(Schema):
    slice: SliceOut
    kpis: list[KpiOut]


class SeriesQuery(SliceQuery):
    kpi: str = Field(..., max_length=40, description="a KPI code from /kpis")
    step: str = Field("day", max_length=5, description="day, week or month")


class PointOut(Schema):
    date: date
    value: float | None


class SeriesOut(Schema):
    slice: SliceOut
    kpi: str
    unit: str
    step: str
    points: list[PointOut]
    previous: list[PointOut] = Field(description="the previous period, step by step")
    last_year: list[PointOut] = Field(description="the same period a year earlier, step by step")


class BreakdownQuery(SliceQuery):
    dimension: str = Field(..., max_length=20, description="category, product, root_cause, branch, department, channel")
    limit: int = Field(20, ge=1, le=200)


class BreakdownRowOut(Schema):
    key: str
    label: str
    count: int
    share: float | None
    cumulative: float | None
    previous: int
    change: float | None
    drill_url: str


class BreakdownOut(Schema):
    slice: SliceOut
    dimension: str
    title: str
    rows: list[BreakdownRowOut]


class HeatmapQuery(SliceQuery):
    split: str = Field("", max_length=20, description="empty, department or branch")


class GridOut(Schema):
    key: str | None
    label: str
    counts: list[list[int]] = Field(description="7 weekdays (Monday first) × 24 local hours")
    total: int


class HeatmapOut(Schema):
    slice: SliceOut
    split: str
    grids: list[GridOut]


class MoversQuery(SliceQuery):
    by: str = Field("branch", max_length=20, description="branch, department, channel, category or product")
    limit: int = Field(5, ge=1, le=50)


class MoverOut(Schema):
    key: str
    label: str
    count: int
    previous: int
    change: float | None
    driver_label: str = Field(description="the category that grew most inside it")
    driver_change: int = Field(description="how many more cases that category had")
    drill_url: str


class MoversOut(Schema):
    slice: SliceOut
    by: str
    movers: list[MoverOut]


class BacklogOut(Schema):
    slice: SliceOut
    total: int
    by_age: dict[str, int] = Field(description="lt1d, 1_3d, 3_7d, gt7d: open cases by age, counted now")
    drill_url: str


def _slice(request: HttpRequest, params: SliceQuery) -> Slice:
    ensure_can_view_insights(request.auth)  # type: ignore[attr-defined]
    values = params.dict()
    try:
        return slice_from_params(values)
    except PeriodError as exc:
        raise ValidationError(str(exc)) from None


def _guard(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Domain errors (a period in the future, an unknown dimension) are the caller's: 422."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _slice_out(s: Slice) -> dict[str, Any]:
    return {"start": s.start, "end": s.end, "branch": s.branch, "department": s.department, "channel": s.channel}


def _kpi_out(row: KpiRow) -> dict[str, Any]:
    return {**row.__dict__, "definition": catalogue.CATALOGUE[row.code].definition}


@router.get("/kpis", response=KpiTableOut, summary="Every KPI of a period, with comparisons and targets")
def kpis(request: HttpRequest, params: Query[SliceQuery]) -> dict[str, Any]:
    s = _slice(request, params)
    return {"slice": _slice_out(s), "kpis": [_kpi_out(row) for row in _guard(kpi_table, s)]}


@router.get("/series", response=SeriesOut, summary="One KPI over time, with the previous period and last year")
def kpi_series(request: HttpRequest, params: Query[SeriesQuery]) -> dict[str, Any]:
    s = _slice(request, params)
    kpi = _guard(catalogue.get, params.kpi)
    points = _guard(series, kpi.code, s, step=params.step)
    previous = _guard(series, kpi.code, s.previous(), step=params.step)
    last_year = _guard(series, kpi.code, s.last_year(), step=params.step)

    def out(values: list[tuple[date, float | None]]) -> list[dict[str, Any]]:
        return [{"date": d, "value": v} for d, v in values]

    return {
        "slice": _slice_out(s), "kpi": kpi.code, "unit": kpi.unit, "step": params.step,
        "points": out(points), "previous": out(previous), "last_year": out(last_year),
    }


@router.get("/breakdown", response=BreakdownOut, summary="Cases by category, product, root cause, branch…")
def kpi_breakdown(request: HttpRequest, params: Query[BreakdownQuery]) -> dict[str, Any]:
    s = _slice(request, params)
    table = _guard(breakdown, params.dimension, s, limit=params.limit)
    rows = [{**row, "key": str(row["key"])} for row in table.rows]
    return {"slice": _slice_out(s), "dimension": params.dimension, "title": str(table.title), "rows": rows}


@router.get("/heatmap", response=HeatmapOut, summary="Cases opened per weekday × hour")
def kpi_heatmap(request: HttpRequest, params: Query[HeatmapQuery]) -> dict[str, Any]:
    s = _slice(request, params)
    grids = _guard(heatmap, s, split=params.split)
    return {
        "slice": _slice_out(s), "split": params.split,
        "grids": [
            {"key": None if g.key is None else str(g.key), "label": g.label, "counts": g.counts, "total": g.total()}
            for g in grids
        ],
    }


@router.get("/movers", response=MoversOut, summary="What grew most against the previous period")
def kpi_movers(request: HttpRequest, params: Query[MoversQuery]) -> dict[str, Any]:
    s = _slice(request, params)
    found = _guard(movers, s, by=params.by, limit=params.limit)
    return {"slice": _slice_out(s), "by": params.by, "movers": [{**m.__dict__, "key": str(m.key)} for m in found]}


@router.get("/backlog", response=BacklogOut, summary="Open cases by age, now")
def backlog(request: HttpRequest, params: Query[SliceQuery]) -> dict[str, Any]:
    s = _slice(request, params)
    counts = backlog_counts(s)
    from .selectors.display import drill_url

    return {
        "slice": _slice_out(s), "total": sum(counts.values()), "by_age": counts,
        "drill_url": drill_url({**s.query(), "what": "backlog"}),
    }
