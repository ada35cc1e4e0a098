"""Search at scale: index build time and size, and query latency as a user meets it.

Usage (the database must hold cases made by ``tingjian generate``; see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tingjian_bench_search \\
        .venv/bin/tingjian generate --cases 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tingjian_bench_search \\
        .venv/bin/python bench/search.py --reindex

    TINGJIAN_VAR_DIR=/tmp/tj-search .venv/bin/tingjian migrate
    TINGJIAN_VAR_DIR=/tmp/tj-search .venv/bin/tingjian generate --cases 100000
    TINGJIAN_VAR_DIR=/tmp/tj-search .venv/bin/python bench/search.py

``--reindex`` rebuilds the whole index first and reports the build time. Each query kind
is then run ``--runs`` times with words drawn from a fixed list, through the same call the
search page makes (``cases.finding.search_cases``: the first page of 20 hits with
highlighted snippets, the capped count and the facets), once as a manager (no scope) and
once as an agent scoped to two departments; p50 and p95 in milliseconds are printed.
Goal (issue 5): p95 < 50 ms at 10^6 cases on PostgreSQL and 10^5 on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tingjian.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from tingjian.cases import finding  # noqa: E402
from tingjian.cases.indexing import reindex_cases  # noqa: E402
from tingjian.cases.models import Case  # noqa: E402
from tingjian.org import services as org  # noqa: E402
from tingjian.org.models import Branch, Department  # noqa: E402
from tingjian.search import selectors as search_selectors  # noqa: E402
from tingjian.search.models import Entry  # noqa: E402

TWO_CHARS = ["發票", "退款", "异物", "態度", "外送", "便當", "排隊", "扣款", "会员", "冷掉"]
FOUR_CHARS = ['"食物中毒"', '"態度惡劣"', '"重複扣款"', '"送餐延遲"', '"发票错误"', '"頭髮異物"']
ENGLISH = ["refund", "invoice", "delivery", "rude", "charged", "cold", "hair", "points"]
RARE = ["悠遊卡", "統編", "NEAR", "tax ID"]


def users() -> tuple[object, object]:
    model = get_user_model()
    manager = model.objects.filter(username="bench-manager").first() or model.objects.create_user("bench-manager", password="x")
    org.set_roles(manager, ["manager"])
    agent = model.objects.filter(username="bench-agent").first() or model.objects.create_user("bench-agent", password="x")
    org.set_roles(agent, ["agent"])
    for department in Department.objects.order_by("pk")[:2]:
        org.join_department(agent, department)
    return model.objects.get(pk=manager.pk), model.objects.get(pk=agent.pk)


def index_size() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('search_entry')),"
                " pg_size_pretty(pg_relation_size('search_entry_tsv')),"
                " pg_size_pretty(pg_relation_size('search_entry'))"
            )
            total, gin, heap = cursor.fetchone()
            return f"search_entry total {total} (heap {heap}, GIN {gin})"
        cursor.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%'"
        )
        fts = cursor.fetchone()[0] or 0
        cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_entry%'")
        entry = cursor.fetchone()[0] or 0
        return f"FTS5 {fts / 2**20:.0f} MiB, search_entry with its indexes {entry / 2**20:.0f} MiB"


def measure(label: str, run: Callable[[str], object], words: list[str], runs: int, rng: random.Random) -> None:
    timings = []
    totals = []
    for i in range(runs):
        word = words[i % len(words)] if i < len(words) else rng.choice(words)
        started = time.perf_counter()
        results = run(word)
        timings.append((time.perf_counter() - started) * 1000)
        totals.append(getattr(results, "total", 0))
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"  {label:<34} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   "
          f"median hits {statistics.median(totals):>7,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reindex", action="store_true", help="rebuild the index first and time it")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--candidates", type=int, default=-1, help="override search.selectors.RANK_CANDIDATES (0: rank all)")
    args = parser.parse_args()
    if args.candidates >= 0:
        search_selectors.RANK_CANDIDATES = args.candidates or None
    print(f"ranking candidates: {search_selectors.RANK_CANDIDATES or 'all matches'}")
    cases = Case.objects.count()
    print(f"{connection.vendor}: {cases:,} cases")
    if args.reindex:
        started = time.monotonic()
        Entry.objects.filter(kind="case").delete()
        reindex_cases(progress=lambda done, total: print(f"  {done:,}/{total:,}", end="\r"), batch=1000)
        print(f"\nindex built in {time.monotonic() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_entry")
    print(index_size())
    manager, agent = users()
    branch = Branch.objects.order_by("pk").first()
    rng = random.Random(5)

    def plain(user: object) -> Callable[[str], object]:
        return lambda word: finding.search_cases(user, word)

    def filtered(user: object) -> Callable[[str], object]:
        params = {"stage": "closed", "from": "2025-06-01", "to": "2026-06-30"}
        if branch is not None:
            params["branch"] = branch.code
        found = finding.criteria(params)
        return lambda word: finding.search_cases(user, word, found=found)

    for who, user in (("manager (all cases)", manager), ("agent (2 departments)", agent)):
        print(f"{who}:")
        for _ in range(3):  # warm the caches (jieba, the database's pages) before timing
            finding.search_cases(user, "發票")
        measure("2-character Chinese word", plain(user), TWO_CHARS, args.runs, rng)
        measure("4-character phrase (quoted)", plain(user), FOUR_CHARS, args.runs, rng)
        measure("English word", plain(user), ENGLISH, args.runs, rng)
        measure("word + branch + stage + dates", filtered(user), TWO_CHARS + ENGLISH, args.runs, rng)
        measure("rare words", plain(user), RARE, args.runs, rng)


if __name__ == "__main__":
    main()
