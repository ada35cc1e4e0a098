"""What every text classifier in Tingjian gives and takes, whatever is inside it.

A lexicon today, a trained model later: callers (intake, triage, the agent's case page)
depend on this interface only, so a classifier can be replaced without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Prediction:
    """One answer of one classifier about one text.

    ``confidence`` (0 to 1) is the classifier's confidence in ``label``; ``evidence`` is what
    made it decide, quoted from the text, shown to agents as the reason.
    """

    label: str
    confidence: float
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")


class Classifier(Protocol):
    name: str

    def predict(self, text: str) -> Prediction: ...
