"""The customers endpoints: list, create, and a detail that shows only cases the user may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tingjian.customers.models import Customer

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


def test_create_customer_with_identities(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    response = api_as("agent").post("/customers", {
        "name": "張大同", "language": "en",
        "identities": [{"kind": "phone", "value": "0922 111 222"}, {"kind": "line", "value": "U1234"}],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "張大同"
    assert {(i["kind"], i["value"]) for i in body["identities"]} == {("phone", "+886922111222"), ("line", "U1234")}


def test_an_identity_of_another_customer_is_422(api_as: Callable[[str], ApiClient], customer: Customer) -> None:
    response = api_as("agent").post("/customers", {"name": "冒名者", "identities": [{"kind": "phone", "value": "0912-345-678"}]})
    assert_problem(response, 422, "validation-error")
    assert not Customer.objects.filter(display_name="冒名者").exists()


def test_staff_may_not_create_customers(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    assert_problem(api_as("staff").post("/customers", {"name": "x"}), 403, "forbidden")


def test_list_and_search_customers(api_as: Callable[[str], ApiClient], customer: Customer) -> None:
    client = api_as("agent")
    assert client.get("/customers").json()["count"] == 1
    assert [c["id"] for c in client.get("/customers", {"q": "345"}).json()["items"]] == [customer.pk]
    assert client.get("/customers", {"q": "nobody"}).json()["items"] == []


def test_customer_detail_lists_only_the_cases_the_user_may_see(api_as: Callable[[str], ApiClient], open_case: Any, customer: Customer, company: dict[str, Any], users: dict[str, Any]) -> None:
    cs_case = open_case(by=users["manager"], department=company["cs"])
    logistics_case = open_case(by=users["manager"], department=company["logistics"])
    cs_view = api_as("agent").get(f"/customers/{customer.pk}").json()
    logistics_view = api_as("agent2").get(f"/customers/{customer.pk}").json()
    assert [c["number"] for c in cs_view["cases"]] == [cs_case.number]
    assert [c["number"] for c in logistics_view["cases"]] == [logistics_case.number]
    assert cs_view["identities"] == [{"kind": "phone", "value": "+886912345678"}]


def test_unknown_customer_is_404(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    assert_problem(api_as("agent").get("/customers/999999"), 404, "not-found")
