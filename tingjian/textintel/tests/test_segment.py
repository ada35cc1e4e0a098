import threading

import opencc
import pytest

from tingjian.textintel import segment
from tingjian.textintel.segment import USAGE_DICTIONARY, add_domain_words, stem, tokens


def _usage_words():
    with open(USAGE_DICTIONARY, encoding="utf-8") as file:
        return [line.split()[0] for line in file if line.strip()]


@pytest.mark.parametrize("word, simplified", [("便當", "便当"), ("捷運", "捷运"), ("悠遊卡", "悠游卡")])
def test_taiwanese_words_written_in_traditional_are_one_token(word, simplified):
    assert tokens(word) == [simplified]
    assert simplified in tokens(f"我昨天在{word}旁邊等了很久")


def test_the_usage_dictionary_has_at_least_sixty_words():
    assert len(_usage_words()) >= 60


def test_every_usage_word_is_one_token_in_either_script():
    to_taiwan = opencc.OpenCC("s2twp")
    failures = []
    for word in _usage_words():
        for form in (word, to_taiwan.convert(word)):
            for sentence in (form, f"我的{form}有問題", f"昨天{form}很差"):
                if word not in tokens(sentence):
                    failures.append((word, sentence, tokens(sentence)))
    assert failures == []


def test_traditional_and_simplified_sentences_give_the_same_tokens():
    traditional = tokens("我在台北捷運站買的便當壞了，發票也開錯了")
    simplified = tokens("我在台北捷运站买的便当坏了，发票也开错了")
    assert traditional == simplified
    assert traditional == ["台北", "捷运站", "买", "便当", "坏", "发票", "开错"]


def test_english_is_lower_cased_stemmed_and_stop_words_dropped():
    assert tokens("Invoices were wrong") == ["invoic", "wrong"]
    assert tokens("The invoice was WRONG") == ["invoic", "wrong"]


@pytest.mark.parametrize(
    "word, expected",
    [
        ("invoice", "invoic"), ("invoices", "invoic"), ("invoiced", "invoic"),
        ("invoicing", "invoic"), ("delivery", "deliveri"), ("deliveries", "deliveri"),
        ("stopped", "stop"), ("refunds", "refund"), ("string", "string"), ("process", "process"),
        ("agreed", "agre"), ("bus", "bus"), ("burned", "burn"),
    ],
)
def test_english_words_are_stemmed_with_snowball(word, expected):
    assert stem(word) == expected


def test_chinese_stop_words_and_punctuation_are_dropped():
    assert tokens("我的便當！！！") == ["便当"]


def test_numbers_are_kept():
    assert tokens("訂單編號 12345") == ["订单编号", "12345"]


@pytest.mark.parametrize("text", ["", "   ", "。，！？……「」", "!!! ??? ..."])
def test_text_without_words_gives_no_tokens(text):
    assert tokens(text) == []


def test_a_ten_thousand_character_text_is_segmented_whole():
    text = ("我在台北捷運站買的便當壞了，Invoices were wrong! " * 300)[:10_000]
    found = tokens(text)
    assert found.count("便当") == text.count("便當")


def test_domain_words_in_either_script_become_one_token():
    assert "中山" in tokens("南京東路中山旗艦店的店員")
    add_domain_words(["中山旗艦店", "  ", "黑糖珍珠鮮奶"])
    assert "中山旗舰店" in tokens("南京東路中山旗艦店的店員")
    assert "黑糖珍珠鲜奶" in tokens("我點的黑糖珍珠鮮奶沒有珍珠")


def test_domain_words_added_before_the_tokenizer_is_built_are_loaded(monkeypatch):
    monkeypatch.setattr(segment, "_tokenizer", None)
    monkeypatch.setattr(segment, "_domain_words", {})
    add_domain_words(["竹北光明店"])
    assert "竹北光明店" in tokens("竹北光明店很慢")


def test_the_tokenizer_is_built_once_across_threads(monkeypatch):
    monkeypatch.setattr(segment, "_tokenizer", None)
    built = []
    original = segment.jieba.Tokenizer

    def counting_tokenizer(*args, **kwargs):
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(segment.jieba, "Tokenizer", counting_tokenizer)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(tokens("悠遊卡扣款錯誤"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert results == [["悠游卡", "扣款", "错误"]] * 8


def test_jieba_cache_is_not_written_into_the_source_tree():
    tokens("便當")
    package = segment.USAGE_DICTIONARY.parent.parent
    assert not list(package.rglob("*.cache"))
    assert segment._get_tokenizer().tmp_dir != str(package)


def test_spans_give_each_token_its_place_in_the_original_text():
    text = "我在台北捷運站買的便當壞了，Invoices were WRONG"
    found = segment.spans(text)
    assert [span.token for span in found] == tokens(text)
    assert [text[span.start:span.end] for span in found] == ["台北", "捷運站", "買", "便當", "壞", "Invoices", "WRONG"]


def test_removing_a_domain_word_restores_jiebas_own_segmentation():
    before = tokens("麻辣鴨血鍋好吃")
    add_domain_words(["麻辣鴨血鍋", "發票"])
    assert "麻辣鸭血锅" in tokens("麻辣鴨血鍋好吃")
    segment.remove_domain_words(["麻辣鴨血鍋", "發票"])
    assert tokens("麻辣鴨血鍋好吃") == before
    assert tokens("發票開錯了") == ["发票", "开错"]  # jieba knew 发票 before: it stays a word
    assert "麻辣鸭血锅" not in segment.domain_words()
