"""`tingjian demo`: load the demo restaurant chain, its people and its complaints.

Idempotent: the structure and users are upserted, and cases are created only in a database
that has none, so `make run` can call it every time.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from tingjian.cases.models import Case, Stage
from tingjian.customers.models import Customer
from tingjian.demo import builder, data
from tingjian.demo.channels import build_channels
from tingjian.demo.insights import build_insights

_STAGE_ZH = {"intake": "受理", "investigation": "調查", "response": "回應", "qa": "品保", "closed": "結案"}


class Command(BaseCommand):
    help = f"Load the demo company {data.COMPANY}: structure, one user per role, and cases (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=300, help="how many cases to create in an empty database (default 300)")
        parser.add_argument("--days", type=int, default=90, help="spread the cases over this many past days (default 90)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed; the same seed gives the same demo")
        parser.add_argument("--force", action="store_true", help="run even with TINGJIAN_DEBUG off (never in production)")
        parser.add_argument(
            "--burst", action="store_true",
            help="then file a burst of 異物 (foreign object) complaints at one branch, so the crisis radar alerts "
                 "(the same as `tingjian radar burst`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "TINGJIAN_DEBUG is off: this looks like production, and the demo creates users "
                "with published passwords. Use --force only on a throw-away database."
            )
        started = time.monotonic()
        users = builder.build_structure()
        builder.build_service_levels()
        builder.build_knowledge(users)
        existing = Case.objects.count()
        if existing:
            self.stdout.write(
                f"Demo data already present: the database has {existing} cases, so nothing new "
                "was created (cases are added only to an empty database)."
            )
        else:
            self.stdout.write(f"Creating {options['cases']} demo cases for {data.COMPANY} through the workflow engine…")
            builder.build_cases(users, count=options["cases"], seed=options["seed"], days=options["days"])
            self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.\n")
        channels = build_channels(users)
        self.stdout.write(
            "Channels (sandboxes: replies are marked sent without calling the platform): "
            + ", ".join(f"{c.kind}/{c.name}" for c in channels)
        )
        made = build_insights(users, seed=options["seed"])
        if any(made.values()):
            self.stdout.write(
                f"Insights: {made['answers']} survey answers, {made['targets']} KPI targets, "
                f"{made['denominators']} branch denominators, {made['schedules']} report schedules, "
                f"{made['reports']} weekly report mailed to the manager; KPI rollup rebuilt."
            )
        self._summary()
        self._logins()
        if options["burst"]:
            call_command("radar", "burst", "--force", stdout=self.stdout, stderr=self.stderr)

    def _summary(self) -> None:
        by_stage: dict[str, dict[str, Any]] = {
            row["stage"]: dict(row)
            for row in Case.objects.values("stage").annotate(
                n=Count("id"),
                reopened=Count("id", filter=Q(reopen_count__gt=0)),
                resolved=Count("id", filter=Q(close_reason="resolved")),
                duplicate=Count("id", filter=Q(close_reason="duplicate")),
                spam=Count("id", filter=Q(close_reason="spam")),
            )
        }
        self.stdout.write(f"{'stage':<18}{'cases':>8}")
        self.stdout.write("-" * 60)
        for stage in Stage:
            row = by_stage.get(stage.value, {})
            detail = ""
            if stage == Stage.CLOSED and row:
                detail = f"resolved {row['resolved']} · duplicate {row['duplicate']} · spam {row['spam']}"
            elif row.get("reopened"):
                detail = f"of which reopened {row['reopened']}"
            self.stdout.write(f"{stage.value:<14}{_STAGE_ZH[stage.value]}{row.get('n', 0):>8}   {detail}")
        self.stdout.write("-" * 60)
        total = Case.objects.count()
        safety = Case.objects.filter(safety=True).count()
        self.stdout.write(f"{'total':<18}{total:>8}   S1 personal safety {safety} · customers {Customer.objects.count()}")

    def _logins(self) -> None:
        self.stdout.write(self.style.WARNING(
            "\nDemo logins — DEMO ONLY: published passwords, never use them on a real system."
        ))
        self.stdout.write(f"  {'login':<11}{'password':<22}{'roles':<11}who")
        for username, roles, departments, heads, display in data.USERS:
            where = ", ".join(departments) or "every department"
            head = f"; head of {', '.join(heads)}" if heads else ""
            self.stdout.write(f"  {username:<11}{data.demo_password(username):<22}{'+'.join(roles):<11}{display} ({where}{head})")
