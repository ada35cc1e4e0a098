"""Fixtures of the alerts tests: the tasks enqueued, a local HTTP receiver, API clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult, get_date_max

from tingjian.api.tests.conftest import anonymous, api_as  # noqa: F401  (API clients per user)
from tingjian.channels.tests.fakeplatform import fake_platform  # noqa: F401  (a receiver on 127.0.0.1)

Enqueued = Callable[[str], list[tuple[int, datetime | None]]]


@pytest.fixture(autouse=True)
def _database_task_queue(settings: Any) -> None:
    # The embedded default: enqueued tasks are rows a test can read (what, for whom, when).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def enqueued(db: Any) -> Enqueued:
    """``enqueued("send_notification_email")`` → [(id, run_after or None for "now")], in order."""

    def read(name: str) -> list[tuple[int, datetime | None]]:
        rows = DBTaskResult.objects.filter(task_path=f"tingjian.alerts.tasks.{name}").order_by("enqueued_at")
        never = get_date_max()
        return [
            (row.args_kwargs["args"][0], None if row.run_after == never else row.run_after)
            for row in rows
        ]

    return read
