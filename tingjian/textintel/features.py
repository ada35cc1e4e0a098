"""What a classifier sees of a text: its words and the character pairs of its Chinese runs.

Words come from :func:`~tingjian.textintel.segment.tokens`, which normalises first, so a
text in Traditional and the same text in Simplified give the same features and the same
prediction. Character bigrams (prefixed ``BIGRAM_PREFIX`` so they never merge with a word)
cover what segmentation gets wrong or splits: an unknown product name, 不好 inside 不好吃,
沒熟 in 沒熟透. English word pairs do the same for "not hot" and "no refund".
"""

from __future__ import annotations

import re

from .script import normalise
from .segment import tokens

BIGRAM_PREFIX = "2:"
WORD_PAIR_PREFIX = "w:"
# Runs of Han characters, in the normalised (Simplified) text.
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_TOKEN = re.compile(r"[a-z0-9]+")


def han_bigrams(normalised: str) -> list[str]:
    """Every pair of neighbouring Han characters, within each run of Han characters."""
    pairs: list[str] = []
    for run in _HAN_RUN.findall(normalised):
        pairs.extend(BIGRAM_PREFIX + run[i:i + 2] for i in range(len(run) - 1))
    return pairs


def features(text: str) -> list[str]:
    """The features of ``text``, repeats kept (they are counted)."""
    words = tokens(text)
    pairs = [
        f"{WORD_PAIR_PREFIX}{a} {b}" for a, b in zip(words, words[1:], strict=False)
        if _LATIN_TOKEN.fullmatch(a) and _LATIN_TOKEN.fullmatch(b)
    ]
    return words + han_bigrams(normalise(text)) + pairs


def surface(feature: str) -> str:
    """The text a feature stands for, to look for in the original: 发票 for ``2:发票``."""
    if feature.startswith(BIGRAM_PREFIX):
        return feature[len(BIGRAM_PREFIX):]
    if feature.startswith(WORD_PAIR_PREFIX):
        return feature[len(WORD_PAIR_PREFIX):]
    return feature
