"""The few words that say what a text is about, in the customer's own script.

For the case page (what is this complaint about, at a glance) and for trend analysis
(which words are rising this week). TF-IDF, as ``jieba.analyse`` does it, with the
document frequencies taken from the repository's labelled complaints rather than from
general news text: words every complaint uses (客服, 訂單, please) weigh little, words
few complaints use (玻璃, 統編, 鴨血) weigh much. A word no complaint in the set uses
weighs most: a new product name is exactly what a keyword should catch.

Words are found with :func:`~tingjian.textintel.segment.spans`, which keeps their place in
the original text, so a Traditional text gives Traditional keywords (便當, not 便当).
Callers that compare keywords across texts should compare ``normalise(keyword)``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

from .dataset import repo_rows
from .segment import spans

DEFAULT_COUNT = 8
# Words that are in nearly every message to a company and say nothing about this one,
# in normalised form (Simplified, lower case, English stemmed).
_STOP_WORD_LIST = """
你好 您好 谢谢 感谢 麻烦 请问 不好意思 客服 一个 一下 没有 已经 因为 所以 但是 可是 然后 结果 真的
非常 还是 可以 什么 怎么 这么 那么 就是 不是 我们 你们 他们 自己 今天 昨天 明天 时候 现在 之后 以后
之前 的话 这种 那种 还有 而且 如果 虽然 不过 应该 觉得 知道 希望 问题 一直 一样 里面 上面 下面
一次 两次 每次 第一次 次 时间 东西 直接 说 要 会 能 想 有 没 很 太 都 也 就 还 又 再 才
尽快 马上 完全 根本 实在 一点 有点 没法 没办法 怎么办 我点 我要 我想 出来 起来 一些 比较 其实
hello hi dear thank thanks pleas would could realli veri just get got one also like now today
not no never cannot can't don't didn't
"""
_STOP_WORDS = frozenset(_STOP_WORD_LIST.split())
# A number and a measure word (一片, 两杯, 三个) counts things; it names none.
_COUNTED = re.compile(r"[一二两三四五六七八九十几半每这那][个片根杯份碗次张块颗条只位盒袋]")
_DIGITS = re.compile(r"[\d.,:%-]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def is_salient(token: str) -> bool:
    """Whether a token (as ``segment.tokens`` gives it) can say what a text is about."""
    if token in _STOP_WORDS or _DIGITS.fullmatch(token) or _COUNTED.fullmatch(token):
        return False
    if _HAN.search(token):
        return len(token) >= 2  # one character (好, 冷, 汤) is too vague on its own
    return len(token) >= 3


@cache
def _document_frequencies() -> tuple[int, dict[str, int]]:
    """How many of the labelled texts contain each word, computed once per process."""
    counts: Counter[str] = Counter()
    rows = repo_rows()
    for row in rows:
        counts.update({span.token for span in spans(row["text"])})
    return len(rows), dict(counts)


def _idf(token: str, documents: int, frequencies: dict[str, int]) -> float:
    return math.log((documents + 1) / (frequencies.get(token, 0) + 1)) + 1.0


def keywords(text: str, k: int = DEFAULT_COUNT) -> list[str]:
    """Up to ``k`` salient words of ``text``, most salient first, quoted as written there.

    Each word appears once (its first wording); ties go to the word that comes first.
    """
    if k <= 0:
        return []
    documents, frequencies = _document_frequencies()
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    quoted: dict[str, str] = {}
    for span in spans(text):
        if not is_salient(span.token):
            continue
        counts[span.token] += 1
        if span.token not in quoted:
            quoted[span.token] = text[span.start:span.end]
            first[span.token] = span.start

    def weight(token: str) -> tuple[float, int]:
        return (-(1.0 + math.log(counts[token])) * _idf(token, documents, frequencies), first[token])

    return [quoted[token] for token in sorted(counts, key=weight)[:k]]
