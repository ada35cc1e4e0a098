"""Insights at scale (issue 6): the KPI rollup, the dashboard, the weekly report and the radar.

Usage (the database must hold cases made by ``tingjian generate``; see bench/README.md):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tingjian_bench TINGJIAN_DEBUG=1
    .venv/bin/tingjian migrate && .venv/bin/tingjian generate --cases 1000000 --no-index
    .venv/bin/python bench/insights.py --rebuild          # then the measurements below
    .venv/bin/python bench/insights.py --catch-up         # adds 10,000 cases (changes the data)
    .venv/bin/python bench/insights.py --spike            # adds a burst of 25 cases (changes the data)

What is measured, each printed as p50 / p95 / max in milliseconds (or seconds):

- ``--rebuild``: the rollup of every day of history (``tingjian insights rebuild``).
- the dashboard: ``GET /insights/`` as a manager through Django's test client (the whole
  request: middleware, every selector, the SVG charts and the template), for several
  periods and filters. Goal: < 200 ms.
- the weekly report: composing last week's report, rendering its HTML and its PDF, for the
  whole company and for one branch. Goal: < 5 s.
- ``--catch-up``: 10,000 new cases written into the last day, then the minute sweep and the
  recomputation of the days they touched, as the worker does.
- ``--spike``: 25 complaints of one category at one branch filed through the services, then
  one radar scan; the latency from the burst to the alert is at most one tick (60 s) plus the
  scan time printed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tingjian.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

# The rollup package exports a function named sweep, which hides its sweep module.
rollup = importlib.import_module("tingjian.insights.rollup.sweep")

from tingjian import clock  # noqa: E402
from tingjian.cases.models import Case  # noqa: E402
from tingjian.insights.models import DayFacts, DirtyDay  # noqa: E402
from tingjian.org import services as org  # noqa: E402
from tingjian.org.models import Branch, Department  # noqa: E402
from tingjian.reports import compose, render  # noqa: E402
from tingjian.reports.periods import containing, local_zone  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def show(label: str, seconds: list[float], unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"  {label:<44} p50 {statistics.median(ordered) * scale:8.1f}  p95 {p95 * scale:8.1f}  max {ordered[-1] * scale:8.1f} {unit}")


def manager() -> object:
    model = get_user_model()
    user = model.objects.filter(username="bench-manager").first() or model.objects.create_user("bench-manager", password="x")
    org.set_roles(user, ["manager"])
    return model.objects.get(pk=user.pk)


def bench_rebuild() -> None:
    started = time.perf_counter()
    call_command("insights", "rebuild", verbosity=1)
    print(f"rollup rebuilt in {time.perf_counter() - started:.1f} s; {DayFacts.objects.count():,} daily-facts rows")


def bench_dashboard(runs: int) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(manager())
    branch = Branch.objects.filter(is_active=True).order_by("code").first()
    department = Department.objects.filter(is_active=True).order_by("code").first()
    cases = {
        "this month": {"period": "this_month"},
        "last month": {"period": "last_month"},
        "last 30 days, one branch": {"period": "last_30_days", "branch": branch.pk if branch else ""},
        "last 30 days, one department": {"period": "last_30_days", "department": department.pk if department else ""},
        "last month, branch + channel line": {"period": "last_month", "branch": branch.pk if branch else "", "channel": "line"},
    }
    print(f"dashboard GET /insights/ ({runs} runs each, after one warm-up):")
    for label, params in cases.items():
        assert client.get("/insights/", params).status_code == 200
        show(label, timed(lambda p=params: client.get("/insights/", p), runs))


def bench_report(runs: int) -> None:
    today = clock.now().astimezone(local_zone()).date()
    period = containing("weekly", today - timedelta(days=7))
    branch = Branch.objects.filter(is_active=True).order_by("code").first()
    print(f"weekly report {period.start} – {period.end} ({runs} runs each):")
    for label, scope, branch_id in (("whole company", "all", None), ("one branch", "branch", branch.pk if branch else None)):
        parts: dict[str, list[float]] = {"compose": [], "html": [], "pdf": [], "total": []}
        for _ in range(runs):
            t0 = time.perf_counter()
            data = compose.compose(period=period, scope=scope, branch_id=branch_id, department_id=None, language="zh-hant")
            t1 = time.perf_counter()
            document = render.html(data)
            t2 = time.perf_counter()
            pdf = render.pdf(document)
            t3 = time.perf_counter()
            for key, value in (("compose", t1 - t0), ("html", t2 - t1), ("pdf", t3 - t2), ("total", t3 - t0)):
                parts[key].append(value)
        for key, values in parts.items():
            show(f"{label}: {key}", values, unit="s")
        print(f"  {label}: PDF {len(pdf) / 1024:.0f} KiB")


def bench_catch_up() -> None:
    from tingjian.demo.generator import generate

    before = Case.objects.count()
    started = time.perf_counter()
    result = generate(10_000, seed=99, days=1, batch=5000)
    print(f"wrote {result.cases:,} cases into the last day in {time.perf_counter() - started:.1f} s ({before:,} before)")
    started = time.perf_counter()
    queued = rollup.sweep()
    swept = time.perf_counter() - started
    computed = 0
    while rollup.has_dirty_days():
        computed += rollup.recompute_dirty(budget=timedelta(minutes=10))
    total = time.perf_counter() - started
    print(f"rollup catch-up: sweep {swept:.2f} s queued {queued} day(s); recomputed {computed} in {total:.2f} s in all;"
          f" {DirtyDay.objects.count()} left")


def bench_spike() -> None:
    from tingjian.radar import burst, services

    started = time.perf_counter()
    result = burst.inject(count=25, minutes=20, seed=7)
    filed = time.perf_counter() - started
    scans = timed(lambda: services.scan_now(now=clock.now()), 5)
    print(f"burst of 25 filed through the services in {filed:.1f} s; crises opened: {len(result.crises)}")
    show("radar scan (all dimensions, last 60 min)", scans)
    print("  latency from the burst to the alert: at most one minute tick + the scan above")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the rollup first and time it")
    parser.add_argument("--catch-up", action="store_true", help="add 10,000 cases and time the rollup catching up")
    parser.add_argument("--spike", action="store_true", help="file a burst and time the radar scan")
    args = parser.parse_args()
    print(f"{Case.objects.count():,} cases on {django.db.connection.vendor}")
    if args.rebuild:
        bench_rebuild()
    if args.catch_up:
        bench_catch_up()
        return
    if args.spike:
        bench_spike()
        return
    bench_dashboard(args.runs)
    bench_report(max(1, args.runs // 3))


if __name__ == "__main__":
    main()
