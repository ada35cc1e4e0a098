"""What the index holds and how a query is read (no database)."""

from __future__ import annotations

import pytest

from tingjian.search import analysis, query


def test_chinese_is_indexed_as_bigrams_in_simplified_and_english_is_stemmed() -> None:
    assert analysis.index_terms("發票開錯了 The invoices") == "发票 票开 开错 错了 the invoic"


def test_a_single_han_character_between_punctuation_is_kept() -> None:
    assert analysis.index_terms("好，貴") == "好 贵"


def test_full_width_latin_and_digits_are_folded() -> None:
    assert analysis.index_terms("ＡＢＣ１２３") == "abc123"


def test_an_unquoted_chinese_run_asks_for_each_word() -> None:
    units = analysis.word_units("發票錯誤")
    assert [u.surface for u in units] == ["发票", "错误"]
    assert all(not u.prefix for u in units)


def test_taiwanese_words_are_read_as_words_and_matched_as_phrases() -> None:
    units = analysis.word_units("悠遊卡儲值")
    assert [u.surface for u in units] == ["悠游卡", "储值"]
    assert units[0].tokens == ("悠游", "游卡")


def test_a_quoted_phrase_is_one_unit_of_adjacent_tokens() -> None:
    unit = analysis.phrase_unit("發票錯誤")
    assert unit is not None and unit.tokens == ("发票", "票错", "错误")


def test_while_typing_the_last_word_is_a_prefix() -> None:
    assert analysis.word_units("invo", prefix_last=True)[-1].prefix
    assert not analysis.word_units("invo")[-1].prefix


@pytest.mark.parametrize("text", ['"', '***', "NEAR(", "OR", "AND OR NOT", "()", "'; DROP TABLE search_entry; --", "\x00\x01"])
def test_query_syntax_and_sql_are_words_or_nothing_never_an_error(text: str) -> None:
    parsed = query.parse(text, expand=False)
    for group in parsed.groups:
        for clause in group:
            for unit in clause.units:
                assert all(token.isalnum() for token in unit.tokens)


def test_a_query_of_punctuation_only_is_empty_with_a_reason() -> None:
    parsed = query.parse("!!! ？？ ……", expand=False)
    assert parsed.is_empty
    assert "no letters" in query.empty_message(parsed)


def test_exclusions_alone_are_not_a_search() -> None:
    parsed = query.parse("-退款", expand=False)
    assert parsed.is_empty and parsed.excluded
    assert "exclusions" in query.empty_message(parsed)


def test_a_huge_query_is_cut_with_a_notice() -> None:
    parsed = query.parse("發票" * 5000, expand=False)
    assert parsed.notices and len(parsed.text) == query.MAX_QUERY_CHARS


def test_many_words_are_cut_with_a_notice() -> None:
    parsed = query.parse(" ".join(f"word{i}" for i in range(40)), expand=False)
    assert sum(len(c.terms) for g in parsed.groups for c in g) == query.MAX_UNITS
    assert parsed.notices


def test_or_joins_two_words_into_one_group_and_an_unbalanced_quote_ends_the_query() -> None:
    parsed = query.parse('退款 OR refund "發票 錯', expand=False)
    assert len(parsed.groups) == 2
    assert len(parsed.groups[0]) == 2
    assert parsed.groups[1][0].units[0].tokens == ("发票", "错")


def test_english_stop_words_are_dropped_unless_they_are_all_there_is() -> None:
    parsed = query.parse("the invoice was wrong", expand=False)
    assert [c.units[0].surface for g in parsed.groups for c in g] == ["invoice", "wrong"]
    assert not query.parse("the", expand=False).is_empty
