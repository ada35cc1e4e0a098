"""A linear text classifier: fitted with scikit-learn, kept and run as plain numbers.

scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression`` do the fitting; what is kept
is what prediction needs: the vocabulary, the idf weights, the coefficients and the
intercepts. They go to the database as JSON (``TrainedModel.params``) rather than as a
pickle, so loading a row can never run code, and prediction needs only numpy: one text is
a handful of dictionary look-ups and a small dot product, well under a millisecond.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # imported when fitting only: scikit-learn takes seconds to import cold
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

PARAMS_FORMAT = 1
# A feature must occur in this many training texts to be kept: one seen once (a typo, an
# order number) cannot generalise, and dropping them shrinks the vocabulary threefold.
MIN_DOCUMENTS = 2
# Inverse regularisation strength, chosen by 4-fold cross-validation inside a training
# split of the repository's set (never on held-out rows) among 1, 4 and 10: macro F1 moved
# by at most 0.02 between them, so the middle value is kept rather than tuned per task.
REGULARISATION_C = 4.0
# Coefficients are kept to this many significant digits: enough to give the same
# probabilities as scikit-learn to within 1e-5, a third of the JSON size of full floats.
SIGNIFICANT_DIGITS = 7


class TrainingFailed(ValueError):
    """The examples cannot make a classifier (fewer than two labels, no words at all)."""


def _identity(document: Sequence[str]) -> Sequence[str]:
    return document


def _round(values: np.ndarray) -> list[float]:
    return [float(f"{value:.{SIGNIFICANT_DIGITS}g}") for value in values.tolist()]


@dataclass(frozen=True, eq=False)
class Scored:
    """The probabilities of one text, and what each of its features weighed."""

    probabilities: dict[str, float]
    label: str
    # (feature, contribution to ``label``), the strongest first; positive ones only.
    reasons: tuple[tuple[str, float], ...]


class LinearModel:
    """A fitted tf-idf + logistic regression classifier, without scikit-learn."""

    def __init__(
        self, *, labels: Sequence[str], vocabulary: Sequence[str], idf: Sequence[float],
        coef: Sequence[Sequence[float]], intercept: Sequence[float], sublinear_tf: bool = True,
    ) -> None:
        self.labels = tuple(labels)
        self.features = tuple(vocabulary)
        self.vocabulary = {feature: index for index, feature in enumerate(self.features)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.sublinear_tf = sublinear_tf
        binary = len(self.labels) == 2
        if len(self.labels) < 2 or self.coef.shape != ((1 if binary else len(self.labels)), len(self.idf)):
            raise ValueError("the parameters do not describe one linear model")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> LinearModel:
        if params.get("format") != PARAMS_FORMAT:
            raise ValueError(f"unknown model parameters format {params.get('format')!r}")
        return cls(
            labels=params["labels"], vocabulary=params["vocabulary"], idf=params["idf"],
            coef=params["coef"], intercept=params["intercept"], sublinear_tf=params["sublinear_tf"],
        )

    def params(self) -> dict[str, Any]:
        """Everything :meth:`from_params` needs, as JSON-ready lists and numbers."""
        return {
            "format": PARAMS_FORMAT, "labels": list(self.labels), "vocabulary": list(self.features),
            "idf": _round(self.idf), "coef": [_round(row) for row in self.coef],
            "intercept": _round(self.intercept), "sublinear_tf": self.sublinear_tf,
        }

    def _vector(self, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The text's tf-idf vector as (column indexes, L2-normalised values)."""
        counts = Counter(feature for feature in features if feature in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        columns = np.fromiter((self.vocabulary[f] for f in counts), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        values = tf * self.idf[columns]
        norm = math.sqrt(float(values @ values))
        return columns, values / norm if norm else values

    def score(self, features: Sequence[str]) -> Scored:
        """Probability of every label (as ``predict_proba`` would give), the likeliest label
        and the features that pushed towards it."""
        columns, values = self._vector(features)
        decision = self.coef[:, columns] @ values + self.intercept
        if len(self.labels) == 2:
            positive = 1.0 / (1.0 + math.exp(-float(decision[0])))
            probabilities = np.array([1.0 - positive, positive])
            weights = self.coef[0, columns] * values
            best = int(probabilities.argmax())
            contributions = weights if best == 1 else -weights
        else:
            shifted = np.exp(decision - decision.max())
            probabilities = shifted / shifted.sum()
            best = int(probabilities.argmax())
            contributions = self.coef[best, columns] * values
        order = np.argsort(-contributions, kind="stable")
        reasons = tuple(
            (self.features[columns[i]], float(contributions[i])) for i in order if contributions[i] > 0
        )
        return Scored(
            probabilities=dict(zip(self.labels, map(float, probabilities), strict=True)),
            label=self.labels[best], reasons=reasons,
        )


def fit(
    documents: Sequence[Sequence[str]], labels: Sequence[str], *,
    weights: Sequence[float] | None = None, seed: int = 0,
) -> tuple[LinearModel, LogisticRegression, TfidfVectorizer]:
    """Fit a classifier on featurised ``documents``; return it and the scikit-learn parts
    (which the tests compare it with).

    ``class_weight="balanced"``: a rare label (a burn, a double charge) counts as much as a
    common one, or the model would learn to answer "late delivery" to everything.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise TrainingFailed("at least two different labels are needed to train a classifier")
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2", min_df=MIN_DOCUMENTS)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError as error:  # every document empty
        raise TrainingFailed(str(error)) from error
    classifier = LogisticRegression(
        C=REGULARISATION_C, class_weight="balanced", max_iter=5000, random_state=seed,
    )
    classifier.fit(matrix, list(labels), sample_weight=None if weights is None else np.asarray(weights))
    model = LinearModel(
        labels=[str(label) for label in classifier.classes_],
        vocabulary=list(vectorizer.get_feature_names_out()),
        idf=vectorizer.idf_, coef=classifier.coef_, intercept=classifier.intercept_,
    )
    return model, classifier, vectorizer
