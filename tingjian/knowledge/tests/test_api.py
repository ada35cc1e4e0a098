"""REST API: /api/v1/knowledge — articles and reply templates, read-only, in the caller's
language."""

from __future__ import annotations

from typing import Any

import pytest

from tingjian.api.tests.conftest import assert_problem
from tingjian.knowledge import services

from .factories import make_article, make_template

pytestmark = pytest.mark.django_db


def test_the_article_list_pages_newest_first(api_as: Any, users: dict[str, Any]) -> None:
    older = make_article(users["manager"])
    newer = make_article(users["manager"], title_en="Allergens", body_en="Soy in every soup.", category_code="allergy")
    make_article(users["manager"], publish=False, title_en="Draft")
    body = api_as("agent").get("/knowledge/articles", **{"Accept-Language": "en"}).json()
    assert (body["count"], body["page"], body["pages"]) == (2, 1, 1)
    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    assert body["items"][0]["title"] == "Allergens"
    filtered = api_as("agent").get("/knowledge/articles", {"category": "allergy"}).json()
    assert [item["id"] for item in filtered["items"]] == [newer.pk]


def test_the_article_list_searches(api_as: Any, users: dict[str, Any]) -> None:
    article = make_article(users["manager"])
    make_article(users["manager"], title_en="Allergens", body_en="Soy.", title_zh="", body_zh="")
    body = api_as("agent").get("/knowledge/articles", {"q": "发票"}).json()
    assert [item["id"] for item in body["items"]] == [article.pk]
    assert "<mark>" in body["items"][0]["snippet"]
    empty = api_as("agent").get("/knowledge/articles", {"q": "-發票"}).json()
    assert empty["count"] == 0 and empty["message"]


def test_one_article_in_the_asked_script_with_both_originals(api_as: Any, users: dict[str, Any]) -> None:
    article = make_article(users["manager"])
    body = api_as("agent").get(f"/knowledge/articles/{article.pk}", **{"Accept-Language": "zh-Hans"}).json()
    assert (body["title"], body["language"]) == ("发票开立错误的更正流程", "zh")
    assert body["title_zh"] == "發票開立錯誤的更正流程" and body["body_en"].startswith("Check the tax ID")


def test_a_draft_is_not_found_by_an_agent(api_as: Any, users: dict[str, Any]) -> None:
    draft = make_article(users["manager"], publish=False)
    assert_problem(api_as("agent").get(f"/knowledge/articles/{draft.pk}"), 404, "not-found")
    assert api_as("manager").get(f"/knowledge/articles/{draft.pk}").status_code == 200


def test_the_templates_in_use(api_as: Any, users: dict[str, Any]) -> None:
    template = make_template(users["manager"], category_code="late-delivery")
    retired = make_template(users["manager"], name="Old")
    services.deactivate_template(retired, by=users["manager"])
    body = api_as("agent").get("/knowledge/templates", **{"Accept-Language": "en"}).json()
    assert [item["id"] for item in body] == [template.pk]
    (item,) = body
    assert item["body"].startswith("Dear {customer_name}")
    assert item["variables"] == ["customer_name", "case_number", "branch"]
    assert item["category"] == "late-delivery"
    assert api_as("agent").get("/knowledge/templates", {"category": "refund"}).json() == []


def test_the_knowledge_api_needs_a_token(anonymous: Any) -> None:
    assert_problem(anonymous.get("/knowledge/articles"), 401, "unauthorized")
