"""Reading the rollup: empty and future periods, targets, breakdowns, heatmaps, movers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tingjian.insights import selectors, services
from tingjian.insights.selectors import PeriodError, PeriodInFuture, Slice
from tingjian.insights.tables import export

from .conftest import MONDAY, NOW, rebuild

WEEK = Slice(MONDAY, MONDAY + timedelta(days=6))


@pytest.fixture
def built(week: dict[str, Any]) -> dict[str, Any]:
    rebuild(MONDAY - timedelta(days=7), MONDAY + timedelta(days=6))
    return week


def test_an_empty_period_shows_dashes_not_errors(frozen: Any, db: Any) -> None:
    rows = {r.code: r for r in selectors.kpi_table(Slice(date(2026, 1, 5), date(2026, 1, 11)))}
    assert rows["opened"].value == 0
    assert rows["frt_median"].value is None
    assert rows["frt_median"].display == "—"
    assert rows["frt_median"].note == "no first responses"
    assert rows["csat"].note == "no answers yet"
    assert rows["reopen_rate"].value is None
    assert rows["opened"].change is None


def test_a_period_in_the_future_is_refused_with_a_message(frozen: Any, db: Any) -> None:
    later = Slice(NOW.date() + timedelta(days=1), NOW.date() + timedelta(days=7))
    with pytest.raises(PeriodInFuture, match="has not started yet"):
        selectors.kpi_table(later)
    with pytest.raises(PeriodInFuture):
        selectors.series("opened", later)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(PeriodError, match="starts after it ends"):
        Slice(date(2026, 3, 8), date(2026, 3, 1))


def test_previous_and_last_year_periods() -> None:
    assert WEEK.previous() == Slice(date(2026, 2, 23), date(2026, 3, 1))
    assert WEEK.last_year() == Slice(date(2025, 3, 2), date(2025, 3, 8))
    assert Slice(date(2024, 2, 29), date(2024, 2, 29)).last_year().start == date(2023, 2, 28)


def test_slice_from_parameters(frozen: Any) -> None:
    s = selectors.slice_from_params({"period": "last_month", "branch": "3", "channel": "line"})
    assert (s.start, s.end, s.branch, s.channel) == (date(2026, 2, 1), date(2026, 2, 28), 3, "line")
    with pytest.raises(PeriodError, match="not a date"):
        selectors.slice_from_params({"start": "2026-13-01", "end": "2026-03-01"})
    with pytest.raises(PeriodError, match="Unknown channel"):
        selectors.slice_from_params({"period": "this_week", "channel": "pigeon"})


def test_a_target_shows_met_or_missed(built: dict[str, Any], users: dict[str, Any]) -> None:
    services.set_target(kpi="frt_median", value=15 * 60, by=users["manager"])
    services.set_target(kpi="sla_first_response", value=90, by=users["manager"])
    rows = {r.code: r for r in selectors.kpi_table(WEEK)}
    assert (rows["frt_median"].target, rows["frt_median"].met) == (900, True)
    assert (rows["sla_first_response"].target, rows["sla_first_response"].met) == (90, False)
    assert rows["opened"].met is None


def test_the_most_specific_target_wins(built: dict[str, Any], users: dict[str, Any]) -> None:
    branch = built["branch"]
    services.set_target(kpi="opened", value=10, by=users["manager"])
    services.set_target(kpi="opened", value=2, by=users["manager"], department=built["cs"])
    services.set_target(kpi="opened", value=1, by=users["manager"], branch=branch)
    assert selectors.kpi_value("opened", WEEK).target == 10
    assert selectors.kpi_value("opened", Slice(WEEK.start, WEEK.end, department=built["cs"].pk)).target == 2
    both = Slice(WEEK.start, WEEK.end, branch=branch.pk, department=built["cs"].pk)
    assert selectors.kpi_value("opened", both).target == 1


def test_series_per_day_and_per_week(built: dict[str, Any]) -> None:
    days = selectors.series("opened", WEEK)
    assert [v for _d, v in days] == [2, 1, 1, 1, 0, 0, 0]
    weeks = selectors.series("opened", Slice(MONDAY - timedelta(days=7), WEEK.end), step="week")
    assert weeks == [(MONDAY - timedelta(days=7), 1), (MONDAY, 5)]


def test_an_unknown_kpi_is_refused(built: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no KPI called"):
        selectors.kpi_value("happiness", WEEK)


def test_pareto_of_categories(built: dict[str, Any]) -> None:
    table = selectors.breakdown("category", WEEK)
    assert [(r["count"], r["cumulative"]) for r in table.rows] == [(4, 0.8), (1, 1.0)]
    assert table.rows[1]["label"] == "No category"


def test_breakdown_by_channel_compares_with_the_previous_period(built: dict[str, Any]) -> None:
    table = selectors.breakdown("channel", WEEK)
    phone = next(r for r in table.rows if r["key"] == "phone")
    assert (phone["count"], phone["previous"], phone["change"]) == (3, 1, 2.0)


def test_a_breakdown_exports_as_csv_and_xlsx(built: dict[str, Any]) -> None:
    table = selectors.breakdown("branch", WEEK)
    content, _type, name = export(table, "csv")
    assert name.endswith(".csv")
    assert "No branch" in content.decode("utf-8-sig")
    assert export(table, "xlsx")[0][:2] == b"PK"


def test_heatmap_split_by_department(built: dict[str, Any]) -> None:
    grids = {g.key: g for g in selectors.heatmap(WEEK, split="department")}
    logistics = grids[built["logistics"].pk]
    assert logistics.counts[0][14] == 1
    assert logistics.total() == 1
    assert "weekday=0" in logistics.drill_url(0, 14) and "hour=14" in logistics.drill_url(0, 14)


def test_movers_name_the_category_that_grew(built: dict[str, Any]) -> None:
    movers = selectors.movers(WEEK, by="branch")
    top = movers[0]
    assert (top.key, top.count, top.previous) == (built["branch"].pk, 3, 1)
    assert top.driver_change == 2
    assert top.driver_label


def test_targets_need_the_permission(db: Any, users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.set_target(kpi="opened", value=3, by=users["agent"])


@pytest.mark.parametrize(("kpi", "value", "message"), [
    ("sla_first_response", 120, "between 0 and 100"),
    ("frt_median", 0, "more than zero"),
    ("csat", 7, "between 1 and 5"),
    ("nope", 1, "no KPI called"),
])
def test_bad_targets_are_refused_and_nothing_changes(
    db: Any, users: dict[str, Any], kpi: str, value: float, message: str,
) -> None:
    from tingjian.insights.models import KpiTarget

    with pytest.raises(services.TargetRefused, match=message):
        services.set_target(kpi=kpi, value=value, by=users["manager"])
    assert not KpiTarget.objects.exists()


def test_setting_a_target_is_audited(db: Any, users: dict[str, Any]) -> None:
    from tingjian.audit.models import AuditEvent

    target = services.set_target(kpi="opened", value=3, by=users["manager"])
    services.set_target(kpi="opened", value=4, by=users["manager"])
    services.remove_target(target, by=users["manager"])
    actions = list(AuditEvent.objects.filter(action__startswith="insights.").values_list("action", flat=True))
    assert sorted(actions) == ["insights.target_removed", "insights.target_set", "insights.target_set"]


def test_the_kpi_table_reads_a_fixed_number_of_queries(built: dict[str, Any], django_assert_num_queries: Any) -> None:
    # This period, the previous one, last year, the live backlog, the targets.
    month = Slice(date(2026, 3, 1), date(2026, 3, 31), branch=built["branch"].pk, channel="phone")
    with django_assert_num_queries(5):
        selectors.kpi_table(month)


def test_a_filtered_month_reads_one_row_per_day(built: dict[str, Any]) -> None:
    from tingjian.insights.selectors.facts import day_rows

    month = Slice(date(2026, 2, 1), date(2026, 3, 8), department=built["cs"].pk, channel="phone")
    rows = day_rows(month)
    assert len(rows) <= month.days()
    assert len({day for day, _key, _m in rows}) == len(rows)


def test_days_after_today_have_no_value_in_a_series(frozen: Any, db: Any) -> None:
    points = selectors.series("opened", Slice(NOW.date() - timedelta(days=1), NOW.date() + timedelta(days=1)))
    assert [v for _d, v in points] == [0, 0, None]
