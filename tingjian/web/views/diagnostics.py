"""The diagnostics pages: one per question a manager asks, each number a link to its cases.

Thin: read the shared filters (period, branch, department, channel) into a ``Slice``, call
``tingjian.insights.diagnostics``, render — or, with ``?export=csv|xlsx&table=…``, send that
table as a file. Parameters that make no sense are shown as a message (status 400), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tingjian.insights import diagnostics
from tingjian.insights.diagnostics import early_warning as survey_module
from tingjian.insights.diagnostics import hidden_causes as cooccurrence_module
from tingjian.insights.diagnostics import recurrence as recurrence_module
from tingjian.insights.diagnostics import topics as topics_module
from tingjian.insights.diagnostics.common import float_param, int_param
from tingjian.insights.selectors import (
    PeriodError,
    Slice,
    ensure_can_view_insights,
)
from tingjian.insights.tables import Table

from .insights import common
from .insights.common import BadParameters

DEFAULT_PERIOD = "last_30_days"
PER_PAGE = 50
PAGES = (
    ("cooccurrence", "web:diagnostics-cooccurrence", gettext_lazy("Hidden causes")),
    ("recurrence", "web:diagnostics-recurrence", gettext_lazy("Recurrence")),
    ("topics", "web:diagnostics-topics", gettext_lazy("Emerging topics")),
    ("surveys", "web:diagnostics-surveys", gettext_lazy("Survey early warning")),
)


def _page(
    request: HttpRequest, section: str, template: str, compute: Callable[[Slice], dict[str, Any]],
    tables: dict[str, Callable[[dict[str, Any]], Table]], extra: Callable[[], list[dict[str, Any]]] = list,
) -> HttpResponse:
    """A diagnostics page: the insights pages' own, with this section's navigation and period."""
    return common.page(
        request, section, template, compute, lambda data: {name: make(data) for name, make in tables.items()},
        extra, default_period=DEFAULT_PERIOD, pages=PAGES,
    )


def _int(request: HttpRequest, key: str, **bounds: int) -> int:
    try:
        return int_param(request.GET, key, **bounds)
    except ValueError as exc:
        raise BadParameters(str(exc)) from None


def _float(request: HttpRequest, key: str, **bounds: float) -> float:
    try:
        return float_param(request.GET, key, **bounds)
    except ValueError as exc:
        raise BadParameters(str(exc)) from None


def _choice(request: HttpRequest, key: str, allowed: tuple[str, ...]) -> str:
    value = request.GET.get(key) or allowed[0]
    if value not in allowed:
        raise BadParameters(_("“%(value)s” is not one of the choices.") % {"value": value[:20]})
    return value


# ---------------------------------------------------------------------------------- index


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The seven questions, each leading to the page that answers it."""
    ensure_can_view_insights(request.user)

    def link(name: str) -> str:
        try:
            return reverse(name)
        except NoReverseMatch:
            return ""

    questions = [
        (_("What do complaints say, and how are they trending?"), [(_("Trends"), link("web:insights-trends")), (_("Emerging topics"), link("web:diagnostics-topics"))]),
        (_("Do surveys show early signs?"), [(_("Survey early warning"), link("web:diagnostics-surveys"))]),
        (_("Could a small complaint go viral?"), [(_("Crisis radar"), link("web:radar"))]),
        (_("Why does it happen?"), [(_("Pareto of categories and root causes"), link("web:insights-pareto"))]),
        (_("Is a hidden cause behind it?"), [(_("Root causes together"), link("web:diagnostics-cooccurrence"))]),
        (_("Why at this hour, in this department?"), [(_("Heatmap"), link("web:insights-heatmap"))]),
        (_("Why does it recur?"), [(_("Recurrence"), link("web:diagnostics-recurrence"))]),
    ]
    questions = [(q, [(label, url) for label, url in links if url]) for q, links in questions]
    return render(request, "web/diagnostics/index.html", {"questions": questions, "nav": common.nav("", PAGES)})


# ------------------------------------------------------------------------- the diagnostics


@require_GET
def cooccurrence_page(request: HttpRequest) -> HttpResponse:
    def compute(slice: Slice) -> dict[str, Any]:
        window = _choice(request, "window", cooccurrence_module.WINDOWS)
        min_together = _int(request, "min_together", default=2, low=1, high=50)
        return {
            "result": diagnostics.cooccurrence(slice, user=request.user, window=window, min_together=min_together),
            "matrix": diagnostics.category_root_causes(slice, user=request.user),
        }

    def extra() -> list[dict[str, Any]]:
        return [
            {"name": "window", "label": _("Together in the same"), "value": request.GET.get("window", "week"),
             "choices": [("week", _("branch and week")), ("day", _("branch and day"))]},
            {"name": "min_together", "label": _("At least together"), "value": request.GET.get("min_together", "2"), "type": "number"},
        ]

    return _page(
        request, "cooccurrence", "web/diagnostics/cooccurrence.html", compute,
        {"pairs": lambda d: d["result"].table(), "matrix": lambda d: d["matrix"].table()}, extra,
    )


@require_GET
def recurrence_page(request: HttpRequest) -> HttpResponse:
    def compute(slice: Slice) -> dict[str, Any]:
        days = _int(request, "days", default=recurrence_module.DEFAULT_DAYS, low=1, high=recurrence_module.MAX_DAYS)
        return {
            "repeats": diagnostics.repeat_customers(slice, user=request.user, days=days),
            "actions": diagnostics.corrective_actions_not_held(slice, user=request.user),
        }

    def extra() -> list[dict[str, Any]]:
        return [{"name": "days", "label": _("Again within (days)"), "value": request.GET.get("days", str(recurrence_module.DEFAULT_DAYS)), "type": "number"}]

    return _page(
        request, "recurrence", "web/diagnostics/recurrence.html", compute,
        {"customers": lambda d: d["repeats"].table(), "actions": lambda d: d["actions"].table()}, extra,
    )


@require_GET
def topics_page(request: HttpRequest) -> HttpResponse:
    def compute(slice: Slice) -> dict[str, Any]:
        periods = _int(request, "baseline", default=topics_module.DEFAULT_BASELINE, low=topics_module.MIN_BASELINE, high=topics_module.MAX_BASELINE)
        min_count = _int(request, "min_count", default=3, low=1, high=1000)
        return {"topics": diagnostics.emerging_topics(slice, user=request.user, baseline_periods=periods, min_count=min_count)}

    def extra() -> list[dict[str, Any]]:
        return [
            {"name": "baseline", "label": _("Compare with periods before"), "value": request.GET.get("baseline", str(topics_module.DEFAULT_BASELINE)),
             "choices": [(str(n), str(n)) for n in range(topics_module.MIN_BASELINE, topics_module.MAX_BASELINE + 1)]},
            {"name": "min_count", "label": _("At least cases"), "value": request.GET.get("min_count", "3"), "type": "number"},
        ]

    return _page(request, "topics", "web/diagnostics/topics.html", compute, {"topics": lambda d: d["topics"].table()}, extra)


@require_GET
def surveys_page(request: HttpRequest) -> HttpResponse:
    def compute(slice: Slice) -> dict[str, Any]:
        by = _choice(request, "by", survey_module.GROUPINGS)
        return {"warning": diagnostics.survey_warning(
            slice, user=request.user, by=by,
            csat_drop=_float(request, "csat_drop", default=survey_module.DEFAULT_CSAT_DROP, low=0.1, high=4),
            nps_drop=_float(request, "nps_drop", default=survey_module.DEFAULT_NPS_DROP, low=1, high=200),
            min_answers=_int(request, "min_answers", default=survey_module.DEFAULT_MIN_ANSWERS, low=1, high=1000),
        )}

    def extra() -> list[dict[str, Any]]:
        return [
            {"name": "by", "label": _("By"), "value": request.GET.get("by", "branch"), "choices": [("branch", _("branch")), ("agent", _("agent"))]},
            {"name": "csat_drop", "label": _("CSAT drop (points)"), "value": request.GET.get("csat_drop", str(survey_module.DEFAULT_CSAT_DROP)), "type": "number", "step": "0.1"},
            {"name": "nps_drop", "label": _("NPS drop (points)"), "value": request.GET.get("nps_drop", str(int(survey_module.DEFAULT_NPS_DROP))), "type": "number"},
            {"name": "min_answers", "label": _("At least answers"), "value": request.GET.get("min_answers", str(survey_module.DEFAULT_MIN_ANSWERS)), "type": "number"},
        ]

    return _page(request, "surveys", "web/diagnostics/surveys.html", compute, {"warning": lambda d: d["warning"].table()}, extra)


@require_GET
def evidence_page(request: HttpRequest) -> HttpResponse:
    """The cases behind a number that no drill-down filter describes."""
    ensure_can_view_insights(request.user)
    try:
        cases, sentence = diagnostics.evidence_cases(request.GET, user=request.user)
    except (PeriodError, ValueError) as exc:
        return render(request, "web/diagnostics/cases.html", {"error": str(exc), "nav": common.nav("", PAGES)}, status=400)
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/diagnostics/cases.html", {
        "page": page, "cases": list(page.object_list), "sentence": sentence, "query": query.urlencode(), "nav": common.nav("", PAGES),
    })
