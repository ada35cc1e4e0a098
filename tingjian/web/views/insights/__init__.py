"""The insights pages: the cases behind any number, trends, the heatmap, the Pareto and the
KPI targets. Thin: parse the filters, call ``tingjian.insights.selectors``, render."""

from .pages import drill_down, heatmap_page, pareto, trends
from .targets import targets_page

__all__ = ["drill_down", "heatmap_page", "pareto", "targets_page", "trends"]
