"""`tingjian sla`: the SLA clocks from the console.

    tingjian sla sweep                 (fire every reminder, breach and escalation that is due;
                                        the worker does this every minute — this is for cron)
    tingjian sla clocks C-2026-000123  (a case's clocks, their targets and due times)
    tingjian sla recompute C-2026-000123 --reason "calendar corrected"
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tingjian.sla import services, timers
from tingjian.sla.models import Clock


class Command(BaseCommand):
    help = "SLA clocks: sweep what is due, show a case's clocks, recompute them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("sweep")
        p.add_argument("--limit", type=int, default=5000, help="most clocks fired in one run")
        p = sub.add_parser("clocks")
        p.add_argument("case_number")
        p = sub.add_parser("recompute")
        p.add_argument("case_number")
        p.add_argument("--reason", required=True)

    def _case(self, number: str) -> Any:
        # sla reads cases through the app registry, never by import (it sits below cases).
        case = apps.get_model("cases", "Case").objects.filter(number=number).first()
        if case is None:
            raise CommandError(f"no case numbered {number}")
        return case

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sweep":
            result = timers.sweep(limit=options["limit"])
            self.stdout.write(f"{result['due']} due, {result['fired']} fired, {result['failed']} failed")
            if result["failed"]:
                raise CommandError("some clocks could not fire; see the log")
        elif action == "clocks":
            case = self._case(options["case_number"])
            now = timezone.now()
            for clock in Clock.objects.filter(case=case).order_by("started_at", "pk"):
                due = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock.due_at else "—"
                label = clock.kind + (f":{clock.stage}" if clock.stage else "")
                self.stdout.write(
                    f"{label:<24} {clock.target_seconds // 60:>6} min  due {due:<16}  {clock.state(now)}"
                    + ("  (business hours)" if clock.business_hours else "")
                )
        elif action == "recompute":
            changes = services.recompute(self._case(options["case_number"]), by=None, why=options["reason"])
            self.stdout.write(f"{len(changes)} clock(s) changed")
