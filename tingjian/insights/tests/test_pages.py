"""The insights pages: the cases behind a number, trends, heatmap, Pareto, targets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tingjian.insights import selectors
from tingjian.insights.models import KpiTarget
from tingjian.insights.selectors import Slice

from .conftest import MONDAY, rebuild

WEEK = Slice(MONDAY, MONDAY + timedelta(days=6))
WEEK_QUERY = "start=2026-03-02&end=2026-03-08"


@pytest.fixture
def built(week: dict[str, Any]) -> dict[str, Any]:
    rebuild(MONDAY - timedelta(days=7), MONDAY + timedelta(days=6))
    return week


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_every_kpi_count_drills_down_to_as_many_cases(built: dict[str, Any], users: dict[str, Any]) -> None:
    manager = users["manager"]
    for row in selectors.kpi_table(WEEK):
        if row.unit != "count" or row.code.startswith("backlog"):
            continue
        cases, sentence = selectors.drill_cases(_query(row.drill_url), user=manager)
        assert cases.count() == row.value, (row.code, sentence)


def test_breakdown_counts_drill_down_to_as_many_cases(built: dict[str, Any], users: dict[str, Any]) -> None:
    for dimension in selectors.DIMENSIONS:
        for row in selectors.breakdown(dimension, WEEK).rows:
            cases, _sentence = selectors.drill_cases(_query(row["drill_url"]), user=users["manager"])
            assert cases.count() == row["count"], (dimension, row["label"])


def test_a_heatmap_cell_drills_down_to_its_cases(built: dict[str, Any], users: dict[str, Any]) -> None:
    grid = selectors.heatmap(WEEK, split="department")[0]
    cases, sentence = selectors.drill_cases(_query(grid.drill_url(0, 9)), user=users["manager"])
    assert [c.opened_at.hour for c in cases] == [1]  # 09:15 Taipei is 01:15 UTC
    assert "Mondays" in sentence and "09:00" in sentence


def test_the_backlog_drills_down_to_the_open_cases(built: dict[str, Any], users: dict[str, Any]) -> None:
    row = selectors.kpi_value("backlog_gt7d", WEEK)
    cases, sentence = selectors.drill_cases(_query(row.drill_url), user=users["manager"])
    assert cases.count() == row.value == 4
    assert "more than 7 days" in sentence


def _query(url: str) -> dict[str, str]:
    from django.http import QueryDict

    return QueryDict(urlsplit(url).query).dict()


def test_the_drill_down_page_says_what_the_cases_are(built: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get(f"/insights/cases/?{WEEK_QUERY}&what=safety")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Personal-safety cases opened from 2026-03-02 to 2026-03-08" in text
    assert "1 case" in text


def test_the_drill_down_list_costs_a_fixed_number_of_queries(
    built: dict[str, Any], users: dict[str, Any], make_case: Any, django_assert_num_queries: Any,
) -> None:
    client = client_for(users["manager"])
    client.get(f"/insights/cases/?{WEEK_QUERY}")  # warm the session
    # session, user, the user's two permission sets, the branch's name, the count, the page.
    with django_assert_num_queries(7):
        client.get(f"/insights/cases/?{WEEK_QUERY}&branch={built['branch'].pk}")
    for hour in range(10):
        make_case(built["cases"][1].opened_at + timedelta(minutes=hour))
    with django_assert_num_queries(7):
        client.get(f"/insights/cases/?{WEEK_QUERY}&branch={built['branch'].pk}")


def test_an_agent_sees_only_the_cases_of_their_departments(built: dict[str, Any], users: dict[str, Any]) -> None:
    from django.contrib.auth.models import Permission

    agent = users["agent2"]  # logistics
    agent.user_permissions.add(Permission.objects.get(codename="view_insights"))
    cases, _sentence = selectors.drill_cases({"start": "2026-03-02", "end": "2026-03-08"}, user=type(agent).objects.get(pk=agent.pk))
    # c2 (logistics) and c4 (no department: the shared intake queue).
    assert cases.count() == 2


def test_the_drill_down_needs_the_insights_permission(built: dict[str, Any], users: dict[str, Any]) -> None:
    assert client_for(users["agent"]).get(f"/insights/cases/?{WEEK_QUERY}").status_code == 403


@pytest.mark.parametrize("query", [
    "start=2026-03-08&end=2026-03-01", "what=everything", "what=sla&clock=sundial", "weekday=9", "hour=x",
    "start=2027-01-01&end=2027-01-02",
])
def test_nonsense_drill_parameters_show_a_message(built: dict[str, Any], users: dict[str, Any], query: str) -> None:
    response = client_for(users["manager"]).get(f"/insights/cases/?{query}")
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_the_drill_down_exports_csv(built: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get(f"/insights/cases/?{WEEK_QUERY}&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").count("\n") == 6  # header + 5 cases


@pytest.mark.parametrize("path", [
    "/insights/trends/", "/insights/trends/?kpi=frt_median&step=week", "/insights/heatmap/?split=department",
    "/insights/pareto/?dimension=root_cause", "/insights/targets/",
])
def test_the_pages_render(built: dict[str, Any], users: dict[str, Any], path: str) -> None:
    sep = "&" if "?" in path else "?"
    response = client_for(users["manager"]).get(f"{path}{sep}{WEEK_QUERY}&period=custom")
    assert response.status_code == 200


def test_trend_points_link_to_their_cases(built: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get(f"/insights/trends/?{WEEK_QUERY}&kpi=opened")
    assert "/insights/cases/?start=2026-03-02&amp;end=2026-03-02&amp;what=opened" in response.content.decode()


def test_heatmap_cells_link_to_their_cases(built: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get(f"/insights/heatmap/?{WEEK_QUERY}")
    assert "weekday=0&amp;hour=9" in response.content.decode()


@pytest.mark.parametrize("table", ["series", "kpis"])
def test_trend_tables_export_as_xlsx(built: dict[str, Any], users: dict[str, Any], table: str) -> None:
    response = client_for(users["manager"]).get(f"/insights/trends/?{WEEK_QUERY}&export=xlsx&table={table}")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_pareto_and_heatmap_export_as_csv(built: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["manager"])
    pareto = client.get(f"/insights/pareto/?{WEEK_QUERY}&export=csv&table=pareto")
    assert pareto.content.decode("utf-8-sig").splitlines()[1].startswith(built["category"].label)
    heat = client.get(f"/insights/heatmap/?{WEEK_QUERY}&export=csv&table=heatmap")
    assert len(heat.content.decode("utf-8-sig").splitlines()) == 8


def test_a_future_period_shows_a_message(built: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get("/insights/trends/?start=2027-01-01&end=2027-01-31")
    assert response.status_code == 400
    assert "has not started yet" in response.content.decode()


def test_an_unknown_kpi_shows_a_message(built: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get(f"/insights/trends/?{WEEK_QUERY}&kpi=joy")
    assert response.status_code == 400


def test_the_pages_need_the_insights_permission(built: dict[str, Any], users: dict[str, Any]) -> None:
    for path in ("/insights/trends/", "/insights/heatmap/", "/insights/pareto/", "/insights/targets/"):
        assert client_for(users["agent"]).get(path).status_code == 403


def test_a_manager_sets_a_time_target_in_minutes(db: Any, users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(
        "/insights/targets/", {"kpi": "frt_median", "scope": "company", "value": "15"},
    )
    assert response.status_code == 302
    assert KpiTarget.objects.get().value == 900


def test_a_bad_target_shows_why_and_saves_nothing(db: Any, users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(
        "/insights/targets/", {"kpi": "sla_resolution", "scope": "company", "value": "140"},
    )
    assert response.status_code == 400
    assert "between 0 and 100" in response.content.decode()
    assert not KpiTarget.objects.exists()


def test_a_branch_target_needs_its_branch(db: Any, users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(
        "/insights/targets/", {"kpi": "opened", "scope": "branch", "value": "3"},
    )
    assert response.status_code == 400
    assert not KpiTarget.objects.exists()


def test_qa_sees_targets_but_may_not_change_them(db: Any, users: dict[str, Any]) -> None:
    client = client_for(users["qa"])
    assert client.get("/insights/targets/").status_code == 200
    response = client.post("/insights/targets/", {"kpi": "opened", "scope": "company", "value": "3"})
    assert response.status_code == 403
    assert not KpiTarget.objects.exists()


def test_a_manager_removes_a_target(db: Any, users: dict[str, Any]) -> None:
    from tingjian.insights import services

    target = services.set_target(kpi="opened", value=3, by=users["manager"])
    client_for(users["manager"]).post("/insights/targets/", {"remove": str(target.pk)})
    assert not KpiTarget.objects.exists()
