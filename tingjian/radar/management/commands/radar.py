"""`tingjian radar`: the crisis radar from the console.

    tingjian radar burst [--category foreign-object] [--branch CODE] [--count 25] [--minutes 30] [--seed N] [--force]
                         (demo only: file a burst of complaints through the intake, then run
                          the radar at once so the crisis alert appears)
    tingjian radar scan  (judge the last hour now; the worker does this every minute)
    tingjian radar sweep (recompute the viral risk of cases with news or due)
    tingjian radar crises (the live crises)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tingjian.radar import burst, selectors, services


class Command(BaseCommand):
    help = "Crisis radar: inject a demo burst, scan for spikes, sweep viral risk, list crises."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("burst", help="demo only: a burst of complaints, then the radar at once")
        p.add_argument("--category", default=burst.FOREIGN_OBJECT, help="category code (default foreign-object, 異物)")
        p.add_argument("--branch", default="", help="branch code (default: the branch with the most cases)")
        p.add_argument("--count", type=int, default=25, help=f"how many complaints (1 to {burst.MAX_COUNT}, default 25)")
        p.add_argument("--minutes", type=int, default=30, help=f"spread over the last N minutes (1 to {burst.MAX_MINUTES}, default 30)")
        p.add_argument("--seed", type=int, default=None, help="random seed for the wording and channels")
        p.add_argument("--force", action="store_true", help="run even with TINGJIAN_DEBUG off (never in production)")
        sub.add_parser("scan", help="judge the last hour now")
        p = sub.add_parser("sweep", help="recompute viral risk of cases with news or due")
        p.add_argument("--limit", type=int, default=200)
        sub.add_parser("crises", help="list the live crises")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "burst":
            self._burst(options)
        elif action == "scan":
            self.stdout.write(str(services.scan_now()))
        elif action == "sweep":
            if options["limit"] < 1:
                raise CommandError("--limit must be at least 1.")
            self.stdout.write(services.sweep(limit=options["limit"]))
        elif action == "crises":
            crises = selectors.open_crises(limit=100)
            if not crises:
                self.stdout.write("No live crisis.")
            for crisis in crises:
                started = timezone.localtime(crisis.started_at).strftime("%Y-%m-%d %H:%M")
                self.stdout.write(f"#{crisis.id:<5} {started}  {crisis.status:<12} {crisis.title}")

    def _burst(self, options: dict[str, Any]) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "TINGJIAN_DEBUG is off: this looks like production, and a burst files made-up "
                "complaints and alerts executives. Use --force only on a throw-away database."
            )
        try:
            result = burst.inject(
                category=options["category"], branch=options["branch"], count=options["count"],
                minutes=options["minutes"], seed=options["seed"],
            )
        except burst.BurstRefused as exc:
            raise CommandError(str(exc)) from exc
        first, last = result.cases[0], result.cases[-1]
        self.stdout.write(
            f"Filed {len(result.cases)} complaints ({result.category.code}, {result.category.name_zh_hant}) at "
            f"{result.branch.code} ({result.branch.name_zh_hant}) over the last {options['minutes']} minutes: "
            f"{first.number} … {last.number}, {result.public} of them public comments."
        )
        self.stdout.write(f"Radar: {result.scan}.")
        for event in sorted(result.crises, key=lambda e: (e.story_id or e.pk, e.story_id is not None, e.pk)):
            part = f"    part of #{event.story_id}: " if event.story_id else "  crisis "
            self.stdout.write(
                f"{part}#{event.pk} {selectors.crisis_title(event)} (p = {event.p_value:.1e})"
                + (" · personal safety" if event.safety else "")
            )
        if not result.crises:
            self.stdout.write(self.style.WARNING(
                "  No spike: the burst is not unusual against this database's history (try a larger --count)."
            ))
        for row in result.risks[:3]:
            self.stdout.write(f"  viral risk {row.score}/100 on {row.case.number}")
        self.stdout.write(f"See {settings.TINGJIAN_PUBLIC_URL}/radar/ (log in as manager, executive or pr).")
