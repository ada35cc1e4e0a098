"""GET /api/v1/cases/{number}/clocks: a case's SLA clocks, for callers who may see the case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tingjian.api.tests.conftest import ApiClient, api_as, assert_problem  # noqa: F401 - the fixture
from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.sla import timers
from tingjian.sla.models import Clock

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei
MINUTE = timedelta(minutes=1)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def case(traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> Case:
    return open_case(severity=2, department=company["cs"], assignee=users["agent"])


def test_the_clocks_of_a_case_with_their_state_and_times(
    api_as: Callable[[str], ApiClient], case: Case  # noqa: F811
) -> None:
    response = api_as("agent").get(f"/cases/{case.number}/clocks")
    assert response.status_code == 200, response.content
    clocks = {c["kind"]: c for c in response.json()}
    assert set(clocks) == {"first_response", "resolution", "stage"}
    first = clocks["first_response"]
    assert first["target_minutes"] == 60
    assert first["business_hours"] is False
    assert first["state"] == "green"
    assert datetime.fromisoformat(first["started_at"]) == NOW
    assert datetime.fromisoformat(first["due_at"]) == NOW + 60 * MINUTE
    assert datetime.fromisoformat(first["remind_at"]) == NOW + 45 * MINUTE
    assert (first["paused"], first["paused_seconds"], first["escalation_level"]) == (False, 0, 0)
    assert first["acknowledged_by"] is None and first["breached_at"] is None
    assert clocks["stage"]["stage"] == "intake"


def test_a_breached_acknowledged_clock_says_who_took_it(
    api_as: Callable[[str], ApiClient], case: Case, traveller: Any, users: dict[str, Any]  # noqa: F811
) -> None:
    traveller.move_to(NOW + 61 * MINUTE)
    timers.sweep()
    clock = Clock.objects.get(case=case, kind="first_response")
    timers.acknowledge_clock_alerts(clock, by=users["agent"])
    first = next(c for c in api_as("manager").get(f"/cases/{case.number}/clocks").json() if c["kind"] == "first_response")
    assert first["state"] == "breached"
    assert datetime.fromisoformat(first["breached_at"]) == NOW + 60 * MINUTE
    assert first["escalation_level"] == 1
    assert first["acknowledged_by"] == "agent"
    assert datetime.fromisoformat(first["acknowledged_at"]) == NOW + 61 * MINUTE


def test_a_paused_clock_counts_the_pause_going_on(
    api_as: Callable[[str], ApiClient], case: Case, traveller: Any, users: dict[str, Any]  # noqa: F811
) -> None:
    case_services.update_case(case, by=users["agent"], fields={"waiting_on": "customer"})
    traveller.move_to(NOW + 10 * MINUTE)
    resolution = next(c for c in api_as("agent").get(f"/cases/{case.number}/clocks").json() if c["kind"] == "resolution")
    assert (resolution["state"], resolution["paused"], resolution["due_at"]) == ("paused", True, None)
    assert resolution["paused_seconds"] == 600


def test_a_case_outside_the_callers_scope_is_not_found(
    api_as: Callable[[str], ApiClient], open_case: Callable[..., Case], company: dict[str, Any],  # noqa: F811
    users: dict[str, Any],
) -> None:
    other = open_case(by=users["manager"], department=company["logistics"])
    assert_problem(api_as("agent").get(f"/cases/{other.number}/clocks"), 404)
    assert_problem(api_as("agent").get("/cases/C-1999-000001/clocks"), 404)
    assert api_as("agent2").get(f"/cases/{other.number}/clocks").status_code == 200


def test_the_endpoint_is_in_the_api_document(api_as: Callable[[str], ApiClient]) -> None:  # noqa: F811
    doc = api_as("agent").client.get("/api/v1/openapi.json").json()
    assert "get" in doc["paths"]["/api/v1/cases/{number}/clocks"]
