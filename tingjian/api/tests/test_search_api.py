"""GET /api/v1/search: the search page's answer as JSON, in the caller's scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tingjian.cases.models import Case

pytestmark = pytest.mark.django_db


def test_the_api_answers_in_scope_and_refuses_bad_filters(api_as: Callable[[str], Any], open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> None:
    mine = open_case(body="外送遲到一小時", department=company["cs"])
    open_case(body="外送遲到一小時", department=company["logistics"], by=users["manager"])
    body = api_as("agent").get("/search", {"q": "遲到"}).json()
    assert [hit["number"] for hit in body["hits"]] == [mine.number]
    assert body["total"] == 1 and body["total_is_lower_bound"] is False
    assert "<mark>遲到</mark>" in body["hits"][0]["snippet_html"]
    bad = api_as("agent").get("/search", {"q": "遲到", "department": "nowhere"})
    assert bad.status_code == 422
    empty = api_as("agent").get("/search", {"q": "？？"}).json()
    assert empty["hits"] == [] and empty["message"]
