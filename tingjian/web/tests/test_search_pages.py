"""The search page, the suggestions under the top-bar box and GET /api/v1/search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tingjian.cases.models import Case

pytestmark = pytest.mark.django_db


def test_the_results_page_shows_highlighted_cases_with_facets(client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any]) -> None:
    case = open_case(subject="發票問題", body="發票開錯了，統編不對", department=company["cs"])
    page = client_for("agent").get("/search/", {"q": "发票"})
    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html
    assert "<mark>發票</mark>" in html
    assert "?q=%E5%8F%91%E7%A5%A8&amp;department=cs" in html  # the department facet links


def test_typing_a_case_number_goes_to_the_case(client_for: Callable[[str], Client], open_case: Callable[..., Case]) -> None:
    case = open_case()
    response = client_for("agent").get("/search/", {"q": case.number})
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.number}/")


def test_a_case_number_outside_the_scope_is_not_revealed(client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> None:
    hidden = open_case(department=company["logistics"], by=users["manager"])
    response = client_for("agent").get("/search/", {"q": hidden.number})
    assert response.status_code == 200
    assert hidden.subject not in response.content.decode()


@pytest.mark.parametrize("text", ['"', "NEAR(", "x" * 10_000, "？？？", "' OR 1=1 --", "-退款"])
def test_odd_queries_never_fail(client_for: Callable[[str], Client], open_case: Callable[..., Case], text: str) -> None:
    open_case()
    response = client_for("agent").get("/search/", {"q": text})
    assert response.status_code == 200


def test_bad_filters_are_named_and_ignored(client_for: Callable[[str], Client], open_case: Callable[..., Case]) -> None:
    open_case(body="湯是冷的")
    html = client_for("agent").get("/search/", {"q": "湯", "stage": "limbo", "from": "yesterday"}).content.decode()
    assert "Unknown stage: limbo" in html and "Not a date" in html


def test_the_results_page_takes_a_fixed_number_of_queries(client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any]) -> None:
    client = client_for("agent")
    open_case(body="牛肉麵太鹹", department=company["cs"], branch=company["branch"], category=company["category"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/search/", {"q": "牛肉麵"}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(6):
        open_case(body="牛肉麵太鹹", department=company["cs"], branch=company["branch"], category=company["category"])
    assert queries() == few


def test_suggestions_offer_cases_and_customers(client_for: Callable[[str], Client], open_case: Callable[..., Case], customer: Any) -> None:
    case = open_case(subject="便當有異物", body="便當裡有一根頭髮")
    html = client_for("agent").get("/search/suggest/", {"q": "便"}).content.decode()
    assert case.number in html
    html = client_for("agent").get("/search/suggest/", {"q": "王小"}).content.decode()
    assert f"/customers/{customer.pk}/" in html
