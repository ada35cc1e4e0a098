import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tingjian.cases.models import Case, Stage
from tingjian.demo import builder, data


class Command(BaseCommand):
    help = f"Load the demo company {data.COMPANY} with its people and cases (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=300, help="how many cases on a first run (default 300)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        users = builder.build_structure()
        if Case.objects.exists():
            self.stdout.write(f"Demo data already present ({Case.objects.count()} cases); nothing new created.")
        else:
            self.stdout.write(f"Creating {options['cases']} demo cases through the workflow engine…")
            builder.build_cases(users, count=options["cases"])
            counts = {s.value: Case.objects.filter(stage=s).count() for s in Stage}
            self.stdout.write("  " + "  ".join(f"{k}: {v}" for k, v in counts.items()))
            self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self.stdout.write(self.style.WARNING("\nDemo logins — DEMO ONLY, never use these passwords anywhere real:"))
        for username, role, departments, _head, display in data.USERS:
            where = ", ".join(departments) or "all"
            self.stdout.write(f"  {username:<10} {data.demo_password(username):<22} {role:<10} {display} ({where})")
