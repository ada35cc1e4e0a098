"""A report's snapshot: the numbers of its period and scope, JSON-ready, with its narrative."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.insights import rollup
from tingjian.org.tests.factories import BranchFactory
from tingjian.reports import compose
from tingjian.reports.periods import Period

TAIPEI = ZoneInfo("Asia/Taipei")
WEEK = Period("weekly", date(2026, 11, 16), date(2026, 11, 22))


@pytest.fixture
def week_with_cases(company: dict[str, Any], users: dict[str, Any], open_case: Callable[..., Case], time_machine: Any) -> dict[str, Any]:
    """Wednesday 2026-11-18: a safety case at 台中店 answered after 9 minutes, and an ordinary
    case at another branch; the report is made the next Monday."""
    taichung = BranchFactory(code="taichung", name_zh_hant="台中店", name_zh_hans="台中店", name_en="Taichung")
    time_machine.move_to(datetime(2026, 11, 18, 12, 0, tzinfo=TAIPEI))
    safety_case = open_case(category=company["category"], branch=taichung, safety=True, severity=1)
    time_machine.move_to(datetime(2026, 11, 18, 12, 9, tzinfo=TAIPEI))
    case_services.record_reply(safety_case, body="您好，我們馬上處理。", by=users["agent"])
    time_machine.move_to(datetime(2026, 11, 19, 15, 0, tzinfo=TAIPEI))
    other = open_case(category=company["category"], branch=company["branch"])
    time_machine.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=TAIPEI))
    for offset in range(-7, 8):
        rollup.compute_day(date(2026, 11, 16) + timedelta(days=offset))
    return {"taichung": taichung, "safety_case": safety_case, "other": other}


def test_company_report_counts_every_case_and_its_safety_case(week_with_cases: dict[str, Any]) -> None:
    data = compose.compose(period=WEEK, language="en")
    opened = next(row for row in data["kpis"] if row["code"] == "opened")
    assert opened["value"] == 2
    assert data["notable"]["safety"]["count"] == 1
    assert data["notable"]["safety"]["within_target"] == 1
    assert data["notable"]["safety"]["rows"][0]["number"] == week_with_cases["safety_case"].number
    assert "1 personal-safety case, answered within 15 minutes." in data["narrative"]


def test_branch_report_shows_only_its_branch(week_with_cases: dict[str, Any]) -> None:
    taichung = week_with_cases["taichung"]
    data = compose.compose(period=WEEK, scope="branch", branch_id=taichung.pk, language="zh-hant")
    opened = next(row for row in data["kpis"] if row["code"] == "opened")
    assert opened["value"] == 1
    assert data["scope"]["label"] == "台中店"
    assert data["narrative"][0].startswith("台中店")
    numbers = [row["number"] for rows in data["notable"].values() for row in rows["rows"]]
    assert week_with_cases["other"].number not in numbers


def test_snapshot_is_plain_json(week_with_cases: dict[str, Any]) -> None:
    data = compose.compose(period=WEEK, language="en")
    assert json.loads(json.dumps(data)) == data


def test_heatmap_places_the_case_on_its_local_weekday_and_hour(week_with_cases: dict[str, Any]) -> None:
    data = compose.compose(period=WEEK, language="en")
    assert data["heatmap"]["counts"][2][12] == 1  # Wednesday, 12:00 Taipei
    assert data["heatmap"]["hrefs"][2][12]


def test_a_quiet_week_composes_with_nothing_to_report(db: Any, time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=TAIPEI))
    data = compose.compose(period=WEEK, language="en")
    assert data["narrative"][0] == "The whole company: no cases were opened this week."
    assert data["notable"]["safety"]["count"] == 0
