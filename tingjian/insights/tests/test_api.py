"""REST API: /api/v1/insights — the numbers of the pages, read from the rollup."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tingjian.api.tests.conftest import assert_problem

from .conftest import MONDAY, rebuild

WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def built(week: dict[str, Any]) -> dict[str, Any]:
    rebuild(MONDAY - timedelta(days=7), MONDAY + timedelta(days=6))
    return week


def test_kpis_of_a_week(built: dict[str, Any], api_as: Any) -> None:
    body = api_as("manager").get("/insights/kpis", WEEK).json()
    rows = {k["code"]: k for k in body["kpis"]}
    assert rows["opened"]["value"] == 5
    assert rows["opened"]["previous"] == 1
    assert rows["frt_median"]["display"] == "10 min"
    assert "first_response_at" in rows["frt_median"]["definition"]
    assert rows["opened"]["drill_url"].startswith("/insights/cases/?")


def test_an_agent_without_the_permission_gets_403(built: dict[str, Any], api_as: Any) -> None:
    assert_problem(api_as("agent").get("/insights/kpis", WEEK), 403, "forbidden")


def test_no_token_gets_401(db: Any, anonymous: Any) -> None:
    assert anonymous.get("/insights/kpis").status_code == 401


@pytest.mark.parametrize("params", [
    {"start": "2026-03-08", "end": "2026-03-01"},
    {"start": "yesterday", "end": "2026-03-01"},
    {"start": "2027-01-01", "end": "2027-01-07"},
    {"period": "this_week", "branch": "abc"},
    {"period": "fortnight"},
])
def test_bad_periods_are_422(frozen: Any, users: dict[str, Any], api_as: Any, params: dict[str, str]) -> None:
    body = assert_problem(api_as("manager").get("/insights/kpis", params), 422, "validation-error")
    assert body["errors"][0]["detail"]


def test_series_with_the_previous_period_and_last_year(built: dict[str, Any], api_as: Any) -> None:
    body = api_as("manager").get("/insights/series", {**WEEK, "kpi": "opened"}).json()
    assert [p["value"] for p in body["points"]] == [2, 1, 1, 1, 0, 0, 0]
    assert sum(p["value"] for p in body["previous"]) == 1
    assert len(body["last_year"]) == 7


def test_an_unknown_kpi_or_step_is_422(built: dict[str, Any], api_as: Any) -> None:
    assert_problem(api_as("manager").get("/insights/series", {**WEEK, "kpi": "joy"}), 422)
    assert_problem(api_as("manager").get("/insights/series", {**WEEK, "kpi": "opened", "step": "year"}), 422)


def test_breakdown_heatmap_movers_and_backlog(built: dict[str, Any], api_as: Any) -> None:
    client = api_as("manager")
    pareto = client.get("/insights/breakdown", {**WEEK, "dimension": "category"}).json()
    assert [r["count"] for r in pareto["rows"]] == [4, 1]
    heat = client.get("/insights/heatmap", {**WEEK, "split": "department"}).json()
    assert sum(g["total"] for g in heat["grids"]) == 5
    movers = client.get("/insights/movers", WEEK).json()
    assert movers["movers"][0]["count"] == 3
    backlog = client.get("/insights/backlog", WEEK).json()
    assert backlog["total"] == 4


def test_an_unknown_dimension_is_422(built: dict[str, Any], api_as: Any) -> None:
    assert_problem(api_as("manager").get("/insights/breakdown", {**WEEK, "dimension": "mood"}), 422)
    assert_problem(api_as("manager").get("/insights/heatmap", {**WEEK, "split": "mood"}), 422)
