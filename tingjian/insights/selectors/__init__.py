"""Reading insights: KPIs, series, breakdowns, heatmaps, movers and the cases behind them.

Everything here reads the rollup (``DayFacts``) — plus the live backlog, one aggregate over
the open cases — and never scans all cases; only ``drill_cases`` lists cases, a page at a
time. A period that has not started raises ``PeriodInFuture`` and nonsense parameters
``PeriodError`` (both ValueErrors whose message is for people); an empty period gives values
of None shown as "—", never a division by zero. Callers check insights.view_insights
(``ensure_can_view_insights``); ``drill_cases`` checks it itself and scopes the cases to
what the user may see.
"""

from .breakdowns import (
    DIMENSIONS,
    MOVER_DIMENSIONS,
    SPLITS,
    HeatmapGrid,
    Mover,
    breakdown,
    heatmap,
    heatmap_table,
    movers,
)
from .display import EMPTY, format_change, format_duration, format_value
from .drill import (
    VIEW_PERMISSION,
    WEEKDAYS,
    DrillError,
    cases_table,
    drill_cases,
    ensure_can_view_insights,
)
from .facts import reading_once
from .kpi_rows import (
    STEPS,
    KpiRow,
    TargetView,
    kpi_table,
    kpi_value,
    series,
    series_many,
    targets_for,
)
from .period import PRESETS, PeriodError, PeriodInFuture, Slice, preset, slice_from_params, today
from .trends import Trend, TrendPoint, auto_step, kpi_rows_table, trend

__all__ = [
    "DIMENSIONS", "EMPTY", "MOVER_DIMENSIONS", "PRESETS", "SPLITS", "STEPS", "VIEW_PERMISSION", "WEEKDAYS",
    "DrillError", "HeatmapGrid", "KpiRow", "Mover", "PeriodError", "PeriodInFuture", "Slice", "TargetView", "Trend",
    "TrendPoint", "auto_step", "breakdown", "cases_table", "drill_cases", "ensure_can_view_insights", "format_change",
    "format_duration", "format_value", "heatmap", "reading_once", "heatmap_table", "kpi_rows_table", "kpi_table", "kpi_value",
    "movers", "preset", "series", "series_many", "slice_from_params", "targets_for", "today", "trend",
]
