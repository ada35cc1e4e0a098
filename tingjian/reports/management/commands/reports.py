"""`tingjian reports`: service reports from the console.

    tingjian reports send --cadence weekly                  (last week's report, now, to every
                                                            active weekly schedule of the scope)
    tingjian reports send --cadence monthly --period-start 2026-10-01 --scope branch:tpe-xinyi --to manager
    tingjian reports send --cadence weekly --to boss@example.com --language zh-hant --refresh
    tingjian reports run                                    (make and send what is due — the
                                                            worker does this every minute; for cron)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tingjian.reports import on_demand, services
from tingjian.reports.models import Cadence


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--period-start must be a date as YYYY-MM-DD, not {text!r}") from exc


class Command(BaseCommand):
    help = "Service reports: make and email one now, or run what is due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("send", help="make a report now and email it")
        p.add_argument("--cadence", required=True, choices=Cadence.values)
        p.add_argument("--period-start", dest="period_start", help="a day in the period (default: the last finished one)")
        p.add_argument("--scope", default="all", help="all, branch:<code> or department:<code>")
        p.add_argument("--to", default="", help="a username or an email address (default: the schedules)")
        p.add_argument("--language", default="", choices=["", *dict(settings.LANGUAGES)])
        p.add_argument("--refresh", action="store_true", help="make the report again from today's numbers")
        sub.add_parser("run", help="make and send the reports that are due")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            self.stdout.write(services.periodic_work())
            return
        try:
            sent = on_demand.send_now(
                cadence=options["cadence"], day=_day(options["period_start"]) if options["period_start"] else None,
                scope=options["scope"], to=options["to"], language=options["language"], refresh=options["refresh"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        failed = False
        for item in sent:
            report = item.report
            self.stdout.write(
                f"report {report.pk}: {report.cadence} {report.period_start} – {report.period_end}, "
                f"{report.scope_key}, {report.language}: " + ", ".join(item.results)
            )
            failed = failed or any(r not in ("sent", "already sent") for r in item.results)
        if failed:
            raise CommandError("some emails were not sent; see the archive page for why")
