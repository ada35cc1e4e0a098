"""The insights pages' URLs, added to ``web.urls`` so their names live in the ``web`` namespace."""

from django.urls import URLPattern, path

from .views import insights

urlpatterns: list[URLPattern] = [
    path("insights/cases/", insights.drill_down, name="insights-cases"),
    path("insights/trends/", insights.trends, name="insights-trends"),
    path("insights/heatmap/", insights.heatmap_page, name="insights-heatmap"),
    path("insights/pareto/", insights.pareto, name="insights-pareto"),
    path("insights/targets/", insights.targets_page, name="insights-targets"),
]
