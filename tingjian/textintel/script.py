"""Which language and script a text is written in, and its one canonical form for analysis.

Customers write Traditional Chinese, Simplified Chinese, English or a mix, whatever the
shop's locale. Everything that compares texts (segmentation, search, classifiers) works on
:func:`normalise`'s output, so 發票 and 发票 are one word; the original is never changed and
is what people see.

Detection votes with OpenCC itself rather than with a character table: a Han character that
t2s changes is Traditional, one that s2t changes is Simplified, and one both leave alone
(人, 我, 的) is the same in both scripts and does not vote.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Literal

import opencc

Language = Literal["zh", "en", "mixed", "unknown"]
Script = Literal["zh-Hant", "zh-Hans", "en", "mixed", "unknown"]

# Each of Chinese and English must be at least this share of the letters for a text to be
# "mixed": "請幫我查 order 12345" is mixed, a Chinese complaint quoting "LINE Pay" is not.
MIXED_MINIMUM_SHARE = 0.2

# Full-width ASCII (ＦＩＲＥ, ，) to half-width, one character for one so positions hold.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}

# Standard Traditional characters that s2t still changes, because one Simplified character
# stands for several Traditional ones and this one is among them (台 for 臺/檯/颱, 里 for
# 裏, 后 for 後). Taiwanese text is full of them (台北, 里長), so they must not vote Simplified.
_IN_BOTH_SCRIPTS = frozenset("台后里干才只制系面松范冲准征丑谷云借咸卷朴签")


@dataclass(frozen=True)
class Detected:
    """What :func:`detect` found.

    ``han_ratio`` is the share of Han characters among letters (Han characters plus Latin
    letters), 0.0 for a text with neither.
    """

    language: Language
    script: Script
    han_ratio: float


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def _is_han(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= code <= 0x4DBF  # Extension A
        or 0xF900 <= code <= 0xFAFF  # Compatibility Ideographs
        or 0x20000 <= code <= 0x3FFFF  # Extensions B and later
    )


def _is_latin_letter(char: str) -> bool:
    return ord(char) < 0x250 and char.isalpha()


@cache
def _script_vote(char: str) -> int:
    """+1 for a Traditional character, -1 for a Simplified one, 0 for one used in both."""
    if _converter("t2s").convert(char) != char:
        return 1
    if char not in _IN_BOTH_SCRIPTS and _converter("s2t").convert(char) != char:
        return -1
    return 0


@cache
def _simplified_char(char: str) -> str:
    converted: str = _converter("t2s").convert(char)
    return converted if len(converted) == 1 else char


def detect(text: str) -> Detected:
    """The language and script of ``text``, in one pass over it."""
    han = latin = votes = 0
    for char in text.translate(_HALF_WIDTH):
        if _is_han(char):
            han += 1
            votes += _script_vote(char)
        elif _is_latin_letter(char):
            latin += 1
    letters = han + latin
    if not letters:
        return Detected(language="unknown", script="unknown", han_ratio=0.0)
    han_ratio = han / letters
    if MIXED_MINIMUM_SHARE <= han_ratio <= 1 - MIXED_MINIMUM_SHARE:
        return Detected(language="mixed", script="mixed", han_ratio=han_ratio)
    if han_ratio < MIXED_MINIMUM_SHARE:
        return Detected(language="en", script="en", han_ratio=han_ratio)
    # Chinese whose every character is the same in both scripts (我的人) has no script.
    script: Script = "zh-Hant" if votes > 0 else "zh-Hans" if votes < 0 else "unknown"
    return Detected(language="zh", script=script, han_ratio=han_ratio)


def to_simplified(text: str) -> str:
    """``text`` in Simplified Chinese with half-width ASCII, character for character.

    For callers that quote the original by position (the safety lexicon); analysis that
    needs no positions uses :func:`normalise`.
    """
    text = text.translate(_HALF_WIDTH)
    converted: str = _converter("t2s").convert(text)
    if len(converted) != len(text):
        # OpenCC converts phrases first; should a phrase ever change length, converting one
        # character at a time keeps every match at its place in the original.
        converted = "".join(_simplified_char(char) for char in text)
    return converted


def normalise(text: str) -> str:
    """The canonical analysis form of ``text``: NFKC, Simplified Chinese, lower-case Latin.

    NFKC also turns full-width ASCII into half-width. Simplified is the canonical script
    because jieba's dictionary is Simplified: it segments converted text better and faster
    (docs: STACK-NOTES, "Chinese segmentation"). Positions are not kept; callers keep the
    original.
    """
    if not text:
        return ""
    converted: str = _converter("t2s").convert(unicodedata.normalize("NFKC", text))
    return converted.lower()
