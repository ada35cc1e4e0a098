"""The rollup: groupings add up, the sweep finds what changed, each dirty day is done once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import time_machine

from tingjian.cases.models import Case
from tingjian.insights import rollup, tasks
from tingjian.insights.measures import total
from tingjian.insights.models import ALL, ALL_CHANNELS, DayFacts, DirtyDay, RollupMark

from .conftest import MONDAY, NOW, at, rebuild


def _rows(day: date, **filters: Any) -> list[dict[str, Any]]:
    return list(DayFacts.objects.filter(day=day, **filters).values_list("measures", flat=True))


def test_branch_rows_add_up_to_the_company_row(week: dict[str, Any]) -> None:
    rebuild(MONDAY, MONDAY + timedelta(days=6))
    for day in (MONDAY, MONDAY + timedelta(days=1)):
        company = _rows(day, branch=ALL, department=ALL, channel=ALL_CHANNELS)[0]
        branches = total(_rows(day, department=ALL, channel=ALL_CHANNELS, branch__gt=ALL) +
                         _rows(day, department=ALL, channel=ALL_CHANNELS, branch__lt=ALL))
        assert branches["opened"] == company["opened"]
        assert branches["hours"] == company["hours"]
        assert branches["frt"] == company["frt"]


def test_every_grouping_of_a_day_sums_to_the_same_total(week: dict[str, Any]) -> None:
    rebuild(MONDAY, MONDAY)
    company = _rows(MONDAY, branch=ALL, department=ALL, channel=ALL_CHANNELS)[0]["opened"]
    by_department = total(
        m for m in DayFacts.objects.filter(day=MONDAY, branch=ALL, channel=ALL_CHANNELS)
        .exclude(department=ALL).values_list("measures", flat=True)
    )
    by_channel_and_branch = total(
        m for m in DayFacts.objects.filter(day=MONDAY, department=ALL)
        .exclude(branch=ALL).exclude(channel=ALL_CHANNELS).values_list("measures", flat=True)
    )
    assert company == by_department["opened"] == by_channel_and_branch["opened"] == 2


def test_a_day_with_nothing_is_still_marked_computed(frozen: Any, db: Any) -> None:
    rollup.compute_day(date(2026, 1, 1))
    assert DayFacts.objects.filter(day=date(2026, 1, 1), branch=ALL, department=ALL, channel=ALL_CHANNELS).exists()


def test_recomputing_a_day_replaces_it(week: dict[str, Any]) -> None:
    rebuild(MONDAY, MONDAY)
    before = DayFacts.objects.filter(day=MONDAY).count()
    rollup.compute_day(MONDAY)
    assert DayFacts.objects.filter(day=MONDAY).count() == before


def test_the_first_sweep_queues_the_last_40_days(frozen: Any, db: Any) -> None:
    assert rollup.sweep() == 40
    assert DirtyDay.objects.filter(day=NOW.date()).exists()


def test_sweep_queues_the_days_of_a_changed_case(
    frozen: Any, make_case: Callable[..., Case], time_machine: Any,
) -> None:
    rollup.sweep()
    DirtyDay.objects.all().delete()
    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    make_case(at(MONDAY, 9), first_response=timedelta(days=1), closed=timedelta(days=2))
    assert rollup.sweep() == 3
    assert set(DirtyDay.objects.values_list("day", flat=True)) == {MONDAY + timedelta(days=i) for i in range(3)}


def test_sweep_sees_clocks_overrides_and_answers(
    db: Any, make_case: Callable[..., Case], make_clock: Callable[..., Any], make_override: Callable[..., Any],
    make_answer: Callable[..., Any],
) -> None:
    with time_machine.travel(at(MONDAY, 8), tick=False):
        case = make_case(at(MONDAY, 7))
        rollup.sweep()
    with time_machine.travel(at(MONDAY, 9), tick=False):
        rollup.sweep()
        DirtyDay.objects.all().delete()
    with time_machine.travel(at(MONDAY + timedelta(days=3)), tick=False):
        make_clock(case, "first_response", breached=at(MONDAY + timedelta(days=3)))
    with time_machine.travel(at(MONDAY + timedelta(days=4)), tick=False):
        make_override(case, at(MONDAY + timedelta(days=4)))
    with time_machine.travel(at(MONDAY + timedelta(days=5)), tick=False):
        make_answer(case, at(MONDAY + timedelta(days=5)), csat=4)
        rollup.sweep()
    assert set(DirtyDay.objects.values_list("day", flat=True)) == {MONDAY + timedelta(days=i) for i in (3, 4, 5)}


def test_only_dirty_days_are_recomputed(week: dict[str, Any]) -> None:
    rebuild(MONDAY, MONDAY + timedelta(days=6))
    untouched = DayFacts.objects.get(day=MONDAY + timedelta(days=3), branch=ALL, department=ALL, channel=ALL_CHANNELS)
    rollup.queue([MONDAY])
    assert rollup.recompute_dirty() == 1
    assert not DirtyDay.objects.exists()
    again = DayFacts.objects.get(day=MONDAY + timedelta(days=3), branch=ALL, department=ALL, channel=ALL_CHANNELS)
    assert again.computed_at == untouched.computed_at


def test_a_new_case_shows_after_the_sweep_and_recompute(
    week: dict[str, Any], make_case: Callable[..., Case], time_machine: Any,
) -> None:
    rebuild(MONDAY, MONDAY + timedelta(days=6))
    rollup.sweep()
    rollup.recompute_dirty()
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    make_case(at(MONDAY, 20))
    rollup.sweep()
    rollup.recompute_dirty()
    row = DayFacts.objects.get(day=MONDAY, branch=ALL, department=ALL, channel=ALL_CHANNELS)
    assert row.measures["opened"] == 3


def test_a_day_claimed_by_another_worker_is_left_alone(frozen: Any, db: Any) -> None:
    rollup.queue([MONDAY])
    DirtyDay.objects.update(claimed_until=NOW + timedelta(minutes=5))
    assert rollup.recompute_dirty() == 0
    assert DirtyDay.objects.filter(day=MONDAY).exists()


def test_an_expired_claim_is_taken_over(frozen: Any, db: Any) -> None:
    rollup.queue([MONDAY])
    DirtyDay.objects.update(claimed_until=NOW - timedelta(minutes=1))
    assert rollup.recompute_dirty() == 1


def test_days_after_today_are_not_queued(frozen: Any, db: Any) -> None:
    assert rollup.queue([NOW.date() + timedelta(days=1)]) == 0


def test_the_nightly_run_queues_40_days_once_a_day(db: Any) -> None:
    with time_machine.travel(at(MONDAY, 3, 30), tick=False):
        assert rollup.queue_nightly() == 40
        assert rollup.queue_nightly() == 0
    with time_machine.travel(at(MONDAY + timedelta(days=1), 2), tick=False):
        assert rollup.queue_nightly() == 0
    with time_machine.travel(at(MONDAY + timedelta(days=1), 3, 1), tick=False):
        assert rollup.queue_nightly() == 40


def test_periodic_work_sweeps_and_starts_the_recompute(frozen: Any, db: Any, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    result = tasks.periodic_work()
    assert "40 days queued" in result
    assert not DirtyDay.objects.exists()
    assert RollupMark.objects.filter(name="changes").exists()
