"""`tingjian search reindex|status`: rebuild the search index or see what it holds.

Cases, customers and articles are indexed as they are written; a rebuild is for an
upgrade from a version without search, a change to the analysis (``search.analysis``) or
data loaded around the services (``tingjian generate`` rebuilds its own cases itself).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from tingjian.cases.indexing import reindex_cases
from tingjian.cases.models import Case
from tingjian.customers import indexing as customer_indexing
from tingjian.customers.selectors import customers
from tingjian.search.models import Entry


class Command(BaseCommand):
    help = "Rebuild the search index (reindex) or show how many entries of each kind it holds (status)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reindex", "status"])
        parser.add_argument("--only", choices=["cases", "customers", "articles"], help="rebuild one kind only")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            counts = dict(Entry.objects.values_list("kind").annotate(n=Count("id")).order_by())
            self.stdout.write(f"cases: {counts.get('case', 0)} indexed of {Case.objects.count()}")
            for kind in ("customer", "article"):
                self.stdout.write(f"{kind}s: {counts.get(kind, 0)} indexed")
            return
        only = options["only"]
        if only in (None, "cases"):
            started = time.monotonic()

            def progress(done: int, total: int) -> None:
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"  cases {done:,}/{total:,} ({rate:,.0f}/s)")

            done = reindex_cases(progress=progress, batch=options["batch"])
            self.stdout.write(self.style.SUCCESS(f"{done:,} cases indexed in {time.monotonic() - started:.1f} s"))
        if only in (None, "customers"):
            n = 0
            for customer in customers().prefetch_related("identities").iterator(chunk_size=500):
                customer_indexing.reindex(customer)
                n += 1
            self.stdout.write(self.style.SUCCESS(f"{n:,} customers indexed"))
        if only in (None, "articles"):
            from tingjian.knowledge.search import reindex_articles

            self.stdout.write(self.style.SUCCESS(f"{reindex_articles():,} articles indexed"))
