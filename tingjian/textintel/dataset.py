"""The labelled texts the classifiers learn from, and the held-out split they are judged on.

Two sources: the set written for the repository (``data/labelled.csv``; where its labels
came from is in ``data/README.md``) and the labels agents confirmed or corrected in the
product (``TrainingExample`` rows). Agents' labels weigh more (``AGENT_WEIGHT``): they are
the company's own texts and the mistakes the model actually made.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .models import ExampleSource, Task, TrainingExample

LABELLED_SET = Path(__file__).resolve().parent / "data" / "labelled.csv"
TASKS: tuple[str, ...] = tuple(Task.values)
# The fixed labels of each task; a category is any code of the organisation's categories,
# so its labels are whatever the examples use.
TASK_LABELS: dict[str, tuple[str, ...]] = {
    Task.SAFETY: ("safety", "not_safety"),
    Task.SENTIMENT: ("negative", "neutral", "positive"),
    Task.URGENCY: ("high", "normal", "low"),
}
# One agent's label counts as this many repository examples: without it, a correction is
# one voice against seven hundred and rarely changes the next model.
AGENT_WEIGHT = 3.0
REPO_WEIGHT = 1.0


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    weight: float = REPO_WEIGHT


@cache
def repo_rows() -> tuple[dict[str, str], ...]:
    """The rows of the repository's labelled set, read once per process."""
    with open(LABELLED_SET, encoding="utf-8", newline="") as file:
        return tuple(csv.DictReader(file))


def repo_examples(task: str) -> list[Example]:
    return [
        Example(text=row["text"], label=row[task], source=ExampleSource.REPO)
        for row in repo_rows() if row.get(task)
    ]


def agent_examples(task: str) -> list[Example]:
    """Agents' labels for ``task``, the newest per case when an agent changed their mind."""
    seen_refs: set[str] = set()
    examples = []
    rows = TrainingExample.objects.filter(task=task).order_by("-created_at", "-id")
    for text, label, source, ref in rows.values_list("text", "label", "source", "ref").iterator():
        if ref:
            if ref in seen_refs:
                continue
            seen_refs.add(ref)
        examples.append(Example(text=text, label=label, source=source, weight=AGENT_WEIGHT))
    examples.reverse()  # oldest first, as they were written: the order does not matter to a fit
    return examples


def all_examples(task: str) -> list[Example]:
    """The repository's examples and the agents', one per distinct text.

    The newest label of a text wins (an agent's over the repository's): the same words
    under two labels would teach nothing, and the same text on both sides of a held-out
    split would make the score a memory test.
    """
    by_text: dict[str, Example] = {}
    for example in repo_examples(task) + agent_examples(task):  # oldest first
        by_text.pop(example.text, None)
        by_text[example.text] = example
    return list(by_text.values())


def stratified_split(
    labels: Sequence[str], *, test_size: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indexes of a training and a held-out part with each label in both, in proportion.

    Written here rather than taken from scikit-learn because a label with a single
    example (a new category an agent just used) must not fail the split: it goes to
    training, where it can at least be learnt. Deterministic for a given ``seed``.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError("test_size must be between 0 and 1")
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    random = np.random.default_rng(seed)
    train: list[int] = []
    test: list[int] = []
    for label in sorted(by_label):
        indexes = by_label[label]
        shuffled = [indexes[i] for i in random.permutation(len(indexes))]
        held_out = 0 if len(indexes) < 2 else min(len(indexes) - 1, max(1, round(len(indexes) * test_size)))
        test.extend(shuffled[:held_out])
        train.extend(shuffled[held_out:])
    return sorted(train), sorted(test)
