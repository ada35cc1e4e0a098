"""A crash test: the worker is killed (SIGKILL) while events wait; after a restart and the
sweep, every event is filed exactly once.

Real processes on a real database file: ``tingjian worker`` (django-tasks-db) and the
console commands, as in production. It does not use the test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EVENTS = 120
SETUP = f"""
from tingjian.channels import services
from tingjian.org.tests.factories import make_user
agent = make_user("crash-agent", "agent")
channel = services.api_channel()
for n in range({EVENTS}):
    services.submit_intake(channel, key=f"crash-{{n}}", by=agent, document={{
        "customer": {{"name": f"顧客{{n}}", "phone": f"09{{n:08d}}", "identities": []}},
        "body": f"第{{n}}號投訴：便當有異物", "subject": "", "channel": "api", "sent_at": None, "fields": {{}}}})
"""
COUNT = """
from django.db.models import Count
from tingjian.cases.models import Case, Message
from tingjian.channels.models import InboundEvent
filed = InboundEvent.objects.filter(status="filed").count()
dupes = Message.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1).count()
print(filed, Case.objects.count(), Message.objects.filter(direction="in").count(), dupes)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TINGJIAN_"))}
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}", "TINGJIAN_VAR_DIR": str(tmp_path),
        "TINGJIAN_INGEST_STUCK_AFTER": "1", "TINGJIAN_LOG_LEVEL": "WARNING",
    })
    return env


def _tingjian(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "tingjian", *args], env=env, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _counts(env: dict[str, str]) -> tuple[int, ...]:
    return tuple(int(x) for x in _tingjian(env, "shell", "--no-imports", "-c", COUNT).split())


def test_killing_the_worker_mid_queue_loses_nothing_and_files_nothing_twice(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _tingjian(env, "migrate", "-v0")
    _tingjian(env, "shell", "--no-imports", "-c", SETUP)
    worker = subprocess.Popen([sys.executable, "-m", "tingjian", "worker", "--interval", "0.05", "-v0"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _counts(env)[0] < 5:
        time.sleep(0.2)
    os.killpg(worker.pid, signal.SIGKILL)  # no goodbye: whatever it was doing is cut off
    worker.wait()
    filed_when_killed = _counts(env)[0]
    assert 0 < filed_when_killed < EVENTS, "the kill must land mid-queue for this test to mean anything"
    time.sleep(1.2)  # older than TINGJIAN_INGEST_STUCK_AFTER, so the sweep picks up what was cut off
    _tingjian(env, "channels", "sweep")
    _tingjian(env, "worker", "--batch", "--interval", "0.05", "-v0")
    filed, cases, inbound, duplicates = _counts(env)
    assert (filed, cases, inbound, duplicates) == (EVENTS, EVENTS, EVENTS, 0)


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
