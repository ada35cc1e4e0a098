"""The OpenAPI document, the offline docs page, and errors outside any endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


def test_openapi_document_is_3_1_and_lists_every_path() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert set(doc["paths"]) >= {
        "/api/v1/cases", "/api/v1/cases/{number}", "/api/v1/cases/{number}/messages",
        "/api/v1/cases/{number}/notes", "/api/v1/cases/{number}/transitions",
        "/api/v1/customers", "/api/v1/customers/{customer_id}",
    }
    assert set(doc["paths"]["/api/v1/cases"]) == {"get", "post"}
    assert doc["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_docs_page_loads_and_references_only_local_assets() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert "cdn" not in html.lower()
    # No inline script: every <script> has a src (CSP allows 'self' scripts only).
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_docs_assets_are_shipped_in_our_static_files() -> None:
    from django.contrib.staticfiles import finders

    for asset in ("api/swagger-ui/swagger-ui-bundle.js", "api/swagger-ui/swagger-ui.css", "api/docs.js"):
        assert finders.find(asset), asset


def test_unknown_api_path_is_404_problem_not_a_login_redirect(api_as: Any, users: dict[str, Any]) -> None:
    assert_problem(Client().get("/api/v1/nothing/here"), 404, "not-found")
    assert_problem(api_as("agent").get("/nothing"), 404, "not-found")


def test_wrong_method_is_405_problem(api_as: Any, users: dict[str, Any]) -> None:
    response = api_as("agent").send("DELETE", "/cases")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response["Allow"]


def test_body_over_the_upload_limit_is_413_problem(api_as: Any, users: dict[str, Any], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client: ApiClient = api_as("agent")
    response = client.post("/cases", {"subject": "x", "channel": "phone", "body": "長" * 2000, "customer": 1})
    assert_problem(response, 413, "payload-too-large")


def test_openapi_document_describes_problem_responses() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    transitions = doc["paths"]["/api/v1/cases/{number}/transitions"]["post"]["responses"]
    assert "application/problem+json" in transitions["409"]["content"]
    assert {"401", "404", "422"} <= set(doc["paths"]["/api/v1/cases"]["get"]["responses"])
    assert "failed_guards" in doc["components"]["schemas"]["Problem"]["properties"]
