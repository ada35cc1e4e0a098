"""The manager dashboard: the period's KPIs against targets, each a link to its cases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tingjian.cases.models import Case, Stage
from tingjian.cases.models.case import engine_moving_stage
from tingjian.cases.workflow.policy import active_policy
from tingjian.customers import services as customer_services
from tingjian.insights.models import Direction, KpiTarget
from tingjian.insights.rollup.compute import compute_day

pytestmark = pytest.mark.django_db
TPE = ZoneInfo("Asia/Taipei")
DAY = date(2026, 3, 4)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=TPE)
URL = reverse("web:insights-dashboard")


@pytest.fixture
def march(company: dict[str, Any], time_machine: Any) -> list[Case]:
    """Three cases opened on 4 March: first responses after 10, 20 and 60 minutes."""
    time_machine.move_to(NOW, tick=False)
    customer = customer_services.create_customer(display_name="王小明", by=None, identities=[("phone", "0900-000-001")])
    cases = []
    with engine_moving_stage():
        for n, minutes in enumerate((10, 20, 60), start=1):
            opened = datetime.combine(DAY, time(9 + n), tzinfo=TPE)
            cases.append(Case.objects.create(
                number=f"T-{n:05d}", customer=customer, subject="湯是冷的", origin_channel="line",
                policy=active_policy(), opened_at=opened, stage_entered_at=opened, stage=Stage.INTAKE,
                first_response_at=opened + timedelta(minutes=minutes), branch=company["branch"],
                department=company["cs"], category=company["category"],
            ))
    compute_day(DAY)
    return cases


def test_manager_sees_the_periods_figures_each_linking_to_its_cases(client: Any, users: dict[str, Any], march: list[Case]) -> None:
    client.force_login(users["manager"])
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-07", "period": "custom"})
    assert response.status_code == 200
    tiles = {tile["row"].code: tile["row"] for tile in response.context["tiles"]}
    assert tiles["opened"].value == 3
    assert tiles["frt_median"].display == "20 min"
    page = response.content.decode()
    assert tiles["opened"].drill_url.replace("&", "&amp;") in page
    follow = client.get(tiles["opened"].drill_url)
    assert {c.number for c in follow.context["page"]} == {"T-00001", "T-00002", "T-00003"}


def test_a_target_shows_as_met_or_missed_on_its_tile(client: Any, users: dict[str, Any], march: list[Case]) -> None:
    KpiTarget.objects.create(kpi="frt_median", value=900, direction=Direction.AT_MOST)  # 15 minutes
    client.force_login(users["manager"])
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-07", "period": "custom"})
    tile = next(t for t in response.context["tiles"] if t["row"].code == "frt_median")
    assert tile["row"].met is False
    assert 'class="dash-tile missed"' in response.content.decode()


def test_an_agent_may_not_open_the_dashboard(client: Any, users: dict[str, Any]) -> None:
    client.force_login(users["agent"])
    assert client.get(URL).status_code == 403


def test_a_period_in_the_future_is_a_message_not_an_error_page(client: Any, users: dict[str, Any], march: list[Case]) -> None:
    client.force_login(users["manager"])
    response = client.get(URL, {"start": "2027-01-01", "end": "2027-01-31", "period": "custom"})
    assert response.status_code == 400
    assert "tiles" not in response.context or not response.context.get("tiles")
    assert 'role="alert"' in response.content.decode()


def test_the_dashboard_reads_a_fixed_number_of_queries_whatever_the_data(
    client: Any, users: dict[str, Any], march: list[Case], django_assert_max_num_queries: Any,
) -> None:
    client.force_login(users["manager"])
    client.get(URL)  # warm the session and content types
    with django_assert_max_num_queries(45):
        response = client.get(URL, {"period": "last_month"})
    assert response.status_code == 200


def test_the_kpi_table_exports_as_csv(client: Any, users: dict[str, Any], march: list[Case]) -> None:
    client.force_login(users["manager"])
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-03-07", "period": "custom", "export": "csv", "table": "kpis"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Cases opened" in response.content.decode("utf-8-sig")
