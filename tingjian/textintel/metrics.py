"""Precision, recall and F1 per label, computed here and printed as a table.

Computed by hand (a dozen lines) rather than with scikit-learn's ``classification_report``
so the numbers the command prints and the numbers the tests check come from one function,
and a label nobody predicted gets precision 0 instead of a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """How one task's classifier did on examples it was not trained on."""

    task: str
    scores: tuple[LabelScore, ...]
    macro: LabelScore  # the unweighted mean over labels; support is the number of examples
    accuracy: float
    train_size: int
    test_size: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(
    task: str, truth: Sequence[str], predicted: Sequence[str], *, labels: Iterable[str] = (),
    train_size: int = 0,
) -> Evaluation:
    """Score ``predicted`` against ``truth``, one label at a time.

    Labels are those in ``labels`` (in that order), then any other label found in
    ``truth`` or ``predicted`` (sorted). Precision of a label never predicted is 0; recall
    of a label absent from ``truth`` is 0 (its support, 0, says why).
    """
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions must be as long as each other")
    ordered = list(dict.fromkeys(labels))
    ordered += sorted((set(truth) | set(predicted)) - set(ordered))
    scores = []
    for label in ordered:
        true_positive = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == label)
        predicted_count = sum(1 for p in predicted if p == label)
        support = sum(1 for t in truth if t == label)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / support if support else 0.0
        scores.append(LabelScore(label, precision, recall, _f1(precision, recall), support))
    counted = [s for s in scores if s.support or any(p == s.label for p in predicted)]
    count = len(counted) or 1
    macro = LabelScore(
        "macro avg",
        precision=sum(s.precision for s in counted) / count,
        recall=sum(s.recall for s in counted) / count,
        f1=sum(s.f1 for s in counted) / count,
        support=len(truth),
    )
    correct = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p)
    return Evaluation(
        task=task, scores=tuple(scores), macro=macro,
        accuracy=correct / len(truth) if truth else 0.0, train_size=train_size, test_size=len(truth),
    )


def table(evaluation: Evaluation) -> str:
    """The evaluation as an aligned plain-text table, one label a line, macro average last."""
    rows = [*evaluation.scores, evaluation.macro]
    width = max(len("label"), *(len(row.label) for row in rows))
    header = f"{'label':<{width}}  precision  recall      f1  support"
    lines = [header, "-" * len(header)]
    for row in rows:
        if row is evaluation.macro:
            lines.append("-" * len(header))
        lines.append(
            f"{row.label:<{width}}  {row.precision:9.3f}  {row.recall:6.3f}  {row.f1:6.3f}  {row.support:7d}"
        )
    lines.append(
        f"{'accuracy':<{width}}  {evaluation.accuracy:9.3f}  "
        f"(trained on {evaluation.train_size}, tested on {evaluation.test_size} held-out examples)"
    )
    return "\n".join(lines)
