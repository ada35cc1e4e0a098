"""GET /api/v1/surveys/answers: filtered, paged, and only for those who may see answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tingjian.api import services as api_services
from tingjian.surveys import services
from tingjian.surveys.models import Invitation

pytestmark = pytest.mark.django_db

URL = "/api/v1/surveys/answers"


@pytest.fixture
def api_get(users: dict[str, Any]) -> Callable[..., Any]:
    def get(role: str, params: dict[str, Any] | None = None) -> Any:
        issued = api_services.create_token(users[role], name="tests", by=None)
        return Client().get(URL, params or {}, headers={"Authorization": f"Bearer {issued.plaintext}"})

    return get


@pytest.fixture
def answered(invite: Callable[..., tuple[Invitation, str]]) -> list[Invitation]:
    made = []
    for csat, nps, comment in [(1, 2, "很慢"), (5, 10, ""), (3, None, "")]:
        invitation, token = invite()
        services.record_csat(token, score=csat)
        if nps is not None or comment:
            services.complete(token, nps=nps, comment=comment)
        made.append(invitation)
    return made


@pytest.mark.parametrize(("role", "status"), [("qa", 200), ("executive", 200), ("agent", 403), ("staff", 403)])
def test_answers_are_for_those_who_may_see_them(api_get: Callable[..., Any], answered: list[Invitation], role: str, status: int) -> None:
    response = api_get(role)
    assert response.status_code == status
    if status == 403:
        assert response["Content-Type"].startswith("application/problem+json")


def test_answers_are_listed_newest_first_with_their_case_and_follow_up(api_get: Callable[..., Any], answered: list[Invitation]) -> None:
    body = api_get("manager").json()
    assert body["count"] == 3
    first = body["items"][-1]
    assert first["case_number"] == answered[0].case.number
    assert (first["csat"], first["nps"], first["comment"], first["follow_up"]) == (1, 2, "很慢", "open")
    assert first["branch"] == "tpe-xinyi" and first["sent_by"] == "email"


def test_answers_filter_and_page(api_get: Callable[..., Any], answered: list[Invitation]) -> None:
    assert [i["csat"] for i in api_get("qa", {"csat_low": "true"}).json()["items"]] == [1]
    assert [i["nps"] for i in api_get("qa", {"nps_band": "promoter"}).json()["items"]] == [10]
    page = api_get("qa", {"limit": 2, "offset": 2}).json()
    assert (page["count"], len(page["items"])) == (3, 1)
    assert api_get("qa", {"branch": "tpe-xinyi"}).json()["count"] == 3


@pytest.mark.parametrize("params", [
    {"csat": 9}, {"nps_band": "fans"}, {"branch": "nowhere"}, {"start": "2026-05-10", "end": "2026-05-01"}, {"limit": 0},
])
def test_a_bad_filter_is_422(api_get: Callable[..., Any], answered: list[Invitation], params: dict[str, Any]) -> None:
    response = api_get("qa", params)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
