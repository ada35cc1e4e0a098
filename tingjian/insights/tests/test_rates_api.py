"""The per-10,000 figures and the diagnostics tables over the REST API (read-only).

The router is mounted here on an API of the test's own with the house's error handlers;
``api.v1`` mounts the same router under /insights.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from ninja import NinjaAPI
from ninja.testing import TestClient

from tingjian.api import problems
from tingjian.cases import services as case_services
from tingjian.insights.api_rates import router
from tingjian.insights.models import Denominator
from tingjian.insights.rates import publishing

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
FEBRUARY = date(2026, 2, 1)

api = NinjaAPI(urls_namespace="test-insights-rates")
problems.install(api)
api.add_router("/insights", router)
client = TestClient(api)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def february(company: dict[str, Any], users: dict[str, Any], customer: Any) -> None:
    Denominator.objects.create(branch=company["branch"], month=FEBRUARY, value=15_000)
    for day in (10, 14, 20):
        case_services.open_case(
            customer=customer, subject="湯是冷的", channel="phone", body="湯是冷的。", by=users["agent"],
            sent_at=datetime(2026, 2, day, 2, 0, tzinfo=UTC), fields={"branch": company["branch"]},
        )


def test_the_month_reads_live_beside_published_with_disputes(february: None, company: Any, users: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    publishing.file_dispute(publication, branch_id=company["branch"].pk, text="wrong", by=users["manager"])

    response = client.get("/insights/rates?month=2026-02", auth=users["manager"])

    assert response.status_code == 200
    body = response.json()
    assert (body["month"], body["is_over"], body["version"]) == ("2026-02", True, 1)
    [row] = body["rows"]
    assert row["live"] == {"complaints": 3, "denominator": 15000, "basis": "customers", "rate": 2.0, "note": ""}
    assert row["published"]["rate"] == 2.0
    assert [d["status"] for d in row["disputes"]] == ["open"]


def test_a_bad_month_is_422(users: Any) -> None:
    assert client.get("/insights/rates?month=2026-13", auth=users["manager"]).status_code == 422


def test_agents_get_403(users: Any) -> None:
    assert client.get("/insights/rates", auth=users["agent"]).status_code == 403


def test_a_diagnostics_table_reads_like_its_export(february: None, users: Any) -> None:
    response = client.get("/insights/diagnostics/repeat-customers?start=2026-02-01&end=2026-02-28", auth=users["manager"])

    assert response.status_code == 200
    body = response.json()
    assert body["columns"][0] == {"key": "customer", "label": "Customer", "kind": "text"}
    assert [row["repeats"] for row in body["rows"]] == [2]


def test_an_unknown_diagnostics_table_is_422(users: Any) -> None:
    assert client.get("/insights/diagnostics/nope", auth=users["manager"]).status_code == 422


def test_a_future_period_is_422(users: Any) -> None:
    response = client.get("/insights/diagnostics/topics?start=2026-04-01&end=2026-04-07", auth=users["manager"])

    assert response.status_code == 422
