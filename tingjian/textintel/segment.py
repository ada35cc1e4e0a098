"""Words of a text, the same whichever script it was written in.

jieba, on :func:`~tingjian.textintel.script.normalise`'s Simplified output, with two
dictionaries on top of jieba's own: ``dictionaries/zh_tw_usage.txt`` (Taiwanese usage
jieba's dictionary misses: 便当, 捷运, 悠游卡, 载具, written in Simplified because
segmentation runs after conversion) and the domain words (products, branches) an
administrator keeps, which ``dictionary.refresh`` loads through :func:`add_domain_words` and
:func:`remove_domain_words`.

English words are lower-cased and stemmed (Snowball, Porter2) by :func:`stem`; stop-words of both
languages and punctuation are dropped. The same function serves indexing and querying, so
whatever it does to a word it does on both sides.

One ``jieba.Tokenizer`` per process, built on first use under a lock (loading jieba's
dictionary takes about a second), never jieba's global one: another library configuring
the global tokenizer cannot change our words. Its cache goes to the system temp directory,
never into the source tree.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba
import snowballstemmer

from .script import normalise, to_simplified

USAGE_DICTIONARY = Path(__file__).resolve().parent / "dictionaries" / "zh_tw_usage.txt"
# A domain word (a product, a branch) should win over jieba's split of it: a frequency as
# high as common words in jieba's dictionary.
DOMAIN_WORD_FREQUENCY = 20000

# Short lists on purpose: words that carry no meaning for search or classification. Not
# negations (不, 没有, not): "not received" and "received" are different complaints.
_ENGLISH_STOP_WORDS = """
a an the and or but if then so of to in on at by for from with about as into over under
is am are was were be been being do does did have has had i me my we our you your he him
his she her it its they them their this that these those there here what which who whom
will would can could should shall may might must just than too very also please
"""
_CHINESE_STOP_WORDS = """
的 了 着 过 地 得 之 是 在 和 与 及 跟 或 而 也 都 就 又 还 再 才 把 被 给 让 对 向 从
我 你 您 他 她 它 我们 你们 他们 她们 这 那 这个 那个 这样 那样 这些 那些 个 吗 呢 吧 啊 呀 啦 喔 哦
嗯 耶 请 一下
"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split())
CHINESE_STOP_WORDS = frozenset(_CHINESE_STOP_WORDS.split())

# A token worth keeping has at least one letter or digit (of any script).
_WORD = re.compile(r"\w")
_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:['._\-+#&%][a-z0-9]+)*")
_VOWELS = frozenset("aeiouy")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_domain_words: dict[str, None] = {}  # insertion-ordered set, replayed at initialisation
# What jieba's own dictionaries said of a domain word before we raised it, so removing the
# word gives back jieba's behaviour (发票 stays a word) instead of deleting it.
_frequency_before: dict[str, int] = {}


def _cache_directory() -> str:
    directory = os.path.join(tempfile.gettempdir(), "tingjian-jieba")
    os.makedirs(directory, exist_ok=True)
    return directory


def _get_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    tokenizer = _tokenizer
    if tokenizer is not None:
        return tokenizer
    with _lock:
        if _tokenizer is None:
            # jieba logs "Building prefix dict..." at DEBUG on its own stderr handler.
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = _cache_directory()
            tokenizer.initialize()
            tokenizer.load_userdict(str(USAGE_DICTIONARY))
            for word in _domain_words:
                _raise(tokenizer, word)
            _tokenizer = tokenizer
        return _tokenizer


def _raise(tokenizer: jieba.Tokenizer, word: str) -> None:
    _frequency_before.setdefault(word, tokenizer.FREQ.get(word, 0))
    tokenizer.add_word(word, DOMAIN_WORD_FREQUENCY)


def add_domain_words(words: Iterable[str]) -> None:
    """Make each of ``words`` (a product, a branch; either script) come out as one token.

    Safe to call before the tokenizer is built (the words are added when it is) and from any
    thread. Words are normalised as texts are, so 中山店 and 中山店 in either script match.
    """
    normalised = [word for word in (normalise(word).strip() for word in words) if word]
    with _lock:
        for word in normalised:
            _domain_words[word] = None
            if _tokenizer is not None:
                _raise(_tokenizer, word)


def remove_domain_words(words: Iterable[str]) -> None:
    """Undo :func:`add_domain_words` for ``words`` (a deactivated or renamed product).

    A word jieba knew before keeps jieba's own frequency (发票 stays one word); a word only
    the administrators knew is split again as jieba would split it.
    """
    normalised = [word for word in (normalise(word).strip() for word in words) if word]
    with _lock:
        for word in normalised:
            if word not in _domain_words:
                continue
            del _domain_words[word]
            if _tokenizer is not None:
                before = _frequency_before.pop(word, 0)
                if before:
                    _tokenizer.add_word(word, before)
                else:
                    _tokenizer.del_word(word)


def domain_words() -> tuple[str, ...]:
    """The domain words this process's tokenizer keeps whole, normalised."""
    with _lock:
        return tuple(_domain_words)


_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The English Snowball (Porter2) stem: invoice, invoices, invoiced and invoicing all give
    ``invoic``. Stems need not be words; what matters is that a query and a text meet on the
    same stem. Words with digits or other scripts are left as they are.

    Cached: the pure-Python stemmer was three quarters of indexing time, and complaints
    use a small vocabulary (bench/README.md, "Search")."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    return str(_stemmer.stemWord(word))


def tokens(text: str) -> list[str]:
    """The words of ``text`` for search and classification, in order, repeats kept.

    Chinese words in Simplified (便當 gives 便当), English words lower-cased and stemmed,
    numbers as they are; stop-words and punctuation dropped.
    """
    normalised = normalise(text)
    if not _WORD.search(normalised):
        return []
    found = []
    for word in _get_tokenizer().cut(normalised):
        token = _token(word.strip())
        if token is not None:
            found.append(token)
    return found


def _token(word: str) -> str | None:
    """``word`` as :func:`tokens` gives it (stemmed when English), or None to drop it."""
    if not word or not _WORD.search(word):
        return None
    if _LATIN_TOKEN.fullmatch(word):
        return None if word in ENGLISH_STOP_WORDS else stem(word)
    return None if word in CHINESE_STOP_WORDS else word


@dataclass(frozen=True)
class Span:
    """One token of a text and where it stands in the original (``text[start:end]``)."""

    token: str
    start: int
    end: int


def spans(text: str) -> list[Span]:
    """The tokens of ``text`` as :func:`tokens` gives them, each with its place in ``text``.

    For callers that quote the customer's own words back (keywords, a classifier's
    evidence): 便當 is found as 便当 and quoted as 便當. Segmentation runs on
    :func:`~tingjian.textintel.script.to_simplified`'s output, which keeps every position,
    rather than on :func:`normalise`'s; the two differ only for the rare characters NFKC
    rewrites (ligatures, circled digits).
    """
    simplified = to_simplified(text)
    lowered = simplified.lower()
    if len(lowered) != len(simplified):
        # A few capitals lower-case to two characters (İ); keep those as they are.
        lowered = "".join(char.lower() if len(char.lower()) == 1 else char for char in simplified)
    if not _WORD.search(lowered):
        return []
    found = []
    for word, start, _end in _get_tokenizer().tokenize(lowered):
        stripped = word.strip()
        token = _token(stripped)
        if token is not None:
            offset = start + word.index(stripped)
            found.append(Span(token, offset, offset + len(stripped)))
    return found
