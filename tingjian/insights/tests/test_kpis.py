"""KPIs against values computed by hand on the fixed week (see conftest ``week``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tingjian.insights import selectors
from tingjian.insights.selectors import Slice

from .conftest import MONDAY, rebuild

WEEK = Slice(MONDAY, MONDAY + timedelta(days=6))


@pytest.fixture
def kpis(week: dict[str, Any]) -> dict[str, selectors.KpiRow]:
    rebuild(MONDAY - timedelta(days=14), MONDAY + timedelta(days=7))
    return {row.code: row for row in selectors.kpi_table(WEEK)}


def approx(value: float) -> Any:
    return pytest.approx(value, rel=0.011)


def test_cases_opened_counts_the_week(kpis: dict[str, Any]) -> None:
    assert kpis["opened"].value == 5
    assert kpis["opened"].display == "5"


def test_opened_changes_against_the_previous_week(kpis: dict[str, Any]) -> None:
    assert kpis["opened"].previous == 1
    assert kpis["opened"].change == pytest.approx(4.0)


def test_safety_cases(kpis: dict[str, Any]) -> None:
    assert kpis["safety"].value == 1


def test_first_response_median_and_p90(kpis: dict[str, Any]) -> None:
    # 5, 10 and 30 minutes: the median is 10 min; p90 = 10 + 0.8 × 20 = 26 min.
    assert kpis["frt_median"].value == approx(600)
    assert kpis["frt_median"].display == "10 min"
    assert kpis["frt_p90"].value == approx(1560)


def test_resolution_median(kpis: dict[str, Any]) -> None:
    # 2 h and 24 h: the median is 13 h.
    assert kpis["res_median"].value == approx(13 * 3600)


def test_sla_attainment_per_clock_kind(kpis: dict[str, Any]) -> None:
    # First response: c1 and c3 met, c2 breached; resolution: c2 met late = breached.
    assert kpis["sla_first_response"].value == pytest.approx(200 / 3)
    assert kpis["sla_first_response"].display == "66.7 %"
    assert kpis["sla_resolution"].value == 0
    assert kpis["sla_stage"].value is None
    assert kpis["sla_stage"].display == "—"


def test_reopen_rate(kpis: dict[str, Any]) -> None:
    assert kpis["reopen_rate"].value == 50


def test_recurrence_rate(kpis: dict[str, Any]) -> None:
    # c3 (customer A again, a day after c1) and c6 (customer B, 9 days after c0) of 5.
    assert kpis["recurrence_rate"].value == 40


def test_mean_time_per_stage(kpis: dict[str, Any]) -> None:
    # c1 spent 30 min in each stage; c2 went from intake straight to closed after 24 h.
    assert kpis["stage_intake"].value == pytest.approx((1800 + 86400) / 2)
    assert kpis["stage_investigation"].value == 1800
    assert kpis["stage_qa"].value == 1800


def test_overrides(kpis: dict[str, Any]) -> None:
    assert kpis["overrides"].value == 1


def test_csat_and_nps(kpis: dict[str, Any]) -> None:
    assert kpis["csat"].value == 3.5
    assert kpis["csat_satisfied"].value == 50
    # One promoter (10), one detractor (3): 50 % − 50 % = 0.
    assert kpis["nps"].value == 0


def test_backlog_by_age_is_live(kpis: dict[str, Any]) -> None:
    # Now is Friday 20 March: c0, c3, c4 and c6 are open, all older than 7 days.
    assert kpis["backlog"].value == 4
    assert kpis["backlog_gt7d"].value == 4
    assert kpis["backlog_lt1d"].value == 0


def test_every_kpi_says_which_way_is_better(kpis: dict[str, Any]) -> None:
    assert {row.direction for row in kpis.values()} <= {"at_most", "at_least"}
    assert kpis["csat"].direction == "at_least"
    assert kpis["frt_median"].direction == "at_most"


def test_kpis_filtered_by_branch(week: dict[str, Any]) -> None:
    rebuild(MONDAY, MONDAY + timedelta(days=6))
    rows = {r.code: r for r in selectors.kpi_table(Slice(WEEK.start, WEEK.end, branch=week["other_branch"].pk))}
    assert rows["opened"].value == 1
    assert rows["safety"].value == 1


def test_cases_without_a_branch_can_be_selected(week: dict[str, Any]) -> None:
    rebuild(MONDAY, MONDAY + timedelta(days=6))
    rows = {r.code: r for r in selectors.kpi_table(Slice(WEEK.start, WEEK.end, branch=-1))}
    assert rows["opened"].value == 1


def test_an_evening_case_counts_on_its_local_day(week: dict[str, Any]) -> None:
    # c4 was opened at 23:30 Taipei time, 15:30 UTC: Wednesday either way, hour 23 locally.
    rebuild(MONDAY, MONDAY + timedelta(days=6))
    wednesday = Slice(date(2026, 3, 4), date(2026, 3, 4))
    grid = selectors.heatmap(wednesday)[0]
    assert grid.counts[2][23] == 1
