"""Classifiers that learn: category, personal safety, sentiment and urgency of a text.

Responsible for: suggesting a label with a confidence for each task (``predict``,
``predict_all``), storing an agent's confirmation or correction of a suggestion
(``record_label``), training from the repository's labelled set plus those labels
(``train``) and judging a classifier on examples it never saw (``evaluate``).
Must never: import another Tingjian app (cases calls in, never the reverse), load a model
that can run code (parameters are plain JSON), or report a score measured on training rows.

Start from rules, then learn: until someone runs ``tingjian textintel train``, each
process fits its models from the repository's labelled set on first use (a few seconds,
once) so a fresh install suggests labels at once. Personal safety keeps its lexicon as a
rule layer the model can only add to (``safety.combine``). After training, the newest
``TrainedModel`` row per task is used; processes notice a new one within
``MODEL_CHECK_SECONDS``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from . import dataset, dictionary, metrics, segment
from .classifiers import Prediction
from .dataset import TASK_LABELS, TASKS, Example
from .features import BIGRAM_PREFIX, features, surface
from .keywords import is_salient
from .linear import LinearModel, fit
from .models import ExampleSource, Task, TrainedModel, TrainingExample
from .safety import classify_safety, combine, current_lexicon
from .script import to_simplified

logger = logging.getLogger(__name__)

MODEL_CHECK_SECONDS = 30.0
MAX_EVIDENCE = 3
# The models read the beginning of a text: a 200,000-character email thread says what it
# is about long before its end, and segmenting all of it would take a second. (The safety
# lexicon still reads every character.)
MAX_MODEL_CHARACTERS = 10_000
DEFAULT_TEST_SIZE = 0.25
# A category label is a category's code: a slug, as the org app's codes are.
_CATEGORY_CODE = re.compile(r"[-a-zA-Z0-9_]{1,60}")
_LATIN_WORD_CHARACTER = re.compile(r"[a-z0-9]")


@dataclass
class _Current:
    version: int | None  # None: the model fitted from the repository's set
    model: LinearModel
    checked_at: float


_lock = threading.Lock()
_defaults: dict[str, LinearModel] = {}
_current: dict[str, _Current] = {}
# The repository texts' features, shared by the four tasks, for one set of domain words.
_repo_features: tuple[tuple[str, ...], dict[str, list[str]]] | None = None


# -- models in use ----------------------------------------------------------------------------

def repo_features() -> dict[str, list[str]]:
    """The features of every repository text, computed once per dictionary state.

    Segmenting the set takes about half a second; the four tasks and every training run
    share it. A change of domain words changes segmentation, so it starts again.
    """
    global _repo_features
    key = segment.domain_words()
    cached = _repo_features
    if cached is None or cached[0] != key:
        cached = (key, {row["text"]: features(row["text"]) for row in dataset.repo_rows()})
        _repo_features = cached
    return cached[1]


def default_model(task: str) -> LinearModel:
    """The model fitted from the repository's labelled set alone, once per process."""
    model = _defaults.get(task)
    if model is None:
        with _lock:
            model = _defaults.get(task)
            if model is None:
                examples = dataset.repo_examples(task)
                documents = repo_features()
                model, _classifier, _vectorizer = fit(
                    [documents[e.text] for e in examples], [e.label for e in examples]
                )
                _defaults[task] = model
    return model


def current_model(task: str) -> LinearModel:
    """The newest trained model of ``task``, or the default when none was trained.

    One indexed query per ``MODEL_CHECK_SECONDS`` asks for the newest version; the
    parameters are read only when it changed.
    """
    now = time.monotonic()
    entry = _current.get(task)
    if entry is not None and now - entry.checked_at < MODEL_CHECK_SECONDS:
        return entry.model
    version = TrainedModel.objects.filter(task=task).aggregate(newest=Max("version"))["newest"]
    if entry is not None and entry.version == version:
        model = entry.model
    elif version is None:
        model = default_model(task)
    else:
        params = TrainedModel.objects.values_list("params", flat=True).get(task=task, version=version)
        try:
            model = LinearModel.from_params(params)
        except (KeyError, TypeError, ValueError):
            # A damaged row must not stop intake: suggest from the default and say so.
            logger.exception("textintel: trained model %s v%s is unreadable; using the default", task, version)
            model = default_model(task)
    _current[task] = _Current(version=version, model=model, checked_at=now)
    return model


def forget_models() -> None:
    """Drop the trained models this process loaded (tests; the default ones are kept)."""
    _current.clear()


# -- predicting ----------------------------------------------------------------------------------

def _quote(text: str, simplified: str, feature: str) -> str | None:
    """Where ``feature`` appears in ``text``, quoted from the original (便當 for 便当)."""
    needle = surface(feature)
    latin = bool(_LATIN_WORD_CHARACTER.match(needle[:1]))
    if latin:
        # A whole word: "hot" is not the start of "photo".
        match = re.search(rf"(?<![a-z0-9]){re.escape(needle)}", simplified)
        start = match.start() if match else -1
    else:
        start = simplified.find(needle)
    if start < 0:
        return None
    end = start + len(needle)
    if latin:
        # A stem (invoic) is quoted as the word it came from (Invoices).
        while end < len(text) and _LATIN_WORD_CHARACTER.match(simplified[end]):
            end += 1
    return text[start:end]


def evidence(text: str, reasons: Sequence[tuple[str, float]], *, limit: int = MAX_EVIDENCE) -> tuple[str, ...]:
    """The strongest telling words among the features, quoted from ``text``.

    Words only, and only words that can say something (``keywords.is_salient``): a
    character pair (個小) or a filler (已經) may weigh in the model but explains nothing
    to an agent. A character pair is quoted only when no word qualifies. A quote lying
    inside another is skipped.
    """
    simplified = to_simplified(text).lower()
    if len(simplified) != len(text):
        return ()
    words = [feature for feature, _weight in reasons if surface(feature) == feature and is_salient(feature)]
    pairs = [feature for feature, _weight in reasons if feature.startswith(BIGRAM_PREFIX)]
    quotes: list[str] = []
    for feature in words or pairs[:1]:
        quote = _quote(text, simplified, feature)
        if quote and not any(quote in chosen or chosen in quote for chosen in quotes):
            quotes.append(quote)
            if len(quotes) == limit:
                break
    return tuple(quotes)


def _prediction(model: LinearModel, text: str) -> Prediction:
    text = text[:MAX_MODEL_CHARACTERS]
    scored = model.score(features(text))
    confidence = min(1.0, max(0.0, scored.probabilities[scored.label]))
    return Prediction(label=scored.label, confidence=confidence, evidence=evidence(text, scored.reasons))


def model_prediction(task: str, text: str) -> Prediction:
    """What the learnt model alone says of ``text`` (no rule layer)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    dictionary.refresh()
    return _prediction(current_model(task), text)


def predict(task: str, text: str) -> Prediction:
    """The suggested label of ``text`` for ``task``; safety is the lexicon or the model."""
    if task == Task.SAFETY:
        return classify_safety(text)
    return model_prediction(task, text)


def predict_all(text: str) -> dict[str, Prediction]:
    """Every task's suggestion for ``text``, keyed by task: what the case page shows."""
    return {task: predict(task, text) for task in TASKS}


# -- agents' labels ------------------------------------------------------------------------------

def _check_label(task: str, label: str) -> str:
    label = label.strip()
    fixed = TASK_LABELS.get(task)
    valid = label in fixed if fixed else bool(_CATEGORY_CODE.fullmatch(label))
    if not valid:
        raise ValidationError({"label": ValidationError(
            _("「%(label)s」 is not a label of %(task)s."), code="invalid_label",
            params={"label": label, "task": Task(task).label},
        )})
    return label


def record_label(
    task: str, text: str, label: str, *, predicted_label: str = "", ref: str = "",
    source: str | None = None, by: Any = None,
) -> TrainingExample:
    """Store an agent's label for ``text`` (a suggestion accepted or changed) for the next
    training. ``source`` defaults to confirmed when the label is the suggestion, corrected
    otherwise; ``ref`` names what was labelled ("case:123") so a later change replaces it.
    """
    if task not in TASKS:
        raise ValidationError({"task": ValidationError(_("Unknown task."), code="invalid_task")})
    if not text.strip():
        raise ValidationError({"text": ValidationError(_("There is no text to learn from."), code="empty")})
    label = _check_label(task, label)
    if source is None:
        source = ExampleSource.AGENT_CONFIRMED if predicted_label == label else ExampleSource.AGENT_CORRECTED
    if source not in (ExampleSource.AGENT_CONFIRMED, ExampleSource.AGENT_CORRECTED):
        raise ValidationError({"source": ValidationError(_("Unknown source of a label."), code="invalid_source")})
    return TrainingExample.objects.create(
        task=task, text=text[:MAX_MODEL_CHARACTERS], label=label, source=source, ref=ref[:100],
        predicted_label=predicted_label[:60], created_by=by,
    )


# -- training and evaluating ------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingReport:
    task: str
    version: int
    repo_examples: int
    agent_examples: int
    evaluation: metrics.Evaluation


def _tasks(task: str | None) -> tuple[str, ...]:
    if task is None:
        return TASKS
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    return (task,)


class _Features:
    """Features of each distinct text, computed once per training or evaluation run."""

    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = dict(repo_features())

    def __call__(self, examples: Sequence[Example]) -> list[list[str]]:
        for example in examples:
            if example.text not in self._cache:
                self._cache[example.text] = features(example.text)
        return [self._cache[example.text] for example in examples]


def _held_out(
    task: str, examples: Sequence[Example], featurised: Sequence[list[str]], *, seed: int, test_size: float,
) -> dict[str, metrics.Evaluation]:
    """Fit on a stratified part of ``examples``, score on the rest; safety also scores its
    rule layer alone on the same rest (``safety_lexicon``), to show what the model adds."""
    labels = [example.label for example in examples]
    train_rows, test_rows = dataset.stratified_split(labels, test_size=test_size, seed=seed)
    model, _classifier, _vectorizer = fit(
        [featurised[i] for i in train_rows], [labels[i] for i in train_rows],
        weights=[examples[i].weight for i in train_rows], seed=seed,
    )
    truth = [labels[i] for i in test_rows]
    texts = [examples[i].text for i in test_rows]
    results = {}
    if task == Task.SAFETY:
        lexicon = current_lexicon()
        rules = [lexicon.predict(text) for text in texts]
        predicted = [
            combine(rule, partial(_prediction_from_features, model, featurised[i])).label
            for rule, i in zip(rules, test_rows, strict=True)
        ]
        results["safety_lexicon"] = metrics.score(
            "safety_lexicon", truth, [rule.label for rule in rules], labels=TASK_LABELS[task], train_size=0,
        )
    else:
        predicted = [model.score(featurised[i]).label for i in test_rows]
    results[task] = metrics.score(
        task, truth, predicted, labels=TASK_LABELS.get(task, ()), train_size=len(train_rows),
    )
    return dict(sorted(results.items(), key=lambda item: item[0] != task))


def _prediction_from_features(model: LinearModel, featurised: list[str]) -> Prediction:
    scored = model.score(featurised)
    return Prediction(label=scored.label, confidence=min(1.0, max(0.0, scored.probabilities[scored.label])))


def evaluate(
    task: str | None = None, *, seed: int = 0, test_size: float = DEFAULT_TEST_SIZE,
) -> dict[str, metrics.Evaluation]:
    """Per-label precision, recall and F1 of each task on a held-out split of the
    repository's set plus agents' labels, keyed by task (and ``safety_lexicon``).

    The model scored is fitted on the training part only, so no score is measured on a
    text the model was trained on. Nothing is saved.
    """
    dictionary.refresh()
    featurise = _Features()
    results: dict[str, metrics.Evaluation] = {}
    for name in _tasks(task):
        examples = dataset.all_examples(name)
        results.update(_held_out(name, examples, featurise(examples), seed=seed, test_size=test_size))
    return results


def train(
    task: str | None = None, *, seed: int = 0, test_size: float = DEFAULT_TEST_SIZE,
) -> dict[str, TrainingReport]:
    """Fit each task's model on every example (repository and agents), save it as the next
    ``TrainedModel`` version and use it in this process at once.

    The saved metrics are the held-out ones of :func:`evaluate` for the same seed: the
    saved model itself saw every example, so it cannot be scored honestly on any of them.
    """
    dictionary.refresh()
    featurise = _Features()
    reports: dict[str, TrainingReport] = {}
    for name in _tasks(task):
        examples = dataset.all_examples(name)
        featurised = featurise(examples)
        evaluation = _held_out(name, examples, featurised, seed=seed, test_size=test_size)[name]
        model, _classifier, _vectorizer = fit(
            featurised, [e.label for e in examples], weights=[e.weight for e in examples], seed=seed,
        )
        repo_count = sum(1 for e in examples if e.source == ExampleSource.REPO)
        with transaction.atomic():
            newest = TrainedModel.objects.filter(task=name).aggregate(newest=Max("version"))["newest"]
            row = TrainedModel.objects.create(
                task=name, version=(newest or 0) + 1, params=model.params(),
                metrics=evaluation.as_dict(), repo_examples=repo_count,
                agent_examples=len(examples) - repo_count, seed=seed,
            )
        # Use what other processes will read: the saved, rounded parameters.
        saved = LinearModel.from_params(row.params)
        _current[name] = _Current(version=row.version, model=saved, checked_at=time.monotonic())
        reports[name] = TrainingReport(
            task=name, version=row.version, repo_examples=repo_count,
            agent_examples=len(examples) - repo_count, evaluation=evaluation,
        )
    return reports

