"""The manager dashboard: the period's KPIs against their targets, how they moved, when
complaints arrive, who moved most, open crises and the deadlines at risk — each element a
link to the cases behind it.

Thin: it composes ``insights.selectors`` (the rollup, never a scan of cases), the crisis
radar's open events and the SLA board's count, all for the same filters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tingjian.cases.selectors import visible_cases
from tingjian.insights import charts
from tingjian.insights.selectors import (
    WEEKDAYS,
    Slice,
    heatmap,
    kpi_rows_table,
    kpi_table,
    movers,
    reading_once,
    series_many,
)
from tingjian.insights.tables import Table
from tingjian.radar import selectors as radar
from tingjian.sla import selectors as sla

from .insights.common import page

# The KPIs shown as tiles, in reading order; the full table is below them.
HEADLINE = (
    "opened", "safety", "frt_median", "res_median", "sla_first_response", "sla_resolution",
    "backlog", "recurrence_rate", "csat", "nps",
)
AT_RISK_SHOWN = 5
# Counting every open clock of a large backlog costs more than the number is worth here:
# past this the panel says "1,000+" and the board has the full list.
AT_RISK_COUNTED = 1000


def _tiles(slice: Slice, rows: list[Any]) -> list[dict[str, Any]]:
    by_code = {row.code: row for row in rows}
    # The backlog is now, not a series over the period: it has no sparkline.
    lines = series_many(
        [code for code in HEADLINE if code in by_code and code != "backlog"], slice,
        step="day" if slice.days() <= 62 else "week",
    )
    tiles = []
    for code in HEADLINE:
        row = by_code.get(code)
        if row is None:
            continue
        line = None
        if code in lines:
            line = charts.sparkline([value for _day, value in lines[code]], label=row.label)
        better = None
        if row.change is not None and row.change != 0:
            better = (row.change < 0) == (row.direction == "at_most")
        tiles.append({"row": row, "sparkline": line, "better": better})
    return tiles


def _at_risk(user: Any, slice: Slice) -> tuple[int, list[Any]]:
    cases = visible_cases(user)
    if slice.branch is not None:
        cases = cases.filter(branch_id=slice.branch) if slice.branch > 0 else cases.filter(branch__isnull=True)
    if slice.department is not None:
        cases = cases.filter(department_id=slice.department) if slice.department > 0 else cases.filter(department__isnull=True)
    if slice.channel:
        cases = cases.filter(origin_channel=slice.channel)
    clocks = sla.at_risk(cases)
    return clocks.order_by()[: AT_RISK_COUNTED + 1].count(), list(clocks[:AT_RISK_SHOWN])


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    hours = [f"{h:02d}" for h in range(24)]

    def compute(slice: Slice) -> dict[str, Any]:
        with reading_once():  # the KPI table and the sparklines read the same days
            return _compute(slice)

    def _compute(slice: Slice) -> dict[str, Any]:
        rows = kpi_table(slice, last_year=False)
        grids = heatmap(slice)
        at_risk_count, at_risk = _at_risk(request.user, slice)
        return {
            "kpi_rows": rows,
            "tiles": _tiles(slice, rows),
            "heatmap": charts.heatmap_chart(
                [str(w) for w in WEEKDAYS], hours, grids[0].counts, hrefs=grids[0].drill_url,
                title=_("Cases opened by hour and weekday"), width=900,
            ) if grids else charts.heatmap_chart([], [], [], title=_("Cases opened by hour and weekday")),
            "movers": movers(slice, by="branch", limit=5),
            "department_movers": movers(slice, by="department", limit=5),
            "crises": radar.open_crises(limit=5) if radar.may_view(request.user) else None,
            "risky": radar.high_risk_cases(limit=5, user=request.user) if radar.may_view(request.user) else None,
            "at_risk_count": min(at_risk_count, AT_RISK_COUNTED),
            "at_risk_more": at_risk_count > AT_RISK_COUNTED,
            "at_risk": at_risk,
            "at_risk_url": reverse("web:sla-at-risk"),
        }

    def tables(data: dict[str, Any]) -> dict[str, Table]:
        return {"kpis": kpi_rows_table(data["kpi_rows"])}

    return page(request, "dashboard", "web/insights/dashboard.html", compute, tables)
