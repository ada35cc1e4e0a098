"""SLA clocks (issue 4): the sweep at 100,000 open cases, the delay from a due time to its
alert with the worker running, and a safety complaint from webhook to the executive's alert.

    .venv/bin/python bench/sla.py                          # all three, SQLite and PostgreSQL (~11 min, 2 cores)
    .venv/bin/python bench/sla.py --only sweep --cases 100000
    .venv/bin/python bench/sla.py --only delay --db sqlite
    .venv/bin/python bench/sla.py --pg postgres://postgres@127.0.0.1:5432   # database tingjian_bench_sla, recreated

Every measurement starts from a fresh database: SQLite in a temporary TINGJIAN_VAR_DIR,
PostgreSQL as database ``tingjian_bench_sla`` (dropped and created again, trust auth). Each
part runs in a child process of this script (Django's database is fixed at start-up), and
servers and workers are subprocesses in their own process groups, stopped in ``finally``.

1. sweep — ``sla.timers.sweep``, what the worker's minute tick runs, at N open cases. The
   set-up inserts the rows directly (COPY on PostgreSQL, executemany on SQLite, about a
   minute each; not through ``open_case``: this measures the sweep, not intake): N cases
   across the stages (a few hundred customers, 20 agents, 90 % of the cases assigned),
   3–4 clocks per case as the services leave them (first response running or met,
   resolution, the current stage's clock and the previous stage's met one, next response
   for some; a few breached and acknowledged), due times spread over the next 7 days and
   every pending wake-up at least 10 minutes ahead, and one queued ``fire_clock`` task per
   pending wake-up, as ``schedule.arm`` leaves the queue. Clocks are 24/7 arithmetic (the
   sweep reads only ``next_fire_at``). Then, in a fresh process: (a) the sweep when nothing
   is due, median of 20, with (c) its peak memory; (b) a sweep when 1,000 clocks are due at
   once (500 reminders, 500 breaches: each alerts the case's handler, a breach is audited),
   time per clock, peak memory (tracemalloc, on a second set of 1,000 because tracing slows
   Python down) and RSS growth (getrusage). EXPLAIN of the sweep's query and of the task
   worker's poll over the queued wake-ups. Then 5 safety complaints (part 3) on that same
   database: the worker with 200,000 queued wake-ups (``--scale-safety-runs``).
2. delay — ``tingjian worker`` (product defaults: 1 s poll) on a fresh migrated database; a
   1-minute first-response target for the api channel at S4, so each new case's reminder
   (75 % = 45 s) and breach (60 s) come within a minute. N cases opened through
   ``open_case`` 0.25 s apart; for each alert ``Notification.created_at`` − ``remind_at``
   or ``due_at``. Then the same with the worker SIGKILLed right after the cases are opened
   and started again 15 s later (before any due time): every clock must still alert
   exactly once (notifications counted per clock and kind).
3. safety — gunicorn (production settings, 2 workers) and ``tingjian worker``; a sandbox
   LINE channel; a signed LINE delivery "吃了便當後全家食物中毒，上吐下瀉" from a new LINE
   user each time; time from the POST to the executive's ``sla.safety`` notification
   existing (polled every 50 ms), with where the time went (HTTP, queue wait, ingest).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_DB = "tingjian_bench_sla"
DB_LABEL = {"sqlite": "SQLite", "pg": "PostgreSQL 15"}
SAFETY_TEXT = "吃了便當後全家食物中毒，上吐下瀉"
PLAIN_TEXT = "便當的配菜和網站照片不一樣，份量也太少了"
LINE_SECRET = "bench-line-channel-secret"
PORT = 8767
WORKER = [PY, "-m", "tingjian", "worker", "--verbosity", "0"]  # product defaults


# ------------------------------------------------------------------ processes and numbers


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A subprocess in its own process group (so gunicorn's workers go with their master)."""
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env or dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "max": max(values, default=float("nan")),
            "min": min(values, default=float("nan"))}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ============================================================================ child side


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tingjian.settings")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_user(username: str, roles: list[str]) -> Any:
    from django.contrib.auth import get_user_model

    from tingjian.org import services as org

    user = get_user_model().objects.create_user(username, email=f"{username}@example.com", password=None)
    org.set_roles(user, roles)
    return user


# ------------------------------------------------------------------------------ 1. seed


def fast_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (attname → value, the primary key included): COPY on PostgreSQL,
    executemany on SQLite.

    ``bulk_create`` spends most of a 100,000-case set-up preparing values one at a time in
    its SQL compiler. Values are adapted as Django adapts them; missing fields take their
    model default (``auto_now`` fields: now).
    """
    from django.db import connection, models
    from django.utils import timezone

    fields = model._meta.concrete_fields
    now = timezone.now()
    fixed: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fixed[f.attname] = now
        elif not (f.has_default() and callable(f.default)):
            fixed[f.attname] = f.get_default()
    quote = connection.ops.quote_name
    plain = (models.CharField, models.IntegerField, models.BooleanField, models.FloatField, models.ForeignKey)

    def converter(f: Any) -> Any:
        if isinstance(f, models.DateTimeField):
            adapt = connection.ops.adapt_datetimefield_value
            return lambda v: None if v is None else adapt(v)
        if isinstance(f, plain):  # the drivers take these as they are (ids included)
            return lambda v: v
        return lambda v: f.get_db_prep_save(v, connection)

    convert = [(f.attname, converter(f), f) for f in fields]
    values = [
        tuple(conv(row[name] if name in row else fixed[name] if name in fixed else f.get_default()) for name, conv, f in convert)
        for row in rows
    ]
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: ten times faster than INSERTs through psycopg
            with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
                               values)


def child_seed(n: int) -> dict[str, Any]:
    """N open cases with their clocks and the queued wake-ups, inserted as plain rows."""
    from types import SimpleNamespace

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    from tingjian import clock as wall_clock
    from tingjian.cases.models import Case, CaseNumberSequence, Stage
    from tingjian.cases.workflow.policy import active_policy
    from tingjian.customers.models import Customer
    from tingjian.sla.models import Clock, ClockKind, Rung, Target
    from tingjian.sla.schedule import ARM_HORIZON, choose
    from tingjian.sla.tasks import fire_clock

    started = time.perf_counter()
    migrate()
    log(f"  migrated in {time.perf_counter() - started:.0f} s")
    rng = random.Random(4)
    agents = [make_user(f"agent{i:02d}", ["agent"]).pk for i in range(20)]
    for i in range(2):
        make_user(f"exec{i}", ["executive"])
    customers = [c.pk for c in Customer.objects.bulk_create([Customer(display_name=f"顧客{i}") for i in range(max(1, n // 200))])]
    policy = active_policy().pk
    targets = list(Target.objects.all())
    choices: dict[tuple[Any, ...], tuple[int | None, int]] = {}

    def target(kind: str, stage: str, severity: int, channel: str) -> tuple[int | None, int]:
        key = (kind, stage, severity, channel)
        if key not in choices:
            fake = SimpleNamespace(safety=severity == 1, severity=severity, origin_channel=channel, category_id=None,
                                   branch_id=None)
            choice = choose(fake, kind, stage, targets=targets)
            assert choice is not None, key
            choices[key] = (choice.target.pk if choice.target else None, choice.seconds)
        return choices[key]

    now = wall_clock.now()
    margin = timedelta(minutes=10)
    day = 86400
    channels = ["line", "line", "wechat", "messenger", "email", "webform", "phone"]
    stages = [Stage.INTAKE] * 3 + [Stage.INVESTIGATION] * 4 + [Stage.RESPONSE] * 2 + [Stage.QA]
    counts = {"clocks": 0, "open": 0, "tasks": 0}
    next_clock = 1

    def clock_row(case_id: int, kind: str, stage: str, tid: int | None, seconds: int, start: datetime,
                  *, met_at: datetime | None = None) -> dict[str, Any]:
        nonlocal next_clock
        due = start + timedelta(seconds=seconds)
        remind = start + timedelta(seconds=seconds * 0.75)
        row: dict[str, Any] = {
            "id": next_clock, "case_id": case_id, "kind": kind, "stage": stage, "target_id": tid, "target_seconds": seconds,
            "started_at": start, "due_at": due, "remind_at": remind, "red_at": start + timedelta(seconds=seconds * 0.9),
        }
        next_clock += 1
        if met_at is not None:  # stopped: no due, no wake-up
            row.update(met_at=met_at, consumed_seconds=(met_at - start).total_seconds(), due_at=None, remind_at=None,
                       red_at=None)
            if met_at > due:
                row["breached_at"] = row["reminded_at"] = due
            elif met_at > remind:
                row["reminded_at"] = remind
            return row
        row["running_since"] = start
        if due <= now + margin:  # breached earlier; somebody acknowledged, the ladder stopped
            row.update(breached_at=due, reminded_at=remind, escalation_level=Rung.HANDLER,
                       acknowledged_at=due + timedelta(minutes=12))
        elif remind <= now + margin:  # reminded already (or about to be): the breach is next
            row.update(reminded_at=min(remind, now), next_fire_at=due)
        else:
            row["next_fire_at"] = remind
        return row

    batch = 5000
    for first in range(0, n, batch):
        cases, clocks = [], []
        for i in range(first, min(n, first + batch)):
            case_id = i + 1
            severity = rng.choices([1, 2, 3, 4], weights=[1, 20, 50, 29])[0]
            channel = rng.choice(channels)
            res_tid, res_s = target(ClockKind.RESOLUTION, "", severity, channel)
            age = rng.uniform(0, min(3 * day, res_s - 2 * margin.total_seconds()))
            opened = now - timedelta(seconds=age)
            stage = rng.choice(stages)
            st_tid, st_s = target(ClockKind.STAGE, stage, severity, channel)
            entered = opened if stage == Stage.INTAKE else max(
                opened, now - timedelta(seconds=rng.uniform(0, max(60, st_s - 2 * margin.total_seconds()))))
            cases.append({
                "id": case_id, "number": f"C-2026-{i + 1:06d}", "customer_id": rng.choice(customers),
                "subject": f"客訴 {i}：便當問題", "origin_channel": channel, "severity": severity, "safety": severity == 1,
                "stage": stage, "policy_id": policy, "assignee_id": rng.choice(agents) if rng.random() < 0.9 else None,
                "opened_at": opened, "stage_entered_at": entered,
                "investigation_at": entered if stage == Stage.INVESTIGATION else None,
            })
            fr_tid, fr_s = target(ClockKind.FIRST_RESPONSE, "", severity, channel)
            answered = None
            if age < fr_s - 2 * margin.total_seconds():
                clocks.append(clock_row(case_id, ClockKind.FIRST_RESPONSE, "", fr_tid, fr_s, opened))
            else:
                answered = min(opened + timedelta(seconds=fr_s * rng.uniform(0.1, 1.3)), now - timedelta(seconds=60))
                clocks.append(clock_row(case_id, ClockKind.FIRST_RESPONSE, "", fr_tid, fr_s, opened, met_at=answered))
            clocks.append(clock_row(case_id, ClockKind.RESOLUTION, "", res_tid, res_s, opened))
            if stage != Stage.INTAKE:
                in_tid, in_s = target(ClockKind.STAGE, Stage.INTAKE, severity, channel)
                clocks.append(clock_row(case_id, ClockKind.STAGE, Stage.INTAKE, in_tid, in_s, opened, met_at=entered))
            clocks.append(clock_row(case_id, ClockKind.STAGE, stage, st_tid, st_s, entered))
            if answered is not None and rng.random() < 0.25:
                nr_tid, nr_s = target(ClockKind.NEXT_RESPONSE, "", severity, channel)
                wrote = max(answered, now - timedelta(seconds=rng.uniform(0, max(60, nr_s - 2 * margin.total_seconds()))))
                clocks.append(clock_row(case_id, ClockKind.NEXT_RESPONSE, "", nr_tid, nr_s, wrote))
        # One wake-up task per pending clock event within the horizon, as schedule.arm and the
        # minute tick (timers.arm_upcoming) leave the queue; later events are not queued yet.
        horizon = now + ARM_HORIZON
        armed = [c for c in clocks if c.get("next_fire_at") is not None and c["next_fire_at"] <= horizon]
        for c in armed:
            c["armed_for"] = c["next_fire_at"]
        tasks = [
            {"id": uuid.uuid4(), "args_kwargs": {"args": [c["id"]], "kwargs": {}}, "priority": fire_clock.priority,
             "task_path": fire_clock.module_path, "queue_name": "default", "backend_name": "default",
             "run_after": c["next_fire_at"], "exception_class_path": "", "traceback": "", "worker_ids": []}
            for c in armed
        ]
        with transaction.atomic():
            fast_insert(Case, cases)
            fast_insert(Clock, clocks)
            fast_insert(DBTaskResult, tasks)
        counts["clocks"] += len(clocks)
        counts["open"] += sum(1 for c in clocks if c.get("met_at") is None)
        counts["tasks"] += len(tasks)
        if first % 20000 == 0:
            log(f"  {first:,} cases ({time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case, Clock]):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    CaseNumberSequence.objects.update_or_create(year=2026, defaults={"last": n})
    assert not Clock.objects.filter(next_fire_at__lte=now + margin).exists()
    assert Case.objects.count() == n and Clock.objects.count() == counts["clocks"]
    return {"cases": n, **counts, "seconds": time.perf_counter() - started}


# ----------------------------------------------------------------------------- 1. sweep


def _captured_sql(fn: Any, needle: str) -> tuple[Any, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        value = fn()
    sql = next(q["sql"] for q in ctx.captured_queries if needle in q["sql"])
    return value, sql


def _explain(sql: str) -> str:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _make_due(ids: list[int]) -> dict[str, int]:
    """Half reminders, half breaches, due one second ago, as their running time says."""
    from django.db import transaction

    from tingjian import clock as wall_clock
    from tingjian.sla.models import Clock
    from tingjian.sla.schedule import schedule

    now = wall_clock.now()
    clocks = list(Clock.objects.filter(pk__in=ids))
    for index, clock in enumerate(clocks):
        share = 1.0 if index % 2 else 0.75  # odd: the breach is due; even: the reminder
        clock.consumed_seconds, clock.reminded_at, clock.breached_at = 0, None, None
        clock.running_since = clock.started_at = now - timedelta(seconds=clock.target_seconds * share + 1)
        schedule(clock, 75)
    with transaction.atomic():
        Clock.objects.bulk_update(clocks, ["running_since", "started_at", "consumed_seconds", "reminded_at",
                                           "breached_at", "due_at", "remind_at", "red_at", "next_fire_at"])
    return {"reminders": sum(1 for i in range(len(clocks)) if not i % 2), "breaches": sum(1 for i in range(len(clocks)) if i % 2)}


def _due_candidates(count: int, rng: random.Random) -> list[int]:
    from django.db.models import Max

    from tingjian.sla.models import Clock

    top = Clock.objects.aggregate(top=Max("pk"))["top"]
    chosen: set[int] = set()
    while len(chosen) < count:
        probe = rng.sample(range(1, top + 1), min(top, 4 * count))
        chosen.update(Clock.objects.filter(pk__in=probe, next_fire_at__isnull=False, breached_at__isnull=True)
                      .exclude(pk__in=chosen).values_list("pk", flat=True)[: count - len(chosen)])
    return sorted(chosen)


class FailureLog(logging.Handler):
    """Counts a logger's errors and keeps the first one's message instead of printing
    thousands of tracebacks (the sweep logs each clock that could not fire)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.ERROR)
        self.count, self.first = 0, ""
        target = logging.getLogger(name)
        target.addHandler(self)
        target.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if not self.first and record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.first = f"{type(exc).__name__}: {exc}".strip()


def child_sweep() -> dict[str, Any]:
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    from tingjian import clock as wall_clock
    from tingjian.alerts.models import Notification
    from tingjian.ops.periodic import run_periodic_work
    from tingjian.sla import timers
    from tingjian.sla.models import Clock

    out: dict[str, Any] = {"vendor": connection.vendor}
    rng = random.Random(9)
    failures = FailureLog("tingjian.sla.timers")
    first, sweep_sql = _captured_sql(timers.sweep, "sla_clock")  # warm: imports, connection, caches
    assert first["due"] == 0, f"the seed left clocks due: {first}"
    rss_before = maxrss_mb()
    runs = []
    for _ in range(20):
        t = time.perf_counter()
        result = timers.sweep()
        runs.append((time.perf_counter() - t) * 1000)
        assert result["due"] == 0
    out["idle_ms"] = summary(runs)
    ticks = []
    for _ in range(5):
        t = time.perf_counter()
        run_periodic_work()
        ticks.append((time.perf_counter() - t) * 1000)
    out["tick_ms"] = summary(ticks)
    tracemalloc.start()
    timers.sweep()
    out["idle_peak_kb"] = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    out["idle_rss_mb"], out["idle_rss_growth_mb"] = maxrss_mb(), maxrss_mb() - rss_before
    out["sweep_sql"], out["sweep_plan"] = sweep_sql, _explain(sweep_sql)

    def poll() -> Any:
        with transaction.atomic():
            return DBTaskResult.objects.ready().filter(backend_name="default").get_locked()

    _, poll_sql = _captured_sql(poll, "dbtaskresult")
    polls = []
    for _ in range(20):
        t = time.perf_counter()
        poll()
        polls.append((time.perf_counter() - t) * 1000)
    out["poll_ms"], out["queued"] = summary(polls), DBTaskResult.objects.filter(status="READY").count()
    out["poll_sql"], out["poll_plan"] = poll_sql, _explain(poll_sql)

    ids = _due_candidates(2000, rng)
    made = _make_due(ids[:1000])
    notes_before = Notification.objects.count()
    rss_before = maxrss_mb()
    t = time.perf_counter()
    result = timers.sweep()
    elapsed = time.perf_counter() - t
    out["due"] = {**made, **result, "seconds": elapsed, "ms_per_clock": elapsed * 1000 / max(1, result["due"]),
                  "notifications": Notification.objects.count() - notes_before,
                  "rss_mb": maxrss_mb(), "rss_growth_mb": maxrss_mb() - rss_before}
    _make_due(ids[1000:])
    tracemalloc.start()
    t = time.perf_counter()
    traced = timers.sweep()
    out["due"]["traced_seconds"] = time.perf_counter() - t
    out["due"]["peak_kb"] = tracemalloc.get_traced_memory()[1] / 1024
    out["due"]["traced_fired"] = traced["fired"]
    tracemalloc.stop()
    out["open_clocks"] = Clock.objects.open().count()
    out["fire_errors"], out["first_fire_error"] = failures.count, failures.first
    # Clocks that could not fire stay due; the minute tick would retry them all while the
    # safety complaints at scale are measured next. Push them out so that run starts idle.
    out["left_due"] = Clock.objects.filter(next_fire_at__lte=wall_clock.now()).update(
        next_fire_at=wall_clock.now() + timedelta(days=1))
    return out


# ----------------------------------------------------------------------------- 2. delay


def _wait_for_tick(timeout: float = 60) -> None:
    from tingjian.ops.models import Heartbeat

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(name="tick", last_run_at__isnull=False).exists():
            return
        time.sleep(0.2)
    raise SystemExit("the worker did not start ticking")


def _delay_round(n: int, customer: Any, agent: Any, label: str, *, restart: Any = None) -> dict[str, Any]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from tingjian import clock as wall_clock
    from tingjian.alerts.models import Notification
    from tingjian.cases.services import open_case
    from tingjian.sla.models import Clock, ClockKind
    from tingjian.sla.tasks import fire_clock

    clocks = []
    for i in range(n):
        case = open_case(customer=customer, subject=f"{label} {i}", channel="api", body=f"{PLAIN_TEXT}（{label} {i}）",
                         by=None, fields={"severity": 4, "assignee": agent})
        clocks.append(Clock.objects.get(case=case, kind=ClockKind.FIRST_RESPONSE))
        time.sleep(0.25)
    assert all(c.target_seconds == 60 for c in clocks), [c.target_seconds for c in clocks]
    if restart is not None:
        restart()
    topics = {f"sla.clock:{c.pk}": c for c in clocks}
    deadline = max(c.due_at for c in clocks) + timedelta(seconds=65)  # the minute tick's sweep catches what a task missed
    while wall_clock.now() < deadline:
        if Notification.objects.filter(topic__in=topics, kind="sla.breach").count() >= n:
            break
        time.sleep(0.5)
    time.sleep(3)  # a second alert for the same clock, if any, would come now
    notes = list(Notification.objects.filter(topic__in=topics).values("topic", "kind", "created_at"))
    reminders = [(x["created_at"] - topics[x["topic"]].remind_at).total_seconds() for x in notes if x["kind"] == "sla.reminder"]
    breaches = [(x["created_at"] - topics[x["topic"]].due_at).total_seconds() for x in notes if x["kind"] == "sla.breach"]
    per_clock = Notification.objects.filter(topic__in=topics).values("topic", "kind").annotate(k=Count("id"))
    ids = {c.pk for c in clocks}
    runs = [r for r in DBTaskResult.objects.filter(task_path=fire_clock.module_path) if r.args_kwargs["args"][0] in ids]
    by_task = sum(1 for r in runs if r.status == "SUCCESSFUL" and r.return_value not in (None, "nothing due"))
    failed = [r for r in runs if r.status == "FAILED"]
    return {
        "reminder_s": summary(reminders), "breach_s": summary(breaches),
        "expected": 2 * n, "alerts": len(notes), "alerts_by_task": by_task, "failed_tasks": len(failed),
        "task_error": failed[0].traceback.strip().splitlines()[-1] if failed else "",
        "duplicates": sum(row["k"] - 1 for row in per_clock if row["k"] > 1),
        "missing": 2 * n - len({(row["topic"], row["kind"]) for row in per_clock}),
    }


def child_delay(n: int, var: Path) -> dict[str, Any]:
    from tingjian.customers.models import Customer
    from tingjian.sla.models import ClockKind, Target

    migrate()
    agent = make_user("bench-agent", ["agent"])
    Target.objects.create(kind=ClockKind.FIRST_RESPONSE, severity=4, channel="api", minutes=1)
    customer = Customer.objects.create(display_name="壓測顧客")
    worker_log = var / "worker.log"
    procs: dict[str, Any] = {"worker": start(WORKER, worker_log)}
    try:
        _wait_for_tick()
        log("  worker up; steady round")
        steady = _delay_round(n, customer, agent, "steady")
        if steady["missing"] == steady["expected"]:
            log("  nothing fired at all: the restart round is skipped")
            return {"steady": steady}

        def kill_and_restart() -> None:
            stop(procs["worker"], signal.SIGKILL)
            log("  worker killed (SIGKILL); restarting in 15 s")
            time.sleep(15)
            procs["worker"] = start(WORKER, worker_log)

        log("  restart round")
        restarted = _delay_round(n, customer, agent, "restart", restart=kill_and_restart)
    finally:
        stop(procs["worker"])
    return {"steady": steady, "restart": restarted}


# ---------------------------------------------------------------------------- 3. safety


def child_safety(runs: int, var: Path) -> dict[str, Any]:
    import httpx
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from tingjian.alerts.models import Notification
    from tingjian.channels.models import Channel, InboundEvent
    from tingjian.channels.services import channel_config
    from tingjian.channels.simulate import line_text
    from tingjian.channels.tasks import ingest_event

    migrate()
    executive = make_user("bench-exec", ["executive"])
    call_command("channels", "add", "line", "bench-line", "--sandbox", "on", "--set", f"channel_secret={LINE_SECRET}",
                 "--set", "channel_access_token=bench-token", stdout=io.StringIO())
    channel = Channel.objects.get(kind="line", name="bench-line")
    url = f"http://127.0.0.1:{PORT}/hooks/line/bench-line/"
    web = worker = None
    rng = random.Random(3)
    try:
        web = start([PY, "-m", "gunicorn", "tingjian.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}", "--log-level", "warning"],
                    var / "gunicorn.log")
        worker = start(WORKER, var / "worker.log")
        with httpx.Client(timeout=10) as http:
            for _ in range(100):
                try:
                    if http.get(f"http://127.0.0.1:{PORT}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            _wait_for_tick()

            def post(text: str) -> tuple[float, float, int]:
                request = line_text(channel_config(channel), user_id="U" + uuid.uuid4().hex, text=text)
                t0 = time.time()
                response = http.post(url, content=request.body, headers={**request.headers, "Content-Type": request.content_type})
                return t0, time.time(), response.status_code

            for _ in range(4):  # warm both gunicorn workers and the worker's imports; not counted
                post(PLAIN_TEXT)
            # Start from an idle worker: after the sweep bench the queue holds the emails of
            # its 2,000 alerts, and a busy worker picks a new task up without its 1 s sleep.
            drained = time.monotonic()
            while DBTaskResult.objects.ready().exists() and time.monotonic() - drained < 180:
                time.sleep(0.5)
            time.sleep(3)
            rows = []
            for i in range(runs):
                time.sleep(rng.uniform(1.0, 2.0))  # any phase of the worker's 1 s poll (it polls again right after a task)
                last_note = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                last_event = InboundEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                t0, t_answered, status = post(SAFETY_TEXT)
                assert status == 200, status
                note = None
                while time.time() - t0 < 30:
                    note = Notification.objects.filter(kind="sla.safety", recipient=executive, pk__gt=last_note).first()
                    if note is not None:
                        break
                    time.sleep(0.05)
                t_seen = time.time()
                if note is None:
                    rows.append({"run": i, "missing": True})
                    continue
                event = InboundEvent.objects.filter(pk__gt=last_event).order_by("pk").first()
                task = next(r for r in DBTaskResult.objects.filter(task_path=ingest_event.module_path).order_by("-enqueued_at")[:20]
                            if r.args_kwargs["args"][0] == event.pk)
                rows.append({
                    "run": i, "total": t_seen - t0, "db_total": note.created_at.timestamp() - t0,
                    "http": t_answered - t0, "queue_wait": (task.started_at - task.enqueued_at).total_seconds(),
                    "ingest": note.created_at.timestamp() - task.started_at.timestamp(),
                    "outcome": event.outcome,
                })
                log(f"  run {i}: {rows[-1]['total'] * 1000:.0f} ms ({event.outcome})")
    finally:
        stop(worker)
        stop(web)
    done = [r for r in rows if not r.get("missing")]
    return {"runs": rows, "missing": runs - len(done),
            **{key: summary([r[key] for r in done]) for key in ("total", "db_total", "http", "queue_wait", "ingest")}}


def child_main(options: argparse.Namespace) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the servers
    setup_django()
    var = Path(os.environ["BENCH_VAR"])
    if options.child == "seed":
        result = child_seed(options.cases)
    elif options.child == "sweep":
        result = child_sweep()
    elif options.child == "delay":
        result = child_delay(options.delay_cases, var)
    else:
        result = child_safety(options.safety_runs, var)
    print("RESULT " + json.dumps(result, default=str), flush=True)


# ============================================================================ parent side


def sh(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")


def fresh_env(db: str, pg: str) -> dict[str, str]:
    var = tempfile.mkdtemp(prefix="tj-bench-sla-")
    env = {**os.environ, "TINGJIAN_DEBUG": "0", "TINGJIAN_SECRET_KEY": "bench-" + "x" * 50,
           "TINGJIAN_ALLOWED_HOSTS": "127.0.0.1", "TINGJIAN_ENCRYPTION_KEYS": "Tn9zHk1J3bq3dLqv2r8sVY4cG5m0x1u7QeWfA9pZlKc=",
           "TINGJIAN_VAR_DIR": var, "BENCH_VAR": var, "TINGJIAN_LOG_LEVEL": "WARNING", "TINGJIAN_DB_CONN_MAX_AGE": "600",
           "TINGJIAN_PUBLIC_URL": f"http://127.0.0.1:{PORT}", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    if db == "pg":
        host = ["-h", "127.0.0.1", "-U", "postgres"]
        sh("dropdb", *host, "--if-exists", PG_DB)
        sh("createdb", *host, PG_DB)
        env["DATABASE_URL"] = f"{pg}/{PG_DB}"
    return env


def run_child(part: str, env: dict[str, str], options: argparse.Namespace, *, safety_runs: int = 0) -> dict[str, Any]:
    args = [PY, str(Path(__file__).resolve()), "--child", part, "--cases", str(options.cases),
            "--delay-cases", str(options.delay_cases), "--safety-runs", str(safety_runs or options.safety_runs)]
    child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, _ = child.communicate()
    except BaseException:
        os.killpg(child.pid, signal.SIGTERM)  # the child's `finally` stops its server and worker
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
        raise
    line = next((x for x in reversed(out.splitlines()) if x.startswith("RESULT ")), None)
    if child.returncode != 0 or line is None:
        logs = "".join(f"\n--- {p.name}\n" + p.read_text()[-3000:] for p in Path(env["BENCH_VAR"]).glob("*.log"))
        raise SystemExit(f"{part} failed (exit {child.returncode}):\n{out[-3000:]}{logs}")
    return json.loads(line.removeprefix("RESULT "))


def ms(value: float) -> str:
    return "—" if value != value else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def print_sweep(results: dict[str, dict[str, Any]]) -> None:
    dbs = list(results)
    print(f"\n## 1. Sweep at {next(iter(results.values()))['seed']['cases']:,} open cases\n")
    print("| | " + " | ".join(DB_LABEL[d] for d in dbs) + " |")
    print("|---|" + "---:|" * len(dbs))

    def row(name: str, fn: Any) -> None:
        print(f"| {name} | " + " | ".join(fn(results[d]) for d in dbs) + " |")

    row("set-up (rows inserted directly): clocks / open / queued wake-ups",
        lambda r: f"{r['seed']['clocks']:,} / {r['seed']['open']:,} / {r['seed']['tasks']:,} in {r['seed']['seconds']:.0f} s")
    row("(a) sweep, nothing due: median (max) of 20", lambda r: f"{ms(r['sweep']['idle_ms']['p50'])} ms ({ms(r['sweep']['idle_ms']['max'])})")
    row("(a) the whole minute tick (ops.periodic.run_periodic_work), median of 5", lambda r: f"{ms(r['sweep']['tick_ms']['p50'])} ms")
    row("(c) memory of (a): tracemalloc peak / RSS growth",
        lambda r: f"{r['sweep']['idle_peak_kb']:.0f} KB / {r['sweep']['idle_rss_growth_mb']:.1f} MB")
    row("(b) sweep with 1,000 due (500 reminders, 500 breaches)", lambda r: f"{r['sweep']['due']['seconds']:.1f} s")
    row("(b) per clock", lambda r: f"{r['sweep']['due']['ms_per_clock']:.1f} ms")
    row("(b) fired / failed / notifications",
        lambda r: f"{r['sweep']['due']['fired']} / {r['sweep']['due']['failed']} / {r['sweep']['due']['notifications']}")
    errors = {d: results[d]["sweep"] for d in dbs if results[d]["sweep"]["fire_errors"]}
    if errors:
        row("**clocks that could not fire** (errors the sweep logged, both sweeps)",
            lambda r: f"**{r['sweep']['fire_errors']:,}**" if r["sweep"]["fire_errors"] else "0")
    row("(b) memory: tracemalloc peak / RSS growth (max RSS)",
        lambda r: f"{r['sweep']['due']['peak_kb'] / 1024:.1f} MB / {r['sweep']['due']['rss_growth_mb']:.1f} MB ({r['sweep']['due']['rss_mb']:.0f} MB)")
    row("task worker's poll over the queued wake-ups: median (max) of 20",
        lambda r: f"{ms(r['sweep']['poll_ms']['p50'])} ms ({ms(r['sweep']['poll_ms']['max'])}) over {r['sweep']['queued']:,}")
    if all("safety" in results[d] for d in dbs):
        row("safety complaint, POST → executive's alert: p50 / max (queue wait p50 / max)",
            lambda r: f"{r['safety']['total']['p50']:.2f} / {r['safety']['total']['max']:.2f} s "
                      f"({r['safety']['queue_wait']['p50']:.2f} / {r['safety']['queue_wait']['max']:.2f} s)")
    for d, r in errors.items():
        print(f"\n{DB_LABEL[d]}: every clock failed to fire with `{r['first_fire_error']}`")
    for d in dbs:
        print(f"\n{DB_LABEL[d]}, the sweep's due-clock query:\n\n```\n{results[d]['sweep']['sweep_sql']}\n\n{results[d]['sweep']['sweep_plan']}\n```")
        print(f"\n{DB_LABEL[d]}, the task worker's poll (django-tasks-db):\n\n```\n{results[d]['sweep']['poll_sql']}\n\n{results[d]['sweep']['poll_plan']}\n```")


def print_delay(results: dict[str, dict[str, Any]]) -> None:
    print("\n## 2. Due time → alert, worker running (seconds; goal ≤ 10 s)\n")
    print("| database | round | alert | n | p50 | p95 | max | fired by its task | duplicates | missing |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for d, r in results.items():
        for name, label in (("steady", "worker running"), ("restart", "worker SIGKILLed, restarted 15 s later")):
            if name not in r:
                print(f"| {DB_LABEL[d]} | {label} | skipped: nothing fired in the first round | | | | | | | |")
                continue
            rr = r[name]
            for key, alert in (("reminder_s", "reminder − remind_at"), ("breach_s", "breach − due_at")):
                s = rr[key]
                print(f"| {DB_LABEL[d]} | {label} | {alert} | {s['n']} | {s['p50']:.2f} | {s['p95']:.2f} | {s['max']:.2f} | "
                      f"{rr['alerts_by_task']}/{rr['alerts']} | {rr['duplicates']} | {rr['missing']} |")
            if rr.get("failed_tasks"):
                print(f"| {DB_LABEL[d]} | {label} | **{rr['failed_tasks']} fire_clock tasks failed**: `{rr['task_error']}` | | | | | | | |")


def print_safety(results: dict[str, dict[str, Any]]) -> None:
    print("\n## 3. Safety complaint: LINE POST → executive's sla.safety notification (goal < 5 s)\n")
    print("| database | n | total p50 | p95 | max | HTTP answered (p50) | queue wait (p50 / max) | ingest → notification (p50 / max) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for d, r in results.items():
        t, h, q, i = r["total"], r["http"], r["queue_wait"], r["ingest"]
        print(f"| {DB_LABEL[d]} | {t['n']} | {t['p50']:.2f} s | {t['p95']:.2f} s | {t['max']:.2f} s | {h['p50'] * 1000:.0f} ms | "
              f"{q['p50']:.2f} / {q['max']:.2f} s | {i['p50']:.2f} / {i['max']:.2f} s |")
        if r["missing"]:
            print(f"| {DB_LABEL[d]} | **{r['missing']} never notified within 30 s** | | | | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description="SLA clocks (issue 4): the sweep at scale, due time → alert, a safety complaint end to end.")
    parser.add_argument("--cases", type=int, default=100_000, help="open cases for the sweep (default 100,000)")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server (trust auth)")
    parser.add_argument("--only", choices=["sweep", "delay", "safety"])
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--delay-cases", type=int, default=20)
    parser.add_argument("--safety-runs", type=int, default=10)
    parser.add_argument("--scale-safety-runs", type=int, default=5,
                        help="after the sweep, safety complaints on the seeded database too (0: skip)")
    parser.add_argument("--child", choices=["seed", "sweep", "delay", "safety"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_main(options)
        return
    parts = [options.only] if options.only else ["sweep", "delay", "safety"]
    dbs = ["sqlite", "pg"] if options.db == "both" else [options.db]
    began = time.monotonic()
    results: dict[str, dict[str, Any]] = {p: {} for p in parts}
    temp_dirs = []
    try:
        for part in parts:
            for db in dbs:
                log(f"{part} on {DB_LABEL[db]} ({time.monotonic() - began:.0f} s)")
                env = fresh_env(db, options.pg)
                temp_dirs.append(env["BENCH_VAR"])
                if part == "sweep":
                    seed = run_child("seed", env, options)
                    log(f"  seeded {seed['cases']:,} cases, {seed['clocks']:,} clocks in {seed['seconds']:.0f} s")
                    results[part][db] = {"seed": seed, "sweep": run_child("sweep", env, options)}
                    if options.scale_safety_runs:
                        log(f"  safety complaints at {seed['cases']:,} cases")
                        results[part][db]["safety"] = run_child("safety", env, options, safety_runs=options.scale_safety_runs)
                else:
                    results[part][db] = run_child(part, env, options)
    finally:
        for path in temp_dirs:
            shutil.rmtree(path, ignore_errors=True)
    print(f"\ncores: {os.cpu_count()}, {datetime.now():%Y-%m-%d}, total {time.monotonic() - began:.0f} s")
    if "sweep" in results:
        print_sweep(results["sweep"])
    if "delay" in results:
        print_delay(results["delay"])
    if "safety" in results:
        print_safety(results["safety"])
    raw = Path(tempfile.gettempdir()) / "tingjian-bench-sla.json"
    raw.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nraw results: {raw}")


if __name__ == "__main__":
    main()
