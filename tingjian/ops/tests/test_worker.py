from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

WORKER = "tingjian.ops.management.commands.worker"
# The worker starts the periodic tick (a row and a task) before it runs.
pytestmark = pytest.mark.django_db
RQ_SETTINGS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", "outbound"]}}


def test_worker_runs_the_database_queue_on_every_queue_by_default() -> None:
    with mock.patch(f"{WORKER}.call_command") as run:
        call_command("worker", "--batch")
    run.assert_called_once_with(
        "db_worker", queue_name="*", interval=1.0, backend_name="default", reload=False,
        verbosity=1, batch=True,
    )


def test_worker_passes_queues_and_limits_through_to_db_worker() -> None:
    with mock.patch(f"{WORKER}.call_command") as run:
        call_command("worker", "--queue-name", "outbound,ingest", "--interval", "0.5", "--max-tasks", "10")
    run.assert_called_once_with(
        "db_worker", queue_name="outbound,ingest", interval=0.5, backend_name="default",
        reload=False, verbosity=1, max_tasks=10,
    )


def test_worker_refuses_a_backend_it_has_no_worker_for(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="no worker"):
        call_command("worker")


def test_worker_says_what_to_install_when_the_rq_backend_is_chosen_without_rq(settings: Any) -> None:
    settings.TASKS = RQ_SETTINGS
    with (
        mock.patch(f"{WORKER}.importlib.util.find_spec", return_value=None),
        pytest.raises(CommandError, match="pip install django-tasks-rq"),
    ):
        call_command("worker")


def test_worker_runs_rqworker_with_the_backend_job_class_on_its_queues(settings: Any) -> None:
    settings.TASKS = RQ_SETTINGS
    with (
        mock.patch(f"{WORKER}.importlib.util.find_spec", return_value=object()),
        mock.patch(f"{WORKER}.get_commands", return_value={"rqworker": "django_rq"}),
        mock.patch(f"{WORKER}.call_command") as run,
    ):
        call_command("worker", "--batch")
    run.assert_called_once_with(
        "rqworker", "default", "outbound", job_class="django_tasks_rq.Job", burst=True, with_scheduler=True,
        verbosity=1
    )


@pytest.mark.django_db(transaction=True)
def test_worker_batch_mode_really_starts_and_exits() -> None:
    call_command("worker", "--batch", "--interval", "0.1", verbosity=0)


def test_worker_starts_the_periodic_tick_unless_it_only_drains_the_queue() -> None:
    from tingjian.ops.models import Heartbeat

    with mock.patch(f"{WORKER}.call_command"), mock.patch("django.tasks.Task.enqueue") as enqueue:
        call_command("worker", "--batch")
        assert not Heartbeat.objects.exists()
        call_command("worker")
    assert Heartbeat.objects.filter(name="tick").exists()
    enqueue.assert_called_once()
