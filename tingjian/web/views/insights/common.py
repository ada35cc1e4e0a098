"""What every insights page shares: the filter bar, the permission check, reading the slice
(a message, not a 500, when it makes no sense) and exporting a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tingjian.cases.models import ChannelKind
from tingjian.insights.selectors import (
    PeriodError,
    Slice,
    ensure_can_view_insights,
    slice_from_params,
)
from tingjian.insights.tables import Table, export
from tingjian.org import selectors as org

DEFAULT_PERIOD = "this_month"
PERIODS = (
    ("this_week", gettext_lazy("This week")), ("last_week", gettext_lazy("Last week")),
    ("this_month", gettext_lazy("This month")), ("last_month", gettext_lazy("Last month")),
    ("last_30_days", gettext_lazy("Last 30 days")), ("custom", gettext_lazy("Custom")),
)
PAGES = (
    ("dashboard", "web:insights-dashboard", gettext_lazy("Dashboard")),
    ("trends", "web:insights-trends", gettext_lazy("Trends")),
    ("heatmap", "web:insights-heatmap", gettext_lazy("Hour × weekday")),
    ("pareto", "web:insights-pareto", gettext_lazy("Pareto")),
    ("diagnostics", "web:diagnostics", gettext_lazy("Diagnostics")),
    ("rates", "web:rates", gettext_lazy("Per 10,000")),
    ("targets", "web:insights-targets", gettext_lazy("Targets")),
)


class BadParameters(ValueError):
    """A page's own parameter (a KPI, a split) makes no sense; the message is for people."""


def choice(request: HttpRequest, key: str, allowed: tuple[str, ...], default: str = "") -> str:
    value = request.GET.get(key, default) or default
    if value not in allowed:
        raise BadParameters(_("“%(value)s” is not one of the choices for %(what)s.") % {"value": value[:30], "what": key})
    return value


def filters(
    request: HttpRequest, slice: Slice | None, extra: list[dict[str, Any]] | None = None, *,
    default: str = DEFAULT_PERIOD,
) -> dict[str, Any]:
    """What the filter bar shows: the period and the shared filters, then the page's own."""
    params = request.GET
    return {
        "period": params.get("period") or ("custom" if params.get("start") else default),
        "periods": PERIODS,
        "start": slice.start.isoformat() if slice else params.get("start", ""),
        "end": slice.end.isoformat() if slice else params.get("end", ""),
        "branch": str(slice.branch) if slice and slice.branch is not None else "",
        "department": str(slice.department) if slice and slice.department is not None else "",
        "channel": slice.channel if slice else "",
        "branches": [(str(b.pk), b.label) for b in org.active_branches().order_by("code")],
        "departments": [(str(d.pk), d.label) for d in org.active_departments().order_by("code")],
        "channels": list(ChannelKind.choices),
        "extra": extra or [],
    }


def read_slice(request: HttpRequest, *, default: str = DEFAULT_PERIOD) -> Slice:
    slice = slice_from_params(request.GET, default=default)
    slice.ensure_not_future()
    return slice


def nav(section: str, pages: tuple[tuple[str, str, Any], ...] = PAGES) -> list[tuple[str, str, bool]]:
    return [(str(label), reverse(name), key == section) for key, name, label in pages]


def export_response(table: Table, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("No such format."))
    content, content_type, filename = export(table, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def page(
    request: HttpRequest, section: str, template: str, compute: Callable[[Slice], dict[str, Any]],
    tables: Callable[[dict[str, Any]], dict[str, Table]], extra: Callable[[], list[dict[str, Any]]] = list,
    *, default_period: str = DEFAULT_PERIOD, pages: tuple[tuple[str, str, Any], ...] = PAGES,
) -> HttpResponse:
    """Render an insights page — or, with ``?export=csv|xlsx&table=…``, send one of its tables.
    Parameters that make no sense show as a message with status 400 and nothing else.
    ``pages`` is the sub-navigation the page belongs to (the insights pages or the diagnostics)."""
    ensure_can_view_insights(request.user)
    error = ""
    slice: Slice | None = None
    data: dict[str, Any] = {}
    try:
        slice = read_slice(request, default=default_period)
        data = compute(slice)
    except (PeriodError, BadParameters, ValueError) as exc:
        error = str(exc)
    fmt = request.GET.get("export", "")
    if fmt and not error:
        table = tables(data).get(request.GET.get("table", ""))
        if table is None:
            raise Http404(_("No such table."))
        return export_response(table, fmt)
    query = request.GET.copy()
    for key in ("export", "table", "page"):
        query.pop(key, None)
    context = {
        "section": section, "nav": nav(section, pages), "error": error, "slice": slice,
        "filters": filters(request, slice, extra(), default=default_period), "query": query.urlencode(), **data,
    }
    return render(request, template, context, status=400 if error else 200)
