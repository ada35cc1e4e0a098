"""`tingjian worker`: run the background task worker for the configured tasks backend.

The embedded default is django-tasks-db, whose worker is its `db_worker` command. The
scale-out backend is django-tasks-rq (Redis): its tasks run in django-rq's `rqworker` with
the backend's own job class. Tingjian does not depend on rq yet, so selecting that backend
without the packages is a clear error here rather than a worker that silently does nothing.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

DB_BACKEND = "django_tasks_db.DatabaseBackend"
RQ_BACKEND = "django_tasks_rq.RQBackend"
RQ_JOB_CLASS = "django_tasks_rq.Job"
ALL_QUEUES = "*"


class Command(BaseCommand):
    help = "Run the background task worker for TASKS (django-tasks-db by default, or django-tasks-rq)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name", default=ALL_QUEUES,
            help="queues to process, comma-separated; * for every queue (default)",
        )
        parser.add_argument(
            "--exclude-queues", default="",
            help="with --queue-name=*: queues to leave alone, comma-separated (database queue only)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds to wait when the queue is empty (database queue only)")
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks (database queue only)")
        parser.add_argument("--backend", default="default", help="the settings.TASKS alias to work on (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["backend"]
        config = settings.TASKS.get(alias)
        if config is None:
            raise CommandError(f"No tasks backend named {alias!r} in settings.TASKS.")
        backend = config["BACKEND"]
        # Build the Chinese segmenter before the first task, not inside it (about a second).
        from tingjian.textintel.segment import tokens

        tokens("聽見")
        if backend == DB_BACKEND:
            self._run_db_worker(alias, options)
        elif backend == RQ_BACKEND:
            self._run_rq_worker(config, options)
        else:
            raise CommandError(
                f"The tasks backend {backend!r} (TINGJIAN_TASKS_BACKEND) has no worker that "
                f"`tingjian worker` knows how to run; use {DB_BACKEND} (the default) or {RQ_BACKEND}."
            )

    def _run_db_worker(self, alias: str, options: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "backend_name": alias,
            # Autoreload would fork a second worker under `make run`; runserver reloads the web side.
            "reload": False,
            "verbosity": options["verbosity"],
        }
        if options["exclude_queues"]:
            kwargs["exclude_queues"] = options["exclude_queues"]
        if options["batch"]:
            kwargs["batch"] = True
        if options["max_tasks"] is not None:
            kwargs["max_tasks"] = options["max_tasks"]
        self._start_ticking(options)
        call_command("db_worker", **kwargs)

    def _start_ticking(self, options: dict[str, Any]) -> None:
        """The periodic sweep and mailbox polling run as a self-rescheduling task (ops.periodic)."""
        if options["batch"]:
            return
        from tingjian.ops.periodic import ensure_ticking

        if ensure_ticking() and options["verbosity"]:
            self.stdout.write("Started the every-minute tick (sweep, mailbox polling).")

    def _run_rq_worker(self, config: dict[str, Any], options: dict[str, Any]) -> None:
        missing = [m for m in ("django_tasks_rq", "django_rq") if importlib.util.find_spec(m) is None]
        if missing:
            raise CommandError(
                f"TINGJIAN_TASKS_BACKEND is {RQ_BACKEND} but {' and '.join(missing)} "
                "is not installed: `pip install django-tasks-rq`, or unset TINGJIAN_TASKS_BACKEND "
                "to use the database-backed queue."
            )
        if "rqworker" not in get_commands():
            raise CommandError(
                "django-rq is installed but not in INSTALLED_APPS: add \"django_rq\" and "
                "\"django_tasks_rq\" there and configure RQ_QUEUES."
            )
        if options["exclude_queues"] or options["max_tasks"] is not None:
            raise CommandError("--exclude-queues and --max-tasks work with the database queue only.")
        if options["queue_name"] == ALL_QUEUES:
            queues = list(config.get("QUEUES") or ["default"])
        else:
            queues = [q.strip() for q in options["queue_name"].split(",") if q.strip()]
        self._start_ticking(options)
        # with_scheduler: the SLA timers and the minute tick are enqueued with run_after,
        # which RQ keeps in its scheduled registry; a worker without its scheduler never
        # moves them to the queue. RQ elects one scheduler among many workers itself.
        call_command(
            "rqworker", *queues, job_class=RQ_JOB_CLASS, burst=options["batch"],
            with_scheduler=True, verbosity=options["verbosity"],
        )
