"""The SLA boards: clocks at risk (everyone who sees clocks) and escalations (managers,
executives and administrators).

Both read only clocks of the cases the reader may see: the visible cases' queryset goes
into the sla selectors, which keep it as a subquery.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tingjian import clock as wall_clock
from tingjian.cases.permissions import visible_cases
from tingjian.sla import selectors

from ..sla_display import clock_badge
from ..sla_forms import AtRiskFilterForm

PER_PAGE = 25
# Acknowledged breaches stay on the board this long, showing who took them.
ACKNOWLEDGED_SHOWN_HOURS = 24


def _may_see_clocks(request: HttpRequest) -> None:
    if not request.user.has_perm("sla.view_clock"):
        raise PermissionDenied(_("You may not see SLA clocks."))


def _board_links(request: HttpRequest) -> dict[str, Any]:
    return {"may_see_escalations": selectors.may_see_escalations(request.user)}


@require_GET
def at_risk(request: HttpRequest) -> HttpResponse:
    _may_see_clocks(request)
    form = AtRiskFilterForm(request.GET)
    values = form.valid_values()
    page_number = values.pop("page", 1)
    filters = selectors.AtRiskFilters(
        kind=values.get("kind", ""), department=values.get("department", ""),
        severity=values.get("severity"), assignee=request.user if values.get("mine") else None,
    )
    clocks = selectors.at_risk(visible_cases(request.user), filters)
    page = Paginator(clocks, PER_PAGE).get_page(page_number)
    now = wall_clock.now()
    rows = [clock_badge(clock, now) for clock in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "page": page, "rows": rows, "query": query.urlencode(), "section": "at-risk",
        **_board_links(request),
    }
    template = "web/sla/partials/at_risk_results.html" if getattr(request, "htmx", False) else "web/sla/at_risk.html"
    return render(request, template, context)


@require_GET
def escalations(request: HttpRequest) -> HttpResponse:
    if not selectors.may_see_escalations(request.user):
        raise PermissionDenied(_("The escalations board is for managers, executives and administrators."))
    now = wall_clock.now()
    since = now - timedelta(hours=ACKNOWLEDGED_SHOWN_HOURS)
    clocks = selectors.escalations(visible_cases(request.user), acknowledged_since=since)
    page = Paginator(clocks, PER_PAGE).get_page(request.GET.get("page"))
    page_clocks = list(page.object_list)
    told = selectors.who_was_told(page_clocks)
    rows = [
        {"badge": clock_badge(clock, now), "told": told.get(clock.pk, [])}
        for clock in page_clocks
    ]
    return render(request, "web/sla/escalations.html", {
        "page": page, "rows": rows, "section": "escalations", "shown_hours": ACKNOWLEDGED_SHOWN_HOURS,
        "may_see_escalations": True,
    })
