"""What text intelligence suggests for a case, and what the agents' decisions teach it.

Suggestions are only suggestions: the case page shows them with their confidence and the
words behind them, and nothing is set without a person. When a person sets a case's
category or its safety flag, the case's text and their label are stored for the next
training (``textintel.learning.record_label``): confirmed if it was the suggestion,
corrected if not. Only the newest label of a case counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError

from tingjian.org.roles import Role, role_names
from tingjian.textintel import learning
from tingjian.textintel.classifiers import Prediction
from tingjian.textintel.keywords import keywords

from .models import Case, Direction

logger = logging.getLogger(__name__)
CUSTOMER_MESSAGES = 5
MAX_TEXT = 4000


def text_of(subject: str, inbound: Iterable[str]) -> str:
    """What a case is about in the customer's words: the subject and their first messages."""
    return "\n".join([subject, *islice(inbound, CUSTOMER_MESSAGES)])[:MAX_TEXT]


def case_text(case: Case) -> str:
    bodies = (
        case.messages.filter(direction=Direction.INBOUND).order_by("sent_at", "pk")
        .values_list("body", flat=True)[:CUSTOMER_MESSAGES]
    )
    return text_of(case.subject, bodies)


def suggest(text: str) -> dict[str, Prediction]:
    """Category, safety, sentiment and urgency of ``text``, each with its confidence."""
    return learning.predict_all(text)


def key_words(text: str) -> list[str]:
    return keywords(text)


def learn(case: Case, task: str, label: str, *, by: Any) -> None:
    """Remember a person's label of ``case`` for the next training; never blocks the change
    itself (a label the classifier cannot use, such as a top-level category, is skipped)."""
    if by is None or Role.SYSTEM in role_names(by):
        return
    text = case_text(case)
    if not text.strip():
        return
    predicted = learning.predict(task, text)
    try:
        learning.record_label(task, text, label, predicted_label=predicted.label, ref=f"case:{case.pk}", by=by)
    except ValidationError:
        logger.info("textintel: %s label of case %s not kept for training", task, case.pk)
