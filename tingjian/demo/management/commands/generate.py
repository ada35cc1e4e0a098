"""`tingjian generate --cases N`: synthetic complaint history at scale, for benchmarks.

Bulk-writes N realistic cases (customers, messages, notes) over the last ``--days`` days
(see ``tingjian.demo.generator``), then makes them searchable unless ``--no-index``. For
throw-away databases only: like ``tingjian demo`` it refuses to run with TINGJIAN_DEBUG
off unless ``--force``; it may create the demo company (with its published passwords) in
an empty database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tingjian.demo.generator import MAX_CASES, BatchReport, generate

MAX_BATCH = 20_000  # rows of about three batches are in memory at once (one made, one queued, one written)
MAX_DAYS = 20 * 365


class Command(BaseCommand):
    help = "Generate N synthetic cases in bulk for benchmarks (throw-away databases only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help=f"how many cases to create (1 to {MAX_CASES:,})")
        parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed gives the same cases, relative to now, on the same starting database (default 2026)")
        parser.add_argument("--batch", type=int, default=5000, help="cases per transaction (default 5000)")
        parser.add_argument("--days", type=int, default=730, help="length of the history in days, ending now (default 730)")
        parser.add_argument("--no-index", action="store_true", help="do not make the new cases searchable afterwards")
        parser.add_argument("--force", action="store_true", help="run even with TINGJIAN_DEBUG off (never in production)")

    def handle(self, *args: Any, **options: Any) -> None:
        count, batch, days = options["cases"], options["batch"], options["days"]
        if not 1 <= count <= MAX_CASES:
            raise CommandError(f"--cases must be between 1 and {MAX_CASES:,} (got {count}).")
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch must be between 1 and {MAX_BATCH:,} (got {batch}).")
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS:,} (got {days}).")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "TINGJIAN_DEBUG is off: this looks like production, and the generator writes "
                "millions of fake cases. Use --force only on a throw-away database."
            )
        # Known before the long part starts: an index that cannot be built fails now, not later.
        reindex = None if options["no_index"] else _reindexer()

        self.stdout.write(f"Generating {count:,} cases over {days} days (seed {options['seed']}, {batch:,} per batch)…")
        result = generate(count, seed=options["seed"], days=days, batch=batch, progress=self._progress)
        self.stdout.write(
            f"Done: {result.cases:,} cases, {result.customers:,} customers, {result.identities:,} handles, "
            f"{result.messages:,} messages, {result.notes:,} notes, {result.links:,} duplicate links, "
            f"{result.clocks:,} SLA clocks, {result.reviews:,} QA sign-offs, {result.overrides:,} overrides — "
            f"{result.rows:,} rows in {result.seconds:.1f} s ({result.rows / max(result.seconds, 1e-9):,.0f} rows/s, "
            f"{result.cases / max(result.seconds, 1e-9):,.0f} cases/s)."
        )
        if reindex is None or result.first_case_id is None:
            return
        self.stdout.write(f"Indexing cases from id {result.first_case_id} for search…")
        started = time.monotonic()
        reindex(None, since_id=result.first_case_id, progress=self._index_progress)
        self.stdout.write(f"Indexed in {time.monotonic() - started:.1f} s.")

    def _progress(self, report: BatchReport) -> None:
        rate = report.batch_rows / max(report.batch_seconds, 1e-9)
        left = (report.cases_total - report.cases_done) * report.elapsed / max(report.cases_done, 1)
        self.stdout.write(
            f"  {report.cases_done:>10,} / {report.cases_total:,} cases · {report.rows_done:,} rows · "
            f"{rate:,.0f} rows/s · {report.elapsed:,.0f} s elapsed, ~{left:,.0f} s left"
        )
        self.stdout.flush()  # shown as it happens even when the output goes to a log file

    def _index_progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  indexed {done:,} / {total:,}")


def _reindexer() -> Callable[..., Any]:
    try:
        from tingjian.cases.indexing import reindex_cases
    except ImportError as exc:
        raise CommandError(
            f"Cannot make the new cases searchable ({exc}). Use --no-index to generate without indexing."
        ) from exc
    return reindex_cases
