"""The every-minute tick: one chain at a time, restarted when it died, never multiplied."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine

from tingjian import clock
from tingjian.ops import periodic
from tingjian.ops.models import Heartbeat

pytestmark = pytest.mark.django_db
NOW = "2026-11-23T10:00:00+08:00"


def test_starting_the_worker_starts_one_chain_and_a_second_start_does_not_add_one() -> None:
    with time_machine.travel(NOW, tick=False), mock.patch("django.tasks.Task.enqueue") as enqueue:
        assert periodic.ensure_ticking() is True
        assert periodic.ensure_ticking() is False
    assert enqueue.call_count == 1


def test_a_chain_that_died_is_started_again() -> None:
    with time_machine.travel(NOW, tick=False):
        Heartbeat.objects.create(name="tick", due_at=clock.now() - timedelta(minutes=5))
        with mock.patch("django.tasks.Task.enqueue") as enqueue:
            assert periodic.ensure_ticking() is True
    enqueue.assert_called_once()


def test_only_one_of_two_chains_ticks_each_minute() -> None:
    with time_machine.travel(NOW, tick=False):
        Heartbeat.objects.create(name="tick", due_at=clock.now())
        with mock.patch("tingjian.ops.periodic.run_periodic_work", return_value="ok") as work, \
                mock.patch("django.tasks.Task.enqueue") as next_tick:
            first = periodic.tick.call()
            second = periodic.tick.call()
        assert Heartbeat.objects.get().due_at == clock.now() + periodic.EVERY
    assert first == "ok" and second == "another chain ticks"
    assert work.call_count == 1 and next_tick.call_count == 1


def test_a_failing_sweep_does_not_end_the_chain() -> None:
    with time_machine.travel(NOW, tick=False):
        Heartbeat.objects.create(name="tick", due_at=clock.now())
        with mock.patch("tingjian.ops.periodic.run_periodic_work", side_effect=RuntimeError), \
                mock.patch("django.tasks.Task.enqueue") as next_tick:
            assert periodic.tick.call() == "failed"
    next_tick.assert_called_once()


def test_the_health_check_answers_without_a_login(client: object) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 200 and response.content == b"ok"


def test_finished_task_results_are_pruned_once_an_hour_after_the_keep_days(settings: object) -> None:
    from datetime import datetime

    from django_tasks_db.models import DBTaskResult

    from tingjian.ops.periodic import prune_task_results
    from tingjian.sla.tasks import fire_clock

    settings.TINGJIAN_TASK_RESULTS_KEEP_DAYS = 7  # type: ignore[attr-defined]
    now = datetime.fromisoformat(NOW)
    with time_machine.travel(now - timedelta(days=8), tick=False):
        old = fire_clock.enqueue(1)
    with time_machine.travel(now - timedelta(days=1), tick=False):
        recent = fire_clock.enqueue(2)
    pending = fire_clock.enqueue(3)
    DBTaskResult.objects.filter(pk__in=[old.id, recent.id]).update(status="SUCCESSFUL")
    DBTaskResult.objects.filter(pk=old.id).update(finished_at=now - timedelta(days=8))
    DBTaskResult.objects.filter(pk=recent.id).update(finished_at=now - timedelta(days=1))
    with time_machine.travel(now, tick=False):
        assert prune_task_results() == "prune: 1 finished task results removed"
        assert prune_task_results() == "prune: not due"  # an hour between runs
    assert {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)} == {recent.id, pending.id}
