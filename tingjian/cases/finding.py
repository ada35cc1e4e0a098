"""Search as a user sees it: cases within their scope, customers and articles if they may
see them, with filters by the same codes as the case list.

The search app answers within the scope it is given; this module is where the scope comes
from (``permissions.visible_cases``), so a scoped agent's hits, count and facets never
include a case outside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tingjian.org.models import Branch, Category, Department
from tingjian.search import selectors as search
from tingjian.search.analysis import Term, phrase_unit
from tingjian.search.models import Kind
from tingjian.search.query import Clause, Parsed
from tingjian.textintel.keywords import keywords

from .models import Case, ChannelKind, Severity, Stage
from .permissions import can_view, visible_cases
from .suggestions import case_text

NUMBER = re.compile(r"^[A-Za-z]{1,4}-?\d{4,}(?:-\d+)?$")
SUGGESTIONS = 8


@dataclass
class Criteria:
    """The filters as codes (as in URLs and the API) and as the index's ids."""

    filters: search.Filters = field(default_factory=search.Filters)
    codes: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _date(value: str, name: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Not a date (YYYY-MM-DD): %(v)s") % {"v": value[:40]}
        return None


def _id_of(model: Any, code: str, name: str, errors: dict[str, str]) -> int | None:
    pk = model.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        errors[name] = _("Unknown %(what)s: %(code)s") % {"what": model._meta.verbose_name, "code": code[:40]}
    return pk


def criteria(params: Mapping[str, str]) -> Criteria:
    """Parse the filter parameters; a bad value is reported in ``errors`` and not applied."""
    found = Criteria()
    errors = found.errors
    values: dict[str, Any] = {}
    raw = {k: (params.get(k) or "").strip() for k in (
        "stage", "severity", "department", "branch", "channel", "category", "assignee", "from", "to")}
    found.codes = {k: v for k, v in raw.items() if v}
    if raw["stage"]:
        if raw["stage"] in Stage.values:
            values["stage"] = raw["stage"]
        else:
            errors["stage"] = _("Unknown stage: %(v)s") % {"v": raw["stage"][:40]}
    if raw["severity"]:
        if raw["severity"].isdigit() and int(raw["severity"]) in Severity.values:
            values["severity"] = int(raw["severity"])
        else:
            errors["severity"] = _("Unknown severity: %(v)s") % {"v": raw["severity"][:40]}
    if raw["channel"]:
        if raw["channel"] in ChannelKind.values:
            values["channel"] = raw["channel"]
        else:
            errors["channel"] = _("Unknown channel: %(v)s") % {"v": raw["channel"][:40]}
    for name, model in (("department", Department), ("branch", Branch), ("category", Category)):
        if raw[name]:
            values[f"{name}_id"] = _id_of(model, raw[name], name, errors)
    if raw["assignee"]:
        pk = get_user_model().objects.filter(username=raw["assignee"]).values_list("pk", flat=True).first()
        if pk is None:
            errors["assignee"] = _("Unknown user: %(v)s") % {"v": raw["assignee"][:40]}
        values["assignee_id"] = pk
    if raw["from"]:
        values["opened_from"] = _date(raw["from"], "from", errors)
    if raw["to"]:
        values["opened_to"] = _date(raw["to"], "to", errors)
    if values.get("opened_from") and values.get("opened_to") and values["opened_from"] > values["opened_to"]:
        errors["to"] = _("The end date is before the start date.")
        values.pop("opened_to")
    found.filters = search.Filters(**{k: v for k, v in values.items() if v is not None})
    for name in errors:
        found.codes.pop(name, None)
    return found


def _scope(user: Any) -> Any:
    if not user.has_perm("cases.view_case") and not user.has_perm("cases.view_all_cases"):
        raise PermissionDenied(_("You may not search cases."))
    if user.has_perm("cases.view_all_cases"):
        return None
    return visible_cases(user).values("pk")


def search_cases(user: Any, text: str, *, found: Criteria | None = None, page: int = 1, per_page: int = 20, facets: bool = True) -> search.Results:
    """Cases matching ``text`` that ``user`` may see, best first, with facets."""
    return search.search(
        text, kinds=(Kind.CASE,), filters=(found or Criteria()).filters, case_scope=_scope(user),
        page=page, per_page=per_page, facets=facets,
    )


def search_others(user: Any, text: str, *, kind: str, limit: int = 5) -> search.Results:
    """Customers (for those who may see customers) or published articles matching ``text``."""
    if kind == Kind.CUSTOMER and not user.has_perm("customers.view_customer"):
        return search.Results()
    if kind == Kind.ARTICLE and not (user.is_authenticated and user.is_active):
        return search.Results()
    return search.search(text, kinds=(kind,), per_page=limit)


def case_by_number(user: Any, text: str) -> Case | None:
    """The case whose number was typed, if the user may see it."""
    text = text.strip()
    if not NUMBER.match(text):
        return None
    case = Case.objects.select_related("customer").filter(number__iexact=text).first()
    return case if case is not None and can_view(user, case) else None


@dataclass(frozen=True)
class Suggestion:
    kind: str
    label: str
    detail: str
    ref: int
    number: str = ""


def suggest(user: Any, text: str) -> list[Suggestion]:
    """What to offer under the search box while the user types (the last word a prefix)."""
    text = (text or "").strip()[:100]
    if not text:
        return []
    out: list[Suggestion] = []
    exact = case_by_number(user, text)
    if exact is not None:
        out.append(Suggestion(Kind.CASE, exact.number, exact.subject, exact.pk, exact.number))
    kinds = [Kind.CASE]
    if user.has_perm("customers.view_customer"):
        kinds.append(Kind.CUSTOMER)
    kinds.append(Kind.ARTICLE)  # everyone signed in reads the knowledge base
    results = search.search(text, kinds=kinds, case_scope=_scope(user), per_page=SUGGESTIONS, prefix=True)
    for hit in results.hits:
        if hit.kind == Kind.CASE:
            number, _space, subject = hit.title.partition(" ")
            if exact is None or exact.pk != hit.ref:
                out.append(Suggestion(Kind.CASE, number, subject, hit.ref, number))
        else:
            out.append(Suggestion(hit.kind, hit.title, "", hit.ref))
    return out[:SUGGESTIONS]


SIMILAR = 5
SIMILAR_KEYWORDS = 8


def similar_cases(user: Any, case: Case, *, text: str | None = None, limit: int = SIMILAR) -> list[tuple[search.Hit, Case]]:
    """The closed cases most like ``case`` that ``user`` may see, with what resolved them.

    "Like" is the search engine's own relevance for the case's keywords, any of which may
    match (a case sharing more of them, or rarer ones, ranks higher), so it needs no model
    and improves with the keywords. Closed cases only: the point is how a similar complaint
    was answered, its resolution and root cause.
    """
    words = keywords(text if text is not None else case_text(case), k=SIMILAR_KEYWORDS)
    units = [unit for unit in (phrase_unit(word) for word in words) if unit is not None]
    if not units:
        return []
    parsed = Parsed(groups=[[Clause(terms=[Term(alternatives=(unit,))]) for unit in units]], text=" ".join(words))
    results = search.search(
        "", kinds=(Kind.CASE,), parsed=parsed, filters=search.Filters(stage=Stage.CLOSED),
        case_scope=_scope(user), per_page=limit + 1,
    )
    refs = [hit.ref for hit in results.hits if hit.ref != case.pk][:limit]
    cases = Case.objects.select_related("root_cause", "category").in_bulk(refs)
    return [(hit, cases[hit.ref]) for hit in results.hits if hit.ref in cases]
