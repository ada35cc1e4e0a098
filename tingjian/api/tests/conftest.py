"""An API client per user: each request carries that user's bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tingjian.api import services


class ApiClient:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {} if self.token is None else {"Authorization": f"Bearer {self.token}"}
        headers.update(extra or {})
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get("/api/v1" + path, params or {}, headers=self._headers(headers))

    def send(self, method: str, path: str, body: Any = None, *, raw: str | None = None, **headers: str) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        call = getattr(self.client, method.lower())
        return call("/api/v1" + path, data, content_type="application/json", headers=self._headers(headers))

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("PATCH", path, body, **kw)


@pytest.fixture
def api_as(users: dict[str, Any]) -> Callable[[str], ApiClient]:
    def make(role_user: str) -> ApiClient:
        issued = services.create_token(users[role_user], name="tests", by=None)
        return ApiClient(issued.plaintext)

    return make


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient(None)


def assert_problem(response: Any, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    if kind:
        assert body["type"] == f"https://tingjian.dev/problems/{kind}"
    return body
