from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tingjian.cases.models import PolicyVersion
from tingjian.cases.workflow.policy import PolicyError, load_policy_file


class Command(BaseCommand):
    help = "Service policy versions: `tingjian policy load FILE`, `tingjian policy list`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load a policy file as a new version (same content: same version)")
        load.add_argument("file", nargs="?", default=None)
        sub.add_parser("list", help="list loaded versions")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for v in PolicyVersion.objects.order_by("number"):
                self.stdout.write(f"v{v.number}  {v.loaded_at:%Y-%m-%d %H:%M}  {v.source}  {v.name}  ({v.cases.count()} cases)")
            return
        path = Path(options["file"] or Path(settings.TINGJIAN_POLICY_DIR) / "default.toml")
        before = PolicyVersion.objects.count()
        try:
            version = load_policy_file(path)
        except PolicyError as exc:
            raise CommandError("Policy refused:\n  - " + "\n  - ".join(exc.problems)) from exc
        if PolicyVersion.objects.count() == before:
            self.stdout.write(f"{path} is already loaded as version {version.number}; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded {path} as version {version.number}; new cases use it."))
