"""The administrators' domain dictionary and the synonyms search expands queries with."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tingjian.textintel import dictionary
from tingjian.textintel.dictionary import (
    add_word,
    deactivate_word,
    list_words,
    synonyms,
    update_word,
)
from tingjian.textintel.models import DomainWord, WordKind
from tingjian.textintel.segment import tokens

pytestmark = pytest.mark.django_db

NEW_DISH = "麻辣鴨血鍋"  # made up: not in jieba's dictionary nor in ours


def _errors(call: Any, *args: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        call(*args, **kwargs)
    return error.value.message_dict


def test_a_word_an_administrator_adds_is_segmented_as_one_word_at_once() -> None:
    assert "麻辣鸭血锅" not in tokens(f"我點的{NEW_DISH}沒有鴨血")
    add_word(NEW_DISH, WordKind.PRODUCT, by=None)
    assert "麻辣鸭血锅" in tokens(f"我點的{NEW_DISH}沒有鴨血")
    assert "麻辣鸭血锅" in tokens("我点的麻辣鸭血锅没有鸭血")  # and in the other script


def test_a_word_added_by_another_process_is_picked_up_at_the_next_check(monkeypatch: Any) -> None:
    dictionary.refresh()
    # Another process writes the row; this one has just checked, so it does not know yet.
    DomainWord.objects.create(word="芒果雪花冰塔", normalised="芒果雪花冰塔", kind=WordKind.PRODUCT)
    dictionary.refresh()
    assert "芒果雪花冰塔" not in tokens("芒果雪花冰塔融化了")
    clock = dictionary.time.monotonic() + dictionary.CHECK_SECONDS + 1
    monkeypatch.setattr(dictionary.time, "monotonic", lambda: clock)
    dictionary.refresh()
    assert "芒果雪花冰塔" in tokens("芒果雪花冰塔融化了")


def test_a_word_whose_transaction_rolled_back_is_forgotten_at_the_next_refresh() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        add_word(NEW_DISH, WordKind.PRODUCT, by=None)
        assert "麻辣鸭血锅" in tokens(NEW_DISH)
        raise RuntimeError("the request failed after the word was added")
    dictionary.refresh()
    assert "麻辣鸭血锅" not in tokens(NEW_DISH)


def test_a_deactivated_word_is_split_again_and_a_word_jieba_knew_stays_a_word() -> None:
    dish = add_word(NEW_DISH, WordKind.PRODUCT, by=None)
    invoice = add_word("發票", WordKind.TERM, "invoice", by=None)
    dictionary.refresh()
    deactivate_word(dish.pk, by=None)
    deactivate_word(invoice.pk, by=None)
    assert "麻辣鸭血锅" not in tokens(f"{NEW_DISH}很好吃")
    assert tokens("發票開錯了") == ["发票", "开错"]
    assert DomainWord.objects.get(pk=dish.pk).is_active is False


def test_renaming_a_word_replaces_it_in_the_tokenizer(admin_user: Any) -> None:
    entry = add_word("麻辣鴨血煲", WordKind.PRODUCT, by=admin_user)
    update_word(entry.pk, word=NEW_DISH, by=admin_user)
    assert "麻辣鸭血锅" in tokens(f"{NEW_DISH}太辣")
    assert "麻辣鸭血煲" not in tokens("麻辣鴨血煲太辣")
    entry.refresh_from_db()
    assert (entry.word, entry.normalised, entry.updated_by) == (NEW_DISH, "麻辣鸭血锅", admin_user)


@pytest.mark.parametrize("word, code", [
    ("", "empty"), ("   ", "empty"), ("鍋" * 31, "too_long"), ("鴨血 鍋", "invalid_characters"),
    ("鴨血鍋！", "invalid_characters"), ("LINE-Pay", "invalid_characters"),
])
def test_an_invalid_word_is_refused_with_a_reason(word: str, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        add_word(word, WordKind.PRODUCT, by=None)
    assert [e.code for e in error.value.error_dict["word"]] == [code]
    assert not DomainWord.objects.exists()


def test_the_messages_say_what_is_wrong() -> None:
    assert _errors(add_word, "", WordKind.TERM, by=None) == {"word": ["Enter a word."]}
    assert _errors(add_word, "鍋" * 31, WordKind.TERM, by=None)["word"][0].endswith(
        "is too long: at most 30 characters."
    )
    assert "without spaces or punctuation" in _errors(add_word, "鴨血 鍋", WordKind.TERM, by=None)["word"][0]


def test_the_same_word_in_the_other_script_or_case_is_a_duplicate() -> None:
    add_word("發票", WordKind.TERM, by=None)
    assert _errors(add_word, "发票", WordKind.TERM, by=None) == {
        "word": ["「发票」 is already in the dictionary as 「發票」."]
    }
    add_word("LINEPay", WordKind.OTHER, by=None)
    assert "already in the dictionary" in _errors(add_word, "linepay", WordKind.OTHER, by=None)["word"][0]


def test_a_deactivated_duplicate_says_how_to_use_it_again() -> None:
    entry = add_word("發票", WordKind.TERM, by=None)
    deactivate_word(entry.pk, by=None)
    assert "deactivated: edit that entry" in _errors(add_word, "發票", WordKind.TERM, by=None)["word"][0]
    update_word(entry.pk, is_active=True, by=None)
    assert DomainWord.objects.get(pk=entry.pk).is_active


def test_renaming_onto_another_word_is_a_duplicate() -> None:
    add_word("發票", WordKind.TERM, by=None)
    other = add_word("收據", WordKind.TERM, by=None)
    assert "already in the dictionary" in _errors(update_word, other.pk, word="发票", by=None)["word"][0]


def test_an_unknown_kind_and_a_bad_synonym_are_refused() -> None:
    assert "kind" in _errors(add_word, "發票", "colour", by=None)
    assert "synonyms" in _errors(add_word, "發票", WordKind.TERM, "invoice, 收據!", by=None)


def test_synonyms_are_cleaned_and_stored_once_each() -> None:
    entry = add_word("發票", WordKind.TERM, "invoice，收據、 receipt; Invoice", by=None)
    assert entry.synonyms == "invoice, 收據, receipt"


def test_list_words_filters_by_kind_text_in_either_script_and_state() -> None:
    add_word("發票", WordKind.TERM, "invoice", by=None)
    dish = add_word(NEW_DISH, WordKind.PRODUCT, by=None)
    add_word("台北信義店", WordKind.BRANCH, by=None)
    deactivate_word(dish.pk, by=None)
    assert [w.word for w in list_words()] == ["台北信義店", NEW_DISH, "發票"]
    assert [w.word for w in list_words(kind=WordKind.PRODUCT)] == [NEW_DISH]
    assert [w.word for w in list_words(q="发票")] == ["發票"]  # typed in Simplified
    assert [w.word for w in list_words(q="Invoice")] == ["發票"]  # found by its synonym
    assert [w.word for w in list_words(active=True, kind=WordKind.PRODUCT)] == []


def test_glossary_synonyms_work_in_both_directions() -> None:
    assert {"invoice", "invoic", "收据", "receipt"} <= set(synonyms("发票"))
    assert "发票" in synonyms("invoice")
    assert "发票" in synonyms("invoic")  # the stem segment.tokens() gives for "invoices"
    assert synonyms("發票") == synonyms("发票")  # either script goes in
    assert "invoice" not in synonyms("invoic")  # not the word itself in another form


def test_wrong_invoice_expands_to_the_words_of_a_chinese_complaint() -> None:
    expanded = {word for token in tokens("wrong invoice") for word in synonyms(token)}
    assert set(tokens("發票錯誤")) <= expanded


def test_an_administrators_synonyms_join_the_glossary_in_both_directions() -> None:
    add_word("鴨血鍋", WordKind.PRODUCT, "hotpot, 鴨血煲", by=None)
    assert {"hotpot", "鸭血煲"} <= set(synonyms("鸭血锅"))
    assert "鸭血锅" in synonyms("hotpot")
    assert "鸭血锅" in synonyms("鴨血煲")


def test_a_word_without_synonyms_has_none() -> None:
    assert synonyms("麻辣鸭血锅") == ()


def test_every_glossary_line_is_a_group_of_single_words() -> None:
    groups = dictionary.glossary_groups()
    assert 60 <= len(groups) <= 100
    for group in groups:
        assert len(group) >= 2
        assert all(" " not in word and word == word.lower() for word in group)
