"""What goes into the search index, and how a query's words become the same index tokens.

The index design, chosen with the numbers in ``bench/README.md`` ("Search"):

* **Chinese is indexed as overlapping character bigrams** of each run of Han characters,
  after OpenCC conversion to Simplified (``textintel.script.normalise``): 發票開錯了 is
  indexed as ``发票 票开 开错 错了``. A query word becomes the *phrase* of its bigrams, so
  any substring of two or more characters is found wherever it stands, whatever jieba would
  have made of the sentence around it. Indexing jieba's words instead misses a query that
  cuts across its word boundaries (便當 inside 便當盒 is one word to jieba, 盒 another; a
  customer's 發票錯 is 发票/错 to one sentence and 发/票错 to another), and a word index
  cannot find a 2-character query inside a 3-character word at all. Bigrams cost more
  tokens (one per Han character instead of one per ~1.6) and nothing else.
* **jieba segments the query**, not the index: an unquoted 發票錯誤 is read as the words
  发票 and 错误, each matched as a phrase, all required, so 發票開錯…是錯誤的 is found too;
  a quoted "發票錯誤" must appear as written. The domain dictionary (products, branches,
  complaint terms an administrator adds) therefore shapes how queries are read.
* **Latin-script words** are lower-cased and Snowball-stemmed (invoices → ``invoic``);
  digits are kept as they are (order numbers, phone numbers).
* **Everything is normalised the same way** (NFKC, Simplified, lower case), so a query in
  either script finds text in both, and full-width ＡＢＣ finds ABC.

Index tokens are made of word characters only, so they are safe to quote into FTS5 and
``to_tsquery`` expressions; no text a user typed ever reaches a query parser raw.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tingjian.textintel.script import normalise
from tingjian.textintel.segment import ENGLISH_STOP_WORDS, stem, tokens

# Han ideographs (BMP, extension A, compatibility, supplementary planes) and Japanese kana:
# scripts written without spaces, indexed as bigrams.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\U00020000-\U0003134f"
RUN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+)")
_HAN_RUN = re.compile(rf"[{_HAN}]+")

# The most of a document that is indexed: a complaint thread longer than this is a pasted
# log or a forwarded mail chain, and its first 16,000 characters say what it is about
# (PostgreSQL keeps token positions only up to 16,383, and phrases need positions).
MAX_INDEXED_CHARS = 16_000


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> str:
    """``text`` as the space-separated index tokens stored beside the original."""
    if not text:
        return ""
    out: list[str] = []
    for match in RUN.finditer(normalise(text[:MAX_INDEXED_CHARS])):
        han = match.group("han")
        if han:
            out.extend(_bigrams(han))
        else:
            out.append(stem(match.group("word")))
    return " ".join(out)


@dataclass(frozen=True)
class Unit:
    """One thing a document must contain: index tokens in order (a phrase), or a prefix.

    ``surface`` is the normalised text the unit stands for, used to highlight it.
    """

    tokens: tuple[str, ...]
    surface: str
    prefix: bool = False


@dataclass(frozen=True)
class Term:
    """A unit and its alternatives (dictionary synonyms): any one of them will do."""

    alternatives: tuple[Unit, ...]


def _han_units(run: str, *, last_is_prefix: bool) -> Iterator[Unit]:
    """The jieba words of a normalised Han run as units.

    A one-character word cannot be a bigram phrase, so it is joined to the word after it (or,
    at the end, to the one before), which keeps the match a substring of the query. While
    the user is still typing (``last_is_prefix``) a final single character is a prefix:
    发 finds every bigram that starts with 发.
    """
    words = [word for word in tokens(run) if _HAN_RUN.fullmatch(word)] or [run]
    groups: list[str] = []
    pending = ""
    for word in words:
        pending += word
        if len(pending) >= 2:
            groups.append(pending)
            pending = ""
    if pending:
        if groups and not last_is_prefix:
            groups[-1] += pending
        else:
            groups.append(pending)
    for group in groups:
        if len(group) == 1:
            yield Unit(tokens=(group,), surface=group, prefix=True)
        else:
            yield Unit(tokens=tuple(_bigrams(group)), surface=group)


def word_units(text: str, *, prefix_last: bool = False) -> list[Unit]:
    """An unquoted query word as units, each required. ``prefix_last`` (typing suggestions)
    makes a last Latin word a prefix."""
    units: list[Unit] = []
    runs = list(RUN.finditer(normalise(text)))
    for n, match in enumerate(runs):
        last = n == len(runs) - 1
        han = match.group("han")
        if han:
            units.extend(_han_units(han, last_is_prefix=prefix_last and last))
        else:
            word = match.group("word")
            if prefix_last and last and word.isalpha() and len(word) >= 2:
                units.append(Unit(tokens=(word,), surface=word, prefix=True))
            else:
                units.append(Unit(tokens=(stem(word),), surface=word))
    return units


def phrase_unit(text: str) -> Unit | None:
    """A quoted phrase as one unit: its index tokens, adjacent and in order."""
    terms = index_terms(text).split()
    if not terms:
        return None
    return Unit(tokens=tuple(terms), surface=" ".join(m.group(0) for m in RUN.finditer(normalise(text))))


def is_stop_word(unit: Unit) -> bool:
    return len(unit.tokens) == 1 and not unit.prefix and unit.surface in ENGLISH_STOP_WORDS
