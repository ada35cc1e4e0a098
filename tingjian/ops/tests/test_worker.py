from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command


def test_worker_runs_the_database_queue_on_every_queue_by_default() -> None:
    with mock.patch("tingjian.ops.management.commands.worker.call_command") as run:
        call_command("worker", "--batch")
    run.assert_called_once_with(
        "db_worker", queue_name="*", interval=1.0, backend_name="default", reload=False, batch=True
    )


def test_worker_refuses_a_backend_it_cannot_run(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    with pytest.raises(CommandError, match="not supported yet"):
        call_command("worker")


@pytest.mark.django_db(transaction=True)
def test_worker_batch_mode_really_starts_and_exits() -> None:
    call_command("worker", "--batch", "--interval", "0.1")
