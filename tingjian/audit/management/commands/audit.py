from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tingjian.audit import services


class Command(BaseCommand):
    help = "Audit trail tools. `tingjian audit verify` checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = services.verify()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event {broken.event_id}: {broken.problem} "
                f"({checked} events checked)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
