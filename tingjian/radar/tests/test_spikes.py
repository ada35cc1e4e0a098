"""Spike detection: the statistical test, and detection over generated complaint streams."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tingjian.cases.models import Case
from tingjian.radar import detection, services, statistics
from tingjian.radar.models import CrisisEvent, Dimension

from .conftest import NOW, TAIPEI

# -------------------------------------------------------------------- the test, on numbers


def test_a_quiet_hour_with_one_complaint_is_no_spike() -> None:
    assert not statistics.test(1, 0, 8).is_spike


def test_the_floor_keeps_a_handful_in_an_empty_hour_from_paging_anyone() -> None:
    verdict = statistics.test(5, 0, 8)
    assert verdict.expected == statistics.LAMBDA_FLOOR
    assert not verdict.is_spike


def test_seven_where_there_are_usually_none_is_a_spike() -> None:
    assert statistics.test(7, 0, 8).is_spike


def test_a_busy_hour_needs_many_more_to_be_a_spike() -> None:
    # Usually 3 (24 over 8 weeks): 12 is unusual but not alarming, 16 is.
    assert not statistics.test(12, 24, 8).is_spike
    assert statistics.test(16, 24, 8).is_spike


def test_no_history_means_no_verdict() -> None:
    assert not statistics.test(50, 0, 0).is_spike


def test_the_tail_probability_keeps_tiny_values() -> None:
    assert 0 < statistics.poisson_tail(40, 0.5) < 1e-40
    assert statistics.poisson_tail(0, 3) == 1.0
    assert statistics.poisson_tail(3, 3) == pytest.approx(0.5768, abs=1e-4)


# -------------------------------------------------------------------- streams in the database


def _hours(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    out, at = [], start
    while at <= end:
        out.append(at)
        at += step
    return out


@pytest.mark.django_db
def test_a_steady_seasonal_stream_raises_no_alarm_over_two_weeks(
    steady_stream: Callable[..., int], traveller: Any,
) -> None:
    made = steady_stream(NOW - timedelta(weeks=10), NOW)
    assert made > 1500
    findings = []
    # Every hour of the last two weeks, and every half hour of the last three days, as the
    # minute scan would have seen it then.
    ends = _hours(NOW - timedelta(weeks=2), NOW, timedelta(hours=1))
    ends += _hours(NOW - timedelta(days=3, minutes=30), NOW, timedelta(hours=1))
    for end in ends:
        findings += detection.scan(end)
    assert findings == []


@pytest.mark.django_db
def test_a_burst_injected_into_the_steady_stream_is_detected(
    steady_stream: Callable[..., int], write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any],
    traveller: Any,
) -> None:
    steady_stream(NOW - timedelta(weeks=9), NOW)
    burst = [{"at": NOW - timedelta(minutes=m), "category": taxonomy["foreign"], "branch": taxonomy["qinmei"], "channel": "line"} for m in range(2, 38, 3)]
    write_cases(burst)
    findings = {(f.dimension, f.key) for f in detection.scan(NOW)}
    assert (Dimension.CATEGORY, str(taxonomy["foreign"].pk)) in findings
    assert (Dimension.BRANCH, str(taxonomy["qinmei"].pk)) in findings
    # The other categories and branch go on as usual.
    assert (Dimension.CATEGORY, str(taxonomy["cold"].pk)) not in findings
    assert (Dimension.BRANCH, str(taxonomy["xinyi"].pk)) not in findings


@pytest.mark.django_db
def test_a_quiet_hour_and_one_case_raise_no_alarm(
    write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], traveller: Any,
) -> None:
    # History long ago (so there are weeks to compare with), nothing at this hour since.
    write_cases([{"at": NOW - timedelta(weeks=9), "category": taxonomy["foreign"]}])
    write_cases([{"at": NOW - timedelta(minutes=5), "category": taxonomy["foreign"]}])
    assert detection.scan(NOW) == []


@pytest.mark.django_db
def test_spikes_are_judged_against_the_same_hour_of_the_week(
    write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], traveller: Any,
) -> None:
    # Ten complaints every Wednesday at this hour for eight weeks: ten today is normal…
    rows = [
        {"at": NOW - timedelta(weeks=k, minutes=m), "category": taxonomy["foreign"]}
        for k in range(1, 9) for m in range(5, 55, 5)
    ]
    write_cases(rows)
    write_cases([{"at": NOW - timedelta(minutes=m), "category": taxonomy["foreign"]} for m in range(5, 55, 5)])
    assert detection.scan(NOW) == []
    # …while ten at this hour on a Thursday, which is always empty, is not.
    thursday = NOW + timedelta(days=1)
    write_cases([{"at": thursday - timedelta(minutes=m), "category": taxonomy["foreign"]} for m in range(5, 55, 5)])
    found = {(f.dimension, f.key) for f in detection.scan(thursday)}
    assert (Dimension.CATEGORY, str(taxonomy["foreign"].pk)) in found


@pytest.mark.django_db
def test_a_new_installation_without_a_week_of_history_raises_no_alarm(
    write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], traveller: Any,
) -> None:
    write_cases([{"at": NOW - timedelta(minutes=m), "category": taxonomy["foreign"]} for m in range(1, 40)])
    assert detection.scan(NOW) == []


@pytest.mark.django_db
def test_spam_is_not_counted(write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], traveller: Any) -> None:
    write_cases([{"at": NOW - timedelta(weeks=9), "category": taxonomy["foreign"]}])
    write_cases([{"at": NOW - timedelta(minutes=m), "category": taxonomy["foreign"], "close_reason": "spam"} for m in range(1, 20)])
    assert detection.scan(NOW) == []


@pytest.mark.django_db
def test_the_hourly_series_shows_counts_against_the_usual(
    write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], traveller: Any,
) -> None:
    week_ago = NOW - timedelta(weeks=1)
    write_cases([{"at": NOW - timedelta(weeks=9), "category": taxonomy["cold"]}])  # history starts
    write_cases([{"at": week_ago - timedelta(minutes=10), "category": taxonomy["foreign"]} for _ in range(4)])
    write_cases([{"at": NOW - timedelta(minutes=10), "category": taxonomy["foreign"]} for _ in range(9)])
    series = detection.hourly_series(Dimension.CATEGORY, str(taxonomy["foreign"].pk), NOW)
    assert len(series) == 24
    last = series[-1]
    assert datetime.fromisoformat(str(last["at"])) == NOW.replace(minute=0).astimezone(TAIPEI)
    assert last["observed"] == 9
    assert last["baseline"] == 0.5  # four in eight weeks
    assert all(point["observed"] == 0 for point in series[:-1])


# ---------------------------------------------------------------------------- recording


@pytest.fixture
def burst_now(write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], traveller: Any) -> list[Case]:
    write_cases([{"at": NOW - timedelta(weeks=9), "category": taxonomy["cold"]}])
    return write_cases([
        {"at": NOW - timedelta(minutes=m), "category": taxonomy["foreign"], "branch": taxonomy["qinmei"], "channel": "line"}
        for m in range(1, 13)
    ])


def _kinds(user: Any, kind: str) -> list[Any]:
    return list(user.notifications.filter(kind=kind))


def test_one_open_event_per_key_is_updated_while_the_spike_lasts(
    burst_now: list[Case], taxonomy: dict[str, Any], write_cases: Callable[..., list[Case]], traveller: Any,
) -> None:
    services.scan_now()
    events = CrisisEvent.objects.filter(dimension=Dimension.CATEGORY)
    assert events.count() == 1
    traveller.shift(timedelta(minutes=1))
    write_cases([{"at": NOW, "category": taxonomy["foreign"], "branch": taxonomy["qinmei"]} for _ in range(3)])
    services.scan_now()
    assert events.count() == 1
    event = events.get()
    assert event.observed == 15
    assert event.peak_observed == 15
    assert len(event.example_case_ids) == 10
    assert len(event.case_ids) == 15


def test_the_people_alerted_get_one_alert_with_the_evidence_per_story(
    burst_now: list[Case], users: dict[str, Any], pr_user: Any, taxonomy: dict[str, Any], traveller: Any,
) -> None:
    result = services.scan_now()
    # Category, branch, channel and the whole company spike: one story, told once.
    assert result.opened >= 3
    assert result.alerted == 1
    for person in (users["manager"], users["executive"], pr_user):
        (alert,) = _kinds(person, "radar.spike")
        assert alert.params["observed"] == 12
        assert alert.params["baseline"] == "0"
        assert len(alert.params["examples"]) == 10
        assert "Foreign object" in alert.text and "Also rising" in alert.text
        assert "Taichung Qinmei" in alert.params["also"]
        assert not alert.urgent
    for person in (users["agent"], users["qa"], users["admin"]):
        assert _kinds(person, "radar.spike") == []
    # The next minute it is the same crisis: nobody is told again.
    traveller.shift(timedelta(minutes=1))
    services.scan_now()
    assert len(_kinds(users["manager"], "radar.spike")) == 1


def test_the_same_cases_spiking_in_another_dimension_later_join_the_crisis_silently(
    burst_now: list[Case], users: dict[str, Any], traveller: Any,
) -> None:
    services.record(detection.scan(NOW, dimensions=(Dimension.CATEGORY,)))
    assert len(_kinds(users["manager"], "radar.spike")) == 1
    traveller.shift(timedelta(minutes=1))
    result = services.scan_now()
    assert result.opened == 3 and result.alerted == 0
    category = CrisisEvent.objects.get(dimension=Dimension.CATEGORY)
    assert set(CrisisEvent.objects.exclude(pk=category.pk).values_list("story", flat=True)) == {category.pk}
    assert len(_kinds(users["manager"], "radar.spike")) == 1


def test_a_spike_with_a_personal_safety_case_alerts_urgently(
    burst_now: list[Case], users: dict[str, Any], traveller: Any,
) -> None:
    Case.objects.filter(pk=burst_now[0].pk).update(safety=True, severity=1)
    services.scan_now()
    (alert,) = _kinds(users["executive"], "radar.spike")
    assert alert.urgent


def test_a_spike_quiet_for_six_hours_closes_and_a_new_one_alerts_again(
    burst_now: list[Case], users: dict[str, Any], traveller: Any, write_cases: Callable[..., list[Case]],
    taxonomy: dict[str, Any],
) -> None:
    services.scan_now()
    traveller.shift(timedelta(hours=7))
    services.periodic_work()
    assert not CrisisEvent.objects.exclude(status="closed").exists()
    write_cases([
        {"at": NOW + timedelta(hours=7) - timedelta(minutes=m), "category": taxonomy["foreign"], "branch": taxonomy["qinmei"]}
        for m in range(1, 13)
    ])
    traveller.shift(timedelta(minutes=1))
    services.periodic_work()
    assert len(_kinds(users["manager"], "radar.spike")) == 2


def test_periodic_work_runs_each_part_once_per_minute_and_hour(burst_now: list[Case], traveller: Any) -> None:
    first = services.periodic_work()
    assert "last hour" in first and "hour before 15:00" in first and "viral risk" in first
    assert services.periodic_work() == "radar: nothing due"
    traveller.shift(timedelta(minutes=1))
    again = services.periodic_work()
    assert "last hour" in again and "hour before" not in again
