"""Case list speed at scale: first page + total count for each filter the UI offers.

Usage (a throwaway database is created under a temporary TINGJIAN_VAR_DIR unless
DATABASE_URL is set; the PostgreSQL database named there is emptied and filled):

    .venv/bin/python bench/case_list.py --cases 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tingjian_bench .venv/bin/python bench/case_list.py

Rows are bulk-inserted (this measures reads, not the engine); every filter is then run as
an agent scoped to two departments and as a manager who sees all, 5 times, median reported.
Target: first page + count under 100 ms at 100,000 cases on both databases.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DATABASE_URL"):
    os.environ["TINGJIAN_VAR_DIR"] = tempfile.mkdtemp(prefix="tingjian-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tingjian.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tingjian import clock  # noqa: E402
from tingjian.cases import selectors  # noqa: E402
from tingjian.cases.models import Case, CaseNumberSequence, Stage  # noqa: E402
from tingjian.cases.models.case import engine_moving_stage  # noqa: E402
from tingjian.cases.workflow import active_policy  # noqa: E402
from tingjian.customers.models import Customer  # noqa: E402
from tingjian.org import services as org  # noqa: E402
from tingjian.org.models import Branch, Category, Department  # noqa: E402


def seed(n: int) -> tuple[object, object]:
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE cases_case, cases_casenumbersequence, customers_customer RESTART IDENTITY CASCADE")
    rng = random.Random(7)
    depts = [Department.objects.get_or_create(code=f"d{i}", defaults={"name_zh_hant": f"部{i}", "name_zh_hans": f"部{i}", "name_en": f"D{i}"})[0] for i in range(6)]
    branches = [Branch.objects.get_or_create(code=f"b{i}", defaults={"name_zh_hant": f"店{i}", "name_zh_hans": f"店{i}", "name_en": f"B{i}", "region": "北"})[0] for i in range(20)]
    group = Category.objects.get_or_create(code="g", defaults={"name_zh_hant": "組", "name_zh_hans": "组", "name_en": "G"})[0]
    cats = [Category.objects.get_or_create(code=f"c{i}", defaults={"parent": group, "name_zh_hant": f"類{i}", "name_zh_hans": f"类{i}", "name_en": f"C{i}"})[0] for i in range(15)]
    users = get_user_model().objects
    agent = users.filter(username="bench-agent").first() or users.create_user("bench-agent", password="x")
    manager = users.filter(username="bench-manager").first() or users.create_user("bench-manager", password="x")
    org.set_roles(agent, ["agent"])
    org.set_roles(manager, ["manager"])
    for d in depts[:2]:
        org.join_department(agent, d)
    staff = [agent, manager]
    policy = active_policy()
    customers = Customer.objects.bulk_create([Customer(display_name=f"顧客{i}") for i in range(n // 3)], batch_size=5000)
    now = clock.now()
    stages = list(Stage.values)
    channels = ["phone", "email", "line", "wechat", "messenger", "webform"]
    batch = []
    with transaction.atomic(), engine_moving_stage():
        for i in range(n):
            opened = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
            batch.append(Case(
                number=f"C-2026-{i + 1:06d}", customer=rng.choice(customers), subject=f"客訴 {i}",
                origin_channel=rng.choice(channels), category=rng.choice(cats), branch=rng.choice(branches),
                department=rng.choice(depts), severity=rng.randint(2, 4), stage=rng.choice(stages),
                assignee=rng.choice(staff + [None] * 3), policy=policy, opened_at=opened, stage_entered_at=opened,
            ))
            if len(batch) == 5000:
                Case.objects.bulk_create(batch)
                batch = []
        Case.objects.bulk_create(batch)
        CaseNumberSequence.objects.update_or_create(year=2026, defaults={"last": n})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return users.get(pk=agent.pk), users.get(pk=manager.pk)


def measure(user: object, filters: selectors.CaseFilters) -> float:
    runs = []
    for _ in range(5):
        fresh = get_user_model().objects.get(pk=user.pk)  # type: ignore[attr-defined]
        start = time.perf_counter()
        qs = selectors.case_list(fresh, filters)
        list(qs[:25])
        qs.count()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    agent, manager = seed(args.cases)
    print(f"{connection.vendor}: seeded {args.cases:,} cases in {time.perf_counter() - t0:.1f} s")
    F = selectors.CaseFilters
    cases = {
        "no filter": F(scope="all"),
        "stage": F(scope="all", stage="investigation"),
        "severity": F(scope="all", severity=2),
        "department": F(scope="all", department="d1"),
        "branch": F(scope="all", branch="b3"),
        "channel": F(scope="all", channel="line"),
        "assignee (mine)": F(scope="mine"),
        "category": F(scope="all", category="c4"),
        "stage + department": F(scope="all", stage="qa", department="d0"),
        "text q": F(scope="all", q="客訴 4242"),
    }
    print(f"{'filter':<22}{'agent ms':>10}{'manager ms':>12}")
    worst = 0.0
    for name, f in cases.items():
        a, m = measure(agent, f), measure(manager, f)
        worst = max(worst, a, m)
        print(f"{name:<22}{a:>10.1f}{m:>12.1f}")
    print(f"worst: {worst:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
