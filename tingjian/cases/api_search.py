"""``GET /api/v1/search``: the search page's answer as JSON, in the caller's scope.

Unlike the page, which ignores a filter it does not understand and says so, the API refuses
it (422), since a program that sent it wants to know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tingjian.search.models import Kind

from . import finding

router = Router()


class SearchQuery(Schema):
    q: str = Field("", description="Words (either script), \"a phrase\", -excluded, a OR b.")
    kind: Literal["case", "customer", "article"] = "case"
    stage: str = ""
    severity: str = ""
    department: str = Field("", description="Department code")
    branch: str = Field("", description="Branch code")
    channel: str = ""
    category: str = Field("", description="Category code")
    assignee: str = Field("", description="Username")
    opened_from: str = Field("", alias="from", description="YYYY-MM-DD")
    opened_to: str = Field("", alias="to", description="YYYY-MM-DD, inclusive")
    page: int = Field(1, ge=1, le=50)
    per_page: int = Field(20, ge=1, le=100)


class HitOut(Schema):
    kind: str
    id: int
    number: str | None = None
    title: str
    title_html: str
    snippet_html: str
    score: float
    at: datetime


class FacetValue(Schema):
    value: str
    count: int


class SearchOut(Schema):
    query: str
    total: int
    total_is_lower_bound: bool
    page: int
    per_page: int
    has_next: bool
    message: str
    notices: list[str]
    hits: list[HitOut]
    facets: dict[str, list[FacetValue]]


@router.get("", response=SearchOut, summary="Search cases, customers or knowledge articles")
def search(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    raw = params.model_dump(by_alias=True)
    found = finding.criteria({k: str(v) for k, v in raw.items() if v not in (None, "")})
    if found.errors:
        raise ValidationError(found.errors)
    if params.kind == Kind.CASE:
        results = finding.search_cases(user, params.q, found=found, page=params.page, per_page=params.per_page)
    else:
        results = finding.search_others(user, params.q, kind=params.kind, limit=params.per_page)
    hits = [{
        "kind": hit.kind, "id": hit.ref,
        "number": hit.title.partition(" ")[0] if hit.kind == Kind.CASE else None,
        "title": hit.title, "title_html": str(hit.title_html), "snippet_html": str(hit.snippet),
        "score": round(hit.score, 6), "at": hit.at,
    } for hit in results.hits]
    return {
        "query": results.parsed.text if results.parsed else "", "total": results.total,
        "total_is_lower_bound": results.capped, "page": results.page, "per_page": results.per_page,
        "has_next": results.has_next, "message": results.message, "notices": results.notices, "hits": hits,
        "facets": {name: [{"value": str(v), "count": n} for v, n in values] for name, values in results.facets.items()},
    }
