"""The classifiers: suggestions, agents' labels, training and honest evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tingjian.textintel import dataset, learning
from tingjian.textintel.classifiers import Prediction
from tingjian.textintel.dataset import AGENT_WEIGHT, stratified_split
from tingjian.textintel.models import ExampleSource, TrainedModel, TrainingExample

pytestmark = pytest.mark.django_db

TRADITIONAL = "外送的牛肉麵送到時湯是冷的，麵也糊了，發票也開錯了"
SIMPLIFIED = "外送的牛肉面送到时汤是冷的，面也糊了，发票也开错了"



@pytest.fixture(autouse=True)
def _no_saved_models(db: Any) -> None:
    # ``migrate`` saved version 1 of each model (textintel.apps); these tests count versions
    # from an empty table, as on a database that never trained.
    TrainedModel.objects.all().delete()


def test_every_task_suggests_a_label_with_a_confidence() -> None:
    suggestions = learning.predict_all("我在台北信義店被店員打翻的熱湯燙傷，手臂起水泡")
    assert set(suggestions) == {"category", "safety", "sentiment", "urgency"}
    assert all(isinstance(p, Prediction) and 0 < p.confidence <= 1 for p in suggestions.values())
    assert suggestions["category"].label == "burn"
    assert suggestions["safety"].label == "safety"
    assert suggestions["urgency"].label == "high"


def test_traditional_and_simplified_texts_get_the_same_suggestions() -> None:
    traditional, simplified = learning.predict_all(TRADITIONAL), learning.predict_all(SIMPLIFIED)
    for task in traditional:
        assert traditional[task].label == simplified[task].label, task
        assert traditional[task].confidence == pytest.approx(simplified[task].confidence)


def test_evidence_is_quoted_from_the_text_in_its_own_script() -> None:
    prediction = learning.predict("category", "我的電子發票統編打錯了，請重開發票")
    assert prediction.label == "invoice-error"
    assert prediction.evidence
    assert all(quote in "我的電子發票統編打錯了，請重開發票" for quote in prediction.evidence)


def test_praise_is_positive_and_low_urgency() -> None:
    text = "今天的牛肉麵很好吃，店員也很親切，謝謝你們"
    assert learning.predict("sentiment", text).label == "positive"
    assert learning.predict("urgency", text).label == "low"


def test_an_agents_correction_changes_the_next_training_for_a_text_that_was_wrong() -> None:
    text = "生日蛋糕上的字寫錯了，把生日快樂寫成生日決樂，名字也拼錯"
    before = learning.predict("category", text)
    assert before.label != "cake-decoration"  # a category the repository's set never uses
    learning.record_label("category", text, "cake-decoration", predicted_label=before.label, ref="case:1")
    learning.record_label("category", "蛋糕上的名字寫錯了，生日蛋糕的字完全不對", "cake-decoration", ref="case:2")
    learning.record_label("category", "The name on the birthday cake was misspelled", "cake-decoration", ref="case:3")

    learning.train("category")

    assert learning.predict("category", text).label == "cake-decoration"


def test_without_the_agents_labels_the_same_training_does_not_learn_it() -> None:
    # The control for the test above: training alone does not produce the new label.
    learning.train("category")
    assert learning.predict("category", "生日蛋糕上的字寫錯了，名字也拼錯").label != "cake-decoration"


def test_a_suggestion_kept_is_confirmed_and_one_changed_is_corrected() -> None:
    kept = learning.record_label("sentiment", "謝謝", "positive", predicted_label="positive", ref="case:7")
    changed = learning.record_label("sentiment", "好棒喔，又送錯", "negative", predicted_label="positive", ref="case:8")
    assert kept.source == ExampleSource.AGENT_CONFIRMED
    assert changed.source == ExampleSource.AGENT_CORRECTED


def test_the_newest_label_of_a_case_replaces_the_earlier_one_in_training() -> None:
    learning.record_label("urgency", "外送晚了兩小時", "normal", ref="case:9")
    learning.record_label("urgency", "外送晚了兩小時", "high", ref="case:9")
    learning.record_label("urgency", "外送晚了", "normal")  # no ref: kept as it is
    examples = dataset.agent_examples("urgency")
    assert [(e.text, e.label) for e in examples] == [("外送晚了兩小時", "high"), ("外送晚了", "normal")]
    assert {e.weight for e in examples} == {AGENT_WEIGHT}


@pytest.mark.parametrize("task, label, field", [
    ("colour", "red", "task"), ("safety", "maybe", "label"), ("sentiment", "angry", "label"),
    ("category", "Not A Code!", "label"),
])
def test_a_label_outside_the_task_is_refused(task: str, label: str, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        learning.record_label(task, "湯是冷的", label)
    assert field in error.value.message_dict
    assert not TrainingExample.objects.exists()


def test_an_empty_text_is_not_stored() -> None:
    with pytest.raises(ValidationError, match="no text"):
        learning.record_label("sentiment", "   ", "negative")


def test_training_saves_a_new_version_with_held_out_metrics_and_uses_it() -> None:
    first = learning.train("sentiment", seed=1)["sentiment"]
    second = learning.train("sentiment", seed=1)["sentiment"]
    assert (first.version, second.version) == (1, 2)
    row = TrainedModel.objects.get(task="sentiment", version=2)
    assert row.repo_examples == len(dataset.repo_examples("sentiment")) and row.agent_examples == 0
    assert row.metrics["test_size"] + row.metrics["train_size"] == row.repo_examples
    assert {score["label"] for score in row.metrics["scores"]} == {"negative", "neutral", "positive"}
    learning.forget_models()  # as another process would: read from the database
    assert learning.current_model("sentiment").params() == row.params


def test_a_damaged_model_row_falls_back_to_the_default(caplog: Any) -> None:
    TrainedModel.objects.create(task="urgency", version=1, params={"format": 1})
    assert learning.current_model("urgency") is learning.default_model("urgency")
    assert "unreadable" in caplog.text


def test_evaluation_scores_only_examples_it_did_not_train_on() -> None:
    result = learning.evaluate("urgency", seed=3)
    evaluation = result["urgency"]
    total = len(dataset.repo_examples("urgency"))
    assert evaluation.train_size + evaluation.test_size == total
    assert evaluation.test_size == sum(score.support for score in evaluation.scores)
    assert 0.2 < evaluation.test_size / total < 0.3
    assert [score.label for score in evaluation.scores] == ["high", "normal", "low"]
    assert not TrainedModel.objects.exists()  # evaluating saves nothing


def test_safety_is_evaluated_with_its_rule_layer_and_never_below_its_recall() -> None:
    result = learning.evaluate("safety")
    combined, lexicon = result["safety"], result["safety_lexicon"]
    assert lexicon.test_size == combined.test_size
    assert combined.scores[0].label == "safety"
    assert combined.scores[0].recall >= lexicon.scores[0].recall


def test_the_split_is_stratified_disjoint_and_repeatable() -> None:
    labels = ["a"] * 40 + ["b"] * 8 + ["c"] * 2 + ["d"]
    train, test = stratified_split(labels, test_size=0.25, seed=5)
    assert sorted(train + test) == list(range(len(labels)))
    assert not set(train) & set(test)
    held_out = [labels[i] for i in test]
    assert (held_out.count("a"), held_out.count("b"), held_out.count("c"), held_out.count("d")) == (10, 2, 1, 0)
    assert stratified_split(labels, test_size=0.25, seed=5) == (train, test)
    assert stratified_split(labels, test_size=0.25, seed=6) != (train, test)


def test_one_prediction_reads_only_the_beginning_of_a_huge_text() -> None:
    text = "發票統編打錯了。" + "這是很長的信件內容。" * 30_000
    assert learning.predict("category", text).label == "invoice-error"


def test_a_text_appears_once_in_the_examples_with_its_newest_label() -> None:
    repo_text = dataset.repo_examples("sentiment")[0].text
    learning.record_label("sentiment", repo_text, "neutral", ref="case:1")
    learning.record_label("sentiment", "又送錯了", "negative", ref="case:2")
    learning.record_label("sentiment", "又送錯了", "neutral", ref="case:3")  # same words, another case
    examples = dataset.all_examples("sentiment")
    texts = [e.text for e in examples]
    assert len(texts) == len(set(texts)) == len(dataset.repo_examples("sentiment")) + 1
    labels = {e.text: (e.label, e.source) for e in examples}
    assert labels[repo_text] == ("neutral", ExampleSource.AGENT_CORRECTED)
    assert labels["又送錯了"] == ("neutral", ExampleSource.AGENT_CORRECTED)



def test_migrate_saves_a_first_model_of_every_task_once() -> None:
    from django.apps import apps

    from tingjian.textintel.apps import _train_first_models

    config = apps.get_app_config("textintel")
    _train_first_models(config)
    assert sorted(TrainedModel.objects.values_list("task", "version")) == sorted((t, 1) for t in learning.TASKS)
    _train_first_models(config)  # a later migrate keeps what is there
    assert TrainedModel.objects.count() == len(learning.TASKS)
