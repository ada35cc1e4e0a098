"""Words of a text, the same whichever script it was written in.

jieba, on :func:`~tingjian.textintel.script.normalise`'s Simplified output, with two
dictionaries on top of jieba's own: ``dictionaries/zh_tw_usage.txt`` (Taiwanese usage
jieba's dictionary misses: 便当, 捷运, 悠游卡, 载具, written in Simplified because
segmentation runs after conversion) and the domain words (products, branches) an
administrator keeps, loaded at start-up through :func:`add_domain_words`.

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
from pathlib import Path

import jieba
import snowballstemmer

from .script import normalise

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
                tokenizer.add_word(word, DOMAIN_WORD_FREQUENCY)
            _tokenizer = tokenizer
        return _tokenizer


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
                _tokenizer.add_word(word, DOMAIN_WORD_FREQUENCY)


_stemmer = snowballstemmer.stemmer("english")


def stem(word: str) -> str:
    """The English Snowball (Porter2) stem: invoice, invoices, invoiced and invoicing all give
    ``invoic``. Stems need not be words; what matters is that a query and a text meet on the
    same stem. Words with digits or other scripts are left as they are."""
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
    for token in _get_tokenizer().cut(normalised):
        token = token.strip()
        if not token or not _WORD.search(token):
            continue
        if _LATIN_TOKEN.fullmatch(token):
            if token in ENGLISH_STOP_WORDS:
                continue
            found.append(stem(token))
        elif token not in CHINESE_STOP_WORDS:
            found.append(token)
    return found
