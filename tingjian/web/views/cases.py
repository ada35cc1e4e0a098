"""The case list and the new-case form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from tingjian.cases import selectors
from tingjian.cases.models.case import STAGE_ORDER
from tingjian.customers.selectors import search_customers

from ..forms import CaseFilterForm, NewCaseForm
from ..intake import open_case_from_form
from ..service_errors import add_to_form
from ..sla_display import badges_by_case


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


PER_PAGE = 25
CUSTOMER_MATCHES = 10
# Names the customer and case services use for a problem, and the form field it belongs to.
INTAKE_FIELDS = {"display_name": "new_customer_name", "kind": "new_customer_phone", "external_id": "new_customer_phone"}


@require_GET
def case_list(request: HtmxHttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET, user=request.user)
    values = form.valid_values()
    values.setdefault("scope", form.default_scope)
    page_number = values.pop("page", 1)
    filters = selectors.CaseFilters(**values)
    page = Paginator(selectors.case_list(request.user, filters), PER_PAGE).get_page(page_number)
    cases = list(page.object_list)
    page.object_list = cases  # read once; the badges below are one more query for the page
    badges = badges_by_case([case.pk for case in cases])
    counts = selectors.stage_counts(request.user)
    query = request.GET.copy()
    query.pop("page", None)
    scope_links = []
    for value, label in form.scope_choices:
        tab = query.copy()
        tab["scope"] = value
        scope_links.append((value, label, f"?{tab.urlencode()}"))
    context = {
        "form": form,
        "page": page,
        "rows": [(case, badges.get(case.pk)) for case in cases],
        "scope": filters.scope,
        "scope_links": scope_links,
        "stage_counts": [(s.value, s.label, counts.get(s.value, 0)) for s in STAGE_ORDER],
        "query": query.urlencode(),
    }
    template = "web/partials/case_results.html" if request.htmx else "web/case_list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NewCaseForm(request.POST)
        if form.is_valid():
            try:
                case = open_case_from_form(form, by=request.user)
            except ValidationError as exc:
                add_to_form(form, exc, INTAKE_FIELDS)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not open cases."))
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("web:case-detail", case.number)
        status = 422
    else:
        form = NewCaseForm(initial={"customer_q": request.GET.get("customer_q", "")})
        status = 200
    q = form["customer_q"].value() or ""
    matches = list(search_customers(q)[:CUSTOMER_MATCHES]) if q else []
    return render(request, "web/case_new.html", {"form": form, "matches": matches}, status=status)


@require_GET
def customer_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("customer_q", "")
    matches = list(search_customers(q)[:CUSTOMER_MATCHES]) if q.strip() else []
    return render(request, "web/partials/customer_matches.html", {"matches": matches, "q": q})
