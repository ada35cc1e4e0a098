"""The linear model kept as JSON predicts what scikit-learn predicted, without it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tingjian.textintel.features import BIGRAM_PREFIX, features, han_bigrams
from tingjian.textintel.linear import LinearModel, TrainingFailed, fit

TEXTS = [
    ("湯是冷的，麵也糊了", "temperature"), ("湯送到時已經冷掉", "temperature"), ("The soup was cold", "temperature"),
    ("cold noodles again", "temperature"), ("發票統編打錯了", "invoice"), ("发票抬头错了", "invoice"),
    ("wrong tax ID on the invoice", "invoice"), ("invoice amount is wrong", "invoice"),
    ("店員態度很差", "rude"), ("服务员态度很差", "rude"), ("the cashier was rude", "rude"), ("rude staff, rude manager", "rude"),
]


def _fitted(labels: list[str] | None = None) -> tuple[LinearModel, object, object, list[list[str]]]:
    documents = [features(text) for text, _label in TEXTS]
    model, classifier, vectorizer = fit(documents, labels or [label for _text, label in TEXTS])
    return model, classifier, vectorizer, documents


@pytest.mark.parametrize("binary", [False, True])
def test_parameters_round_trip_through_json_and_predict_as_scikit_learn_did(binary: bool) -> None:
    labels = [("temp" if label == "temperature" else "other") for _t, label in TEXTS] if binary else None
    model, classifier, vectorizer, documents = _fitted(labels)
    restored = LinearModel.from_params(json.loads(json.dumps(model.params())))
    unseen = [features(text) for text in ("冷掉的湯", "invoice wrong", "很差的服務", "")]
    for document in documents + unseen:
        expected = classifier.predict_proba(vectorizer.transform([document]))[0]  # type: ignore[attr-defined]
        scored = restored.score(document)
        got = np.array([scored.probabilities[label] for label in restored.labels])
        assert list(restored.labels) == list(classifier.classes_)  # type: ignore[attr-defined]
        assert np.allclose(got, expected, atol=1e-5)
        assert scored.label == classifier.predict(vectorizer.transform([document]))[0]  # type: ignore[attr-defined]


def test_parameters_are_plain_json_numbers_and_strings() -> None:
    params = _fitted()[0].params()
    text = json.dumps(params)
    assert "pickle" not in text
    assert set(params) == {"format", "labels", "vocabulary", "idf", "coef", "intercept", "sublinear_tf"}
    assert all(isinstance(value, float) for row in params["coef"] for value in row)


def test_reasons_are_the_features_that_pushed_towards_the_label() -> None:
    model = _fitted()[0]
    scored = model.score(features("發票的統編又打錯了"))
    assert scored.label == "invoice"
    assert scored.reasons and all(weight > 0 for _feature, weight in scored.reasons)
    assert {"发票", BIGRAM_PREFIX + "发票"} & {feature for feature, _weight in scored.reasons}


def test_one_label_cannot_make_a_classifier() -> None:
    with pytest.raises(TrainingFailed, match="two different labels"):
        fit([["冷"], ["热"]], ["a", "a"])


def test_parameters_of_another_format_are_refused() -> None:
    params = _fitted()[0].params() | {"format": 99}
    with pytest.raises(ValueError, match="format"):
        LinearModel.from_params(params)


def test_han_bigrams_stay_inside_runs_of_han_characters() -> None:
    assert han_bigrams("发票abc错了") == [BIGRAM_PREFIX + "发票", BIGRAM_PREFIX + "错了"]


def test_traditional_and_simplified_texts_have_the_same_features() -> None:
    assert features("便當裡有頭髮，發票也開錯了") == features("便当里有头发，发票也开错了")


def test_english_word_pairs_keep_a_negation_with_its_word() -> None:
    assert "w:not hot" in features("The soup was not hot")
