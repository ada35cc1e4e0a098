"""`tingjian worker`: run the background task worker for the configured tasks backend.

The embedded default is django-tasks-db (`db_worker`); the Redis/RQ backend for scale-out
arrives with its own dependency later, and until then selecting it is a clear error.
"""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

DB_BACKEND = "django_tasks_db.DatabaseBackend"


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks-db by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*", help="queues to process, comma-separated; * for all (default)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds to wait when the queue is empty")
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
        parser.add_argument("--backend", default="default", help="the TASKS alias to work on")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["backend"]
        config = settings.TASKS.get(alias)
        if config is None:
            raise CommandError(f"No tasks backend named {alias!r} in settings.TASKS.")
        backend = config["BACKEND"]
        if backend != DB_BACKEND:
            raise CommandError(
                f"`tingjian worker` runs the database-backed queue ({DB_BACKEND}); "
                f"TINGJIAN_TASKS_BACKEND is {backend!r}, which is not supported yet. "
                "Unset TINGJIAN_TASKS_BACKEND to use the default."
            )
        kwargs: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "backend_name": alias,
            "reload": False,
        }
        if options["batch"]:
            kwargs["batch"] = True
        if options["max_tasks"] is not None:
            kwargs["max_tasks"] = options["max_tasks"]
        call_command("db_worker", **kwargs)
