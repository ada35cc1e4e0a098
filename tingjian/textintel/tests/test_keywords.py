"""Keywords: the telling words of a text, in the script the customer wrote."""

from __future__ import annotations

from tingjian.textintel.keywords import keywords
from tingjian.textintel.script import normalise

TRADITIONAL = "客服您好，我在台北信義店買的排骨便當裡有一片碎玻璃，嘴巴割傷了，發票還在，請盡快處理。"


def test_keywords_of_a_traditional_text_are_in_traditional_script() -> None:
    found = keywords(TRADITIONAL)
    assert {"碎玻璃", "割傷", "排骨便當"} <= set(found)
    assert all(word in TRADITIONAL for word in found)


def test_keywords_of_a_simplified_text_are_in_simplified_script() -> None:
    text = "客服你好，我在上海静安店买的排骨便当里有一片碎玻璃，嘴巴割伤了，发票还在。"
    found = keywords(text)
    assert {"碎玻璃", "割伤", "排骨便当"} <= set(found)
    assert all(word in text for word in found)


def test_both_scripts_give_the_same_keywords_once_normalised() -> None:
    simplified = "客服您好，我在台北信义店买的排骨便当里有一片碎玻璃，嘴巴割伤了，发票还在，请尽快处理。"
    assert [normalise(word) for word in keywords(TRADITIONAL)] == keywords(simplified)


def test_greetings_fillers_counts_and_numbers_are_not_keywords() -> None:
    found = keywords("客服您好，訂單 123456 的兩杯珍奶一直沒有送到，真的非常謝謝")
    assert not {"客服", "您好", "123456", "兩杯", "一直", "真的", "非常", "謝謝"} & set(found)
    assert "珍奶" in found


def test_english_keywords_are_quoted_as_written() -> None:
    found = keywords("The company tax ID on my e-invoice is wrong, so I cannot claim the Invoices.")
    assert found[0] == "invoice"  # twice in the text, rare in the labelled set
    assert "cannot" not in found and "the" not in found


def test_a_word_repeated_and_rare_outranks_a_common_one() -> None:
    found = keywords("我點的鍋貼裡有頭髮，鍋貼也是冷的，外送也很慢")
    assert found[0] == "鍋貼"  # twice here, never in the labelled set; 外送 is in many texts
    assert found.index("外送") > found.index("頭髮")


def test_at_most_k_keywords_and_none_for_an_empty_text() -> None:
    assert len(keywords(TRADITIONAL, k=3)) == 3
    assert keywords(TRADITIONAL, k=0) == []
    assert keywords("") == []
    assert keywords("。，！") == []
