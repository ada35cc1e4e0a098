"""Charts drawn on the server as SVG: a sparkline, a line chart, a bar (Pareto) chart, a heatmap.

Responsible for: turning numbers into small, deterministic SVG strings that work inline in an
HTML page, in an email and inside a WeasyPrint PDF (so only presentation attributes, no CSS
classes needed for colour, no scripts, no external fonts or images). Every chart names itself
for screen readers (``<title>``, ``<desc>``, ``aria-label``) and says "No data" when it has none.

Must never: query the database, emit unescaped text (labels are people's data: branch and
category names), emit a ``javascript:`` link, or depend on anything random (the same numbers
always give the same bytes, so reports can be compared and cached).
"""

from .bars import bar_chart
from .heatmap import heat_colour, heatmap_chart
from .lines import line_chart, sparkline
from .svg import (
    BAR_COLOUR,
    FONT_FAMILY,
    FONT_SIZE,
    GRID,
    HEAT_EMPTY,
    HEAT_SCALE,
    INK,
    MUTED,
    PARETO_COLOUR,
    SERIES_COLOURS,
    SERIES_DASHES,
    fit,
    format_value,
    nice_axis,
    nice_ceiling,
    text_width,
)

__all__ = [
    "BAR_COLOUR", "FONT_FAMILY", "FONT_SIZE", "GRID", "HEAT_EMPTY", "HEAT_SCALE", "INK", "MUTED", "PARETO_COLOUR",
    "SERIES_COLOURS", "SERIES_DASHES", "bar_chart", "fit", "format_value", "heat_colour", "heatmap_chart",
    "line_chart", "nice_axis", "nice_ceiling", "sparkline", "text_width",
]
