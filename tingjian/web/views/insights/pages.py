"""The cases behind a number, trends, the hour × weekday heatmap and the Pareto.

Thin: read the filters into a ``Slice``, call ``tingjian.insights.selectors``, render (charts
from ``tingjian.insights.charts``, server-side SVG) — or export the page's table.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from tingjian.insights import charts, kpis
from tingjian.insights.selectors import (
    KpiRow,
    PeriodError,
    Slice,
    breakdown,
    cases_table,
    drill_cases,
    format_change,
    format_value,
    heatmap,
    heatmap_table,
    kpi_rows_table,
    kpi_table,
    trend,
)
from tingjian.insights.tables import Table
from tingjian.sla.models import Weekday

from .common import BadParameters, choice, export_response, page

PER_PAGE = 50
CHART_WIDTH = 1100
# The point table of a long trend starts folded.
UNFOLDED_POINTS = 14
MAX_GRIDS = 12
TREND_KPIS = tuple(code for code, k in kpis.CATALOGUE.items() if not k.live)
STEPS = ("", "day", "week", "month")
SPLITS = ("", "department", "branch")
PARETO_DIMENSIONS = ("category", "root_cause", "product")


@require_GET
def drill_down(request: HttpRequest) -> HttpResponse:
    """The cases behind any number: a sentence saying what they are, a page at a time."""
    try:
        cases, sentence = drill_cases(request.GET, user=request.user)
    except PeriodError as exc:
        return render(request, "web/insights/cases.html", {"error": str(exc)}, status=400)
    fmt = request.GET.get("export", "")
    if fmt:
        return export_response(cases_table(cases, sentence), fmt)
    listing = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    for key in ("page", "export"):
        query.pop(key, None)
    return render(request, "web/insights/cases.html", {
        "sentence": sentence, "page": listing, "query": query.urlencode(), "back": request.headers.get("Referer", ""),
    })


def _kpi_view(row: KpiRow) -> dict[str, Any]:
    """How one KPI row reads: values formatted in its unit, and whether the change is good."""
    better = None
    if row.change:
        better = (row.change < 0) == (row.direction == kpis.AT_MOST)
    return {
        "row": row, "previous": format_value(row.previous, row.unit), "last_year": format_value(row.last_year, row.unit),
        "target": format_value(row.target, row.unit) if row.target is not None else "",
        "change": format_change(row.change), "better": better,
    }


def _trend_extra(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"name": "kpi", "label": _("KPI"), "value": request.GET.get("kpi", "opened"),
         "choices": [(code, str(kpis.CATALOGUE[code].label)) for code in TREND_KPIS]},
        {"name": "step", "label": _("Step"), "value": request.GET.get("step", ""),
         "choices": [("", _("Automatic")), ("day", pgettext("chart step", "Day")), ("week", pgettext("chart step", "Week")), ("month", pgettext("chart step", "Month"))]},
    ]


@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    """A KPI over time beside the previous period and last year; every KPI of the period
    below, each linking to its own trend and to its cases."""

    def compute(slice: Slice) -> dict[str, Any]:
        code = choice(request, "kpi", TREND_KPIS, "opened")
        step = choice(request, "step", STEPS)
        found = trend(code, slice, step=step)
        x = [(p.start.strftime("%m-%d"), p.value) for p in found.points]
        previous = [(p.start.strftime("%m-%d"), p.previous) for p in found.points]
        year_ago = [(p.start.strftime("%m-%d"), p.last_year) for p in found.points]
        chart = charts.line_chart(
            [(_("This period"), x), (_("Previous period"), previous), (_("Same period last year"), year_ago)],
            title=found.label, unit=found.unit, width=CHART_WIDTH, height=280,
        )
        rows = kpi_table(slice)
        query = request.GET.copy()
        query.pop("kpi", None)
        points = [
            {"point": p, "previous": format_value(p.previous, found.unit), "last_year": format_value(p.last_year, found.unit)}
            for p in found.points
        ]
        return {"trend": found, "points": points, "chart": chart, "kpi_rows": rows, "kpi_view": [_kpi_view(r) for r in rows],
                "base_query": query.urlencode(),
                "definition": kpis.CATALOGUE[code].definition, "trend_codes": TREND_KPIS,
                "folded": len(found.points) > UNFOLDED_POINTS}

    def tables(data: dict[str, Any]) -> dict[str, Table]:
        return {"series": data["trend"].table(), "kpis": kpi_rows_table(data["kpi_rows"])}

    return page(request, "trends", "web/insights/trends.html", compute, tables, lambda: _trend_extra(request))


@require_GET
def heatmap_page(request: HttpRequest) -> HttpResponse:
    """Cases opened per local hour and weekday, for everyone or split by department or branch."""
    hours = [f"{h:02d}" for h in range(24)]

    def compute(slice: Slice) -> dict[str, Any]:
        split = choice(request, "split", SPLITS)
        grids = heatmap(slice, split=split)
        shown = [
            {"grid": grid, "chart": charts.heatmap_chart(
                [str(label) for _value, label in Weekday.choices], hours, grid.counts, hrefs=grid.drill_url,
                title=grid.label, width=CHART_WIDTH,
            )}
            for grid in grids[:MAX_GRIDS]
        ]
        return {"grids": grids, "shown": shown, "hidden": max(0, len(grids) - MAX_GRIDS)}

    def extra() -> list[dict[str, Any]]:
        return [{"name": "split", "label": _("Split by"), "value": request.GET.get("split", ""),
                 "choices": [("", _("No split")), ("department", _("Department")), ("branch", _("Branch"))]}]

    return page(request, "heatmap", "web/insights/heatmap.html", compute,
                lambda data: {"heatmap": heatmap_table(data["grids"])}, extra)


@require_GET
def pareto(request: HttpRequest) -> HttpResponse:
    """Categories, root causes or products, largest first, with the cumulative share."""

    def compute(slice: Slice) -> dict[str, Any]:
        dimension = choice(request, "dimension", PARETO_DIMENSIONS, "category")
        table = breakdown(dimension, slice, limit=30)
        chart = charts.bar_chart(
            # The chart has room for the leaf name only; the table below gives the full path.
            [(row["label"].split(" › ")[-1], row["count"], row["drill_url"]) for row in table.rows], cumulative=True,
            title=str(table.title), width=CHART_WIDTH, height=300,
        )
        return {"table": table, "chart": chart, "dimension": dimension}

    def extra() -> list[dict[str, Any]]:
        return [{"name": "dimension", "label": _("Of"), "value": request.GET.get("dimension", "category"),
                 "choices": [("category", _("Categories")), ("root_cause", _("Root causes")),
                             ("product", _("Products"))]}]

    return page(request, "pareto", "web/insights/pareto.html", compute, lambda data: {"pareto": data["table"]}, extra)


__all__ = ["BadParameters", "drill_down", "heatmap_page", "pareto", "trends"]
