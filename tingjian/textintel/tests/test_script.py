
import pytest

from tingjian.textintel.script import Detected, detect, normalise, to_simplified


def test_traditional_chinese_is_detected_as_zh_hant():
    assert detect("發票開錯了，請重新開立") == Detected(language="zh", script="zh-Hant", han_ratio=1.0)


def test_simplified_chinese_is_detected_as_zh_hans():
    assert detect("发票开错了") == Detected(language="zh", script="zh-Hans", han_ratio=1.0)


def test_english_is_detected_as_en():
    assert detect("The invoice was wrong, please reissue it") == Detected(
        language="en", script="en", han_ratio=0.0
    )


def test_chinese_and_english_together_are_mixed():
    detected = detect("請幫我查 order number 12345")
    assert (detected.language, detected.script) == ("mixed", "mixed")
    assert 0.2 <= detected.han_ratio <= 0.8


def test_a_brand_name_in_a_chinese_complaint_does_not_make_it_mixed():
    detected = detect("我用LINE Pay付款之後，店員說沒有收到款項，要我重新付一次，我已經付了兩次錢，這樣不對吧")
    assert (detected.language, detected.script) == ("zh", "zh-Hant")


def test_taiwanese_characters_shared_with_simplified_do_not_vote_simplified():
    # 台 and 里 are changed by s2t (to 臺, 裏) but are standard in Taiwan.
    assert detect("台北里長").script == "zh-Hant"


def test_chinese_with_no_script_specific_character_has_no_script():
    assert detect("我的人") == Detected(language="zh", script="unknown", han_ratio=1.0)


def test_full_width_latin_counts_as_english():
    assert detect("ＦＩＲＥ").language == "en"


@pytest.mark.parametrize("text", ["", "。，！？……", "12345 !!!"])
def test_text_without_letters_is_unknown(text):
    assert detect(text) == Detected(language="unknown", script="unknown", han_ratio=0.0)


def test_normalise_gives_simplified_half_width_lower_case():
    assert normalise("ＡＢＣ 發票 Wrong") == "abc 发票 wrong"


def test_normalise_gives_the_same_text_for_both_scripts():
    assert normalise("發票開錯了") == normalise("发票开错了") == "发票开错了"


def test_normalise_leaves_the_original_alone():
    original = "發票開錯了"
    normalise(original)
    assert original == "發票開錯了"


def test_to_simplified_keeps_every_position():
    text = "ＦＩＲＥ！發票開錯了"
    assert len(to_simplified(text)) == len(text)


def test_a_long_text_is_detected_and_normalised_whole():
    text = ("發票開錯了，請重新開立。Invoice wrong! " * 300)[:10_000]
    assert detect(text).language == "mixed"
    normal = normalise(text)
    assert normal.startswith("发票开错了") and len(normal) == len(text)
