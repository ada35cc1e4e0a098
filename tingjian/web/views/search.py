"""The search page (cases with facets; customers and articles beside them) and the
suggestions under the search box in the top bar."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tingjian.cases import finding
from tingjian.cases.models import Case, ChannelKind, Severity, Stage
from tingjian.customers.models import Customer
from tingjian.org.models import Branch, Category, Department
from tingjian.search.models import Kind

PER_PAGE = 20
# Facets shown: the search index's column, the URL parameter, how a value is labelled.
FACET_PARAMS = (
    ("stage", "stage"), ("severity", "severity"), ("department_id", "department"),
    ("branch_id", "branch"), ("channel", "channel"), ("category_id", "category"),
)


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 4 else 1


def _facets(results: Any, active: dict[str, str]) -> list[dict[str, Any]]:
    """Each facet with labels and codes, looked up in one query per taxonomy."""
    taxonomies: dict[str, dict[int, Any]] = {}
    for column, model in (("department_id", Department), ("branch_id", Branch), ("category_id", Category)):
        ids = [value for value, _n in results.facets.get(column, [])]
        taxonomies[column] = model.objects.in_bulk(ids) if ids else {}
    labels: dict[str, dict[Any, Any]] = {
        "stage": dict(Stage.choices), "severity": dict(Severity.choices), "channel": dict(ChannelKind.choices),
    }
    out = []
    for column, param in FACET_PARAMS:
        values = []
        for value, count in results.facets.get(column, [])[:12]:
            if column in taxonomies:
                obj = taxonomies[column].get(value)
                if obj is None:
                    continue
                values.append({"code": obj.code, "label": obj.label, "count": count})
            else:
                values.append({"code": str(value), "label": labels[column].get(value, value), "count": count})
            values[-1]["on"] = active.get(param) == values[-1]["code"]
        if values:
            out.append({"param": param, "values": values})
    return out


def _chips(active: dict[str, str]) -> list[dict[str, str]]:
    """The active filters as removable labels ("Branch: 台中公益店")."""
    names = {
        "stage": _("Stage"), "severity": _("Severity"), "department": _("Department"), "branch": _("Branch"),
        "channel": _("Channel"), "category": _("Category"), "assignee": _("Assignee"),
        "from": _("Opened from"), "to": _("Opened until"),
    }
    choices = {"stage": dict(Stage.choices), "severity": {str(k): v for k, v in Severity.choices}, "channel": dict(ChannelKind.choices)}
    models: dict[str, Any] = {"department": Department, "branch": Branch, "category": Category}
    chips = []
    for param, code in active.items():
        label: Any = code
        if param in choices:
            label = choices[param].get(code, code)
        elif param in models:
            obj = models[param].objects.filter(code=code).first()
            label = obj.label if obj else code
        chips.append({"param": param, "code": code, "name": names.get(param, param), "label": label})
    return chips


def _case_rows(results: Any) -> list[tuple[Any, Case]]:
    cases = Case.objects.select_related("customer", "branch", "department", "category").in_bulk(
        [hit.ref for hit in results.hits]
    )
    return [(hit, cases[hit.ref]) for hit in results.hits if hit.ref in cases]


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    exact = finding.case_by_number(request.user, text)
    if exact is not None and request.GET.get("exact") != "0":
        return redirect("web:case-detail", exact.number)
    found = finding.criteria(request.GET)
    page = _page_number(request)
    results = finding.search_cases(request.user, text, found=found, page=page, per_page=PER_PAGE)
    customers: list[tuple[Any, Any]] = []
    articles: list[Any] = []
    if page == 1 and not results.message:
        others = finding.search_others(request.user, text, kind=Kind.CUSTOMER, limit=5)
        by_pk = Customer.objects.in_bulk([hit.ref for hit in others.hits])
        customers = [(hit, by_pk[hit.ref]) for hit in others.hits if hit.ref in by_pk]
        articles = finding.search_others(request.user, text, kind=Kind.ARTICLE, limit=3).hits
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "q": text[:200], "results": results, "rows": _case_rows(results), "facets": _facets(results, found.codes),
        "chips": _chips(found.codes),
        "customers": customers, "articles": articles, "found": found, "query": query.urlencode(),
        "active": found.codes, "page_number": results.page,
    }
    template = "web/search_results.html" if request.htmx else "web/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    return render(request, "web/partials/suggestions.html", {
        "suggestions": finding.suggest(request.user, text), "q": text.strip()[:100],
    })
