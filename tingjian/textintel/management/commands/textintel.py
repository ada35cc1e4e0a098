"""`tingjian textintel`: train and judge the text classifiers from the console.

    tingjian textintel evaluate [--task T] [--seed N] [--test-size F]
        (precision, recall and F1 per label on a held-out split; nothing is saved)
    tingjian textintel train [--task T] [--seed N] [--test-size F]
        (fit on every example, save a new model version per task, print its held-out scores)

Examples are the repository's labelled set (textintel/data/labelled.csv) plus the labels
agents confirmed or corrected in the product.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tingjian.textintel import learning, metrics
from tingjian.textintel.dataset import TASKS
from tingjian.textintel.linear import TrainingFailed


class Command(BaseCommand):
    help = "Text classifiers: evaluate them on a held-out split, or train and save them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for action in ("train", "evaluate"):
            p = sub.add_parser(action)
            p.add_argument("--task", choices=TASKS, help="one task (default: all)")
            p.add_argument("--seed", type=int, default=0, help="seed of the held-out split")
            p.add_argument(
                "--test-size", type=float, default=learning.DEFAULT_TEST_SIZE,
                help="share of each label held out for scoring (default 0.25)",
            )

    def _print(self, title: str, evaluation: metrics.Evaluation) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        self.stdout.write(metrics.table(evaluation))
        self.stdout.write("")

    def handle(self, *args: Any, **options: Any) -> None:
        task, seed, test_size = options["task"], options["seed"], options["test_size"]
        if not 0.0 < test_size < 1.0:
            raise CommandError("--test-size must be between 0 and 1")
        try:
            if options["action"] == "evaluate":
                for name, evaluation in learning.evaluate(task, seed=seed, test_size=test_size).items():
                    title = (
                        "safety, lexicon alone (the rule layer, for comparison)" if name == "safety_lexicon"
                        else f"{name} (held-out split, seed {seed})"
                    )
                    self._print(title, evaluation)
            else:
                for name, report in learning.train(task, seed=seed, test_size=test_size).items():
                    self._print(
                        f"{name}: saved version {report.version} "
                        f"({report.repo_examples} repository + {report.agent_examples} agent examples); "
                        f"held-out scores, seed {seed}",
                        report.evaluation,
                    )
        except TrainingFailed as error:
            raise CommandError(str(error)) from error
