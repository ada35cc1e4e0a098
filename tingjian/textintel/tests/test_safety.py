"""Personal safety: the lexicon (what it flags, in which script, and what it does not) and the
learnt model above it, which may add a flag but never remove one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tingjian.textintel.classifiers import Classifier, Prediction
from tingjian.textintel.safety import (
    CONFIDENCE_MENTIONED,
    CONFIDENCE_NEGATED,
    SafetyLexicon,
    classify_safety,
    combine,
    current_lexicon,
    load_lexicon,
)

# classify_safety asks the database for the newest trained model when the lexicon finds nothing.
pytestmark = pytest.mark.django_db


def test_the_lexicon_is_a_classifier() -> None:
    lexicon: Classifier = load_lexicon(str(Path(__file__).parents[1] / "lexicons" / "safety.toml"))
    assert lexicon.name == "safety_lexicon"
    assert isinstance(lexicon.predict("燙傷"), Prediction)


def test_traditional_chinese_hits_are_quoted_as_evidence() -> None:
    prediction = classify_safety("孩子吃完牛肉麵後上吐下瀉，還被熱湯燙傷了")
    assert prediction == Prediction("safety", CONFIDENCE_MENTIONED, ("上吐下瀉", "燙傷"))


def test_simplified_chinese_matches_terms_written_in_traditional() -> None:
    # The file lists 上吐下瀉 and 燙傷; the customer wrote them in Simplified.
    prediction = classify_safety("孩子吃完牛肉面后上吐下泻，还被热汤烫伤了")
    assert prediction.label == "safety"
    assert prediction.evidence == ("上吐下泻", "烫伤")


def test_mainland_words_are_matched_too() -> None:
    assert classify_safety("面里有塑料碎片").evidence == ("塑料碎片",)
    assert classify_safety("厨房着火了").evidence == ("着火",)


def test_english_hits_are_case_insensitive_and_quote_the_original_words() -> None:
    prediction = classify_safety("My son had an Allergic Reaction and we went to the ER.")
    assert prediction.label == "safety"
    assert prediction.evidence == ("Allergic Reaction", "ER")


def test_being_fired_from_a_job_is_not_a_fire() -> None:
    assert classify_safety("I was fired from my job because your delivery was late").label == "not_safety"


def test_english_terms_match_whole_words_only() -> None:
    assert classify_safety("The hospitality was poor and the burner was off").label == "not_safety"
    assert classify_safety("er, the soup was cold").label == "not_safety"
    assert classify_safety("The toaster caught fire").evidence == ("caught fire",)


def test_full_width_and_curly_apostrophe_text_is_matched() -> None:
    assert classify_safety("ＦＩＲＥ！").evidence == ("ＦＩＲＥ",)
    assert classify_safety("she couldn’t breathe").evidence == ("couldn’t breathe",)


def test_a_negated_mention_still_flags_with_lower_confidence_and_says_so() -> None:
    for text, evidence in [
        ("幸好沒有受傷", "沒有受傷"),
        ("幸好没有人受伤", "没有人受伤"),
        ("Luckily no one was injured.", "no one was injured"),
    ]:
        prediction = classify_safety(text)
        assert prediction.label == "safety", text
        assert prediction.confidence == CONFIDENCE_NEGATED < CONFIDENCE_MENTIONED
        assert prediction.evidence == (evidence,)


def test_a_negation_reaches_only_its_own_clause() -> None:
    prediction = classify_safety("沒有人受傷，但是碗裡有玻璃碎片")
    assert prediction.confidence == CONFIDENCE_MENTIONED
    assert prediction.evidence == ("沒有人受傷", "玻璃碎片")


def test_an_ordinary_complaint_is_not_a_safety_case() -> None:
    prediction = classify_safety("外送的牛肉麵送到時湯是冷的，麵也糊了，頭髮也亂了")
    assert prediction.label == "not_safety"
    assert prediction.evidence == ()


def test_an_empty_text_is_not_a_safety_case() -> None:
    assert classify_safety("").label == "not_safety"


def test_an_operator_lexicon_is_used_when_the_setting_points_at_it(settings: Any, tmp_path: Path) -> None:
    own = tmp_path / "safety.toml"
    own.write_text(
        '[negation]\nzh = ["沒有"]\n\n[hazards.pets]\nzh = ["狗咬"]\nen = ["dog bite"]\n', encoding="utf-8"
    )
    settings.TINGJIAN_SAFETY_LEXICON = own
    assert classify_safety("在店門口被狗咬了").evidence == ("狗咬",)
    assert classify_safety("a DOG  BITE at the door").evidence == ("DOG  BITE",)
    assert current_lexicon().predict("燙傷").label == "not_safety"  # not in the operator's list


def test_a_broken_operator_lexicon_fails_loudly(tmp_path: Path) -> None:
    from django.core.exceptions import ImproperlyConfigured

    broken = tmp_path / "broken.toml"
    broken.write_text('[hazards.fire]\nzh = "起火"\n', encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="must be a list of strings"):
        SafetyLexicon.from_toml(broken)
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        SafetyLexicon.from_toml(tmp_path / "missing.toml")


def test_the_lexicon_is_read_once_per_path() -> None:
    path = str(Path(__file__).parents[1] / "lexicons" / "safety.toml")
    assert load_lexicon(path) is load_lexicon(path)


def test_a_long_text_without_hazards_is_not_flagged() -> None:
    # Speed belongs in bench/, not in unit tests; this checks a long text is read whole.
    sentence = "外送的牛肉麵送到時湯是冷的，麵也糊了。The noodles were soggy and cold. "
    assert classify_safety((sentence * 8000)[:200_000]).label == "not_safety"
    assert classify_safety((sentence * 8000)[:200_000] + "後來孩子吃了過敏").label == "safety"


def test_a_long_text_full_of_hits_names_each_term_once() -> None:
    text = ("我被燙傷了，送醫急診。" * 5000)[:50_000]
    assert classify_safety(text).evidence == ("燙傷", "送醫", "急診")


def test_food_poisoning_in_either_script_is_a_safety_case() -> None:
    for text in ("昨天吃完便當全家食物中毒", "昨天吃完便当全家食物中毒"):
        prediction = classify_safety(text)
        assert prediction.label == "safety"
        assert prediction.evidence == (text[8:12],)


def test_the_model_adds_a_flag_the_lexicon_misses_with_its_own_evidence() -> None:
    # Neither 水泡 nor "blisters" is in the lexicon; the labelled set teaches both.
    for text, word in [("熱湯潑到手上，起了好幾個水泡", "水泡"), ("Hot tea spilled on my hand and now I have blisters.", "blisters")]:
        assert current_lexicon().predict(text).label == "not_safety"
        prediction = classify_safety(text)
        assert prediction.label == "safety", text
        assert 0.5 <= prediction.confidence < 1.0
        assert word in prediction.evidence


def test_the_model_never_removes_a_flag_the_lexicon_raised() -> None:
    rule = Prediction("safety", CONFIDENCE_NEGATED, ("沒有受傷",))
    called = []

    def model() -> Prediction:
        called.append(1)
        return Prediction("not_safety", 0.99)

    assert combine(rule, model) == rule
    assert called == []  # the model is not even asked


def test_without_a_flag_from_either_layer_the_answer_carries_the_models_confidence() -> None:
    answer = combine(Prediction("not_safety", 0.8), lambda: Prediction("not_safety", 0.93, ("冷",)))
    assert answer == Prediction("not_safety", 0.93)


@pytest.mark.parametrize("text", [
    "外送慢了一個小時，湯都冷了。",
    "店員態度很差，結帳時一直滑手機",
    "發票上的統一編號打錯了，公司沒辦法報帳",
    "The app crashes every time I open the cart.",
])
def test_ordinary_complaints_stay_unflagged_with_the_model(text: str) -> None:
    assert classify_safety(text).label == "not_safety"
