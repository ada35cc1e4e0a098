"""Precision, recall and F1, checked against numbers worked out by hand."""

from __future__ import annotations

import pytest

from tingjian.textintel.metrics import score, table

# Ten texts. By hand:
#   a: predicted at 0, 1, 2, 7; right 3 of 4 -> precision 0.75; 3 of 5 true a found -> recall 0.6
#   b: predicted at 3, 5, 6, 9; right 2 of 4 -> precision 0.5;  2 of 3 true b found -> recall 2/3
#   c: predicted at 4, 8;       right 1 of 2 -> precision 0.5;  1 of 2 true c found -> recall 0.5
TRUTH = ["a", "a", "a", "a", "a", "b", "b", "b", "c", "c"]
PREDICTED = ["a", "a", "a", "b", "c", "b", "b", "a", "c", "b"]


def test_precision_recall_and_f1_per_label_match_the_hand_computation() -> None:
    evaluation = score("demo", TRUTH, PREDICTED)
    by_label = {s.label: s for s in evaluation.scores}
    assert by_label["a"].precision == pytest.approx(0.75)
    assert by_label["a"].recall == pytest.approx(0.6)
    assert by_label["a"].f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)  # 0.6667
    assert by_label["b"].precision == pytest.approx(0.5)
    assert by_label["b"].recall == pytest.approx(2 / 3)
    assert by_label["b"].f1 == pytest.approx(4 / 7)  # 2 * 1/2 * 2/3 / (1/2 + 2/3)
    assert by_label["c"].precision == pytest.approx(0.5)
    assert by_label["c"].recall == pytest.approx(0.5)
    assert by_label["c"].f1 == pytest.approx(0.5)
    assert [s.support for s in evaluation.scores] == [5, 3, 2]
    assert evaluation.accuracy == pytest.approx(0.6)


def test_the_macro_average_is_the_unweighted_mean_over_labels() -> None:
    macro = score("demo", TRUTH, PREDICTED).macro
    assert macro.precision == pytest.approx((0.75 + 0.5 + 0.5) / 3)
    assert macro.recall == pytest.approx((0.6 + 2 / 3 + 0.5) / 3)
    assert macro.f1 == pytest.approx((2 / 3 + 4 / 7 + 0.5) / 3)
    assert macro.support == 10


def test_a_label_never_predicted_has_precision_zero_and_a_label_never_true_recall_zero() -> None:
    evaluation = score("demo", ["a", "b"], ["a", "a"], labels=["b", "a", "unused"])
    by_label = {s.label: s for s in evaluation.scores}
    assert [s.label for s in evaluation.scores] == ["b", "a", "unused"]
    assert (by_label["b"].precision, by_label["b"].recall) == (0.0, 0.0)
    assert (by_label["a"].precision, by_label["a"].recall) == (0.5, 1.0)
    # A listed label with neither truth nor predictions does not pull the average down.
    assert evaluation.macro.recall == pytest.approx(0.5)


def test_predictions_must_match_the_truth_in_length() -> None:
    with pytest.raises(ValueError):
        score("demo", ["a"], ["a", "b"])


def test_the_table_is_aligned_with_the_macro_average_last() -> None:
    lines = table(score("demo", TRUTH, PREDICTED, train_size=30)).splitlines()
    assert lines[0].split() == ["label", "precision", "recall", "f1", "support"]
    assert lines[2].split() == ["a", "0.750", "0.600", "0.667", "5"]
    assert lines[-2].split() == ["macro", "avg", "0.583", "0.589", "0.579", "10"]
    assert "trained on 30, tested on 10" in lines[-1]
    widths = {len(line) for line in lines[2:5]}
    assert len(widths) == 1
