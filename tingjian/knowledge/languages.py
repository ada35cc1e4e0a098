"""Which of an article's two languages a reader sees, and in which Chinese script.

Articles and templates are written once in Chinese (in either script, as the author types)
and once in English. A reader of 繁體中文 or 简体中文 sees the Chinese text converted to
their script; an English reader sees the English text. When the reader's language is
missing, the other one is shown rather than nothing.

Conversion is for display, so it keeps the text's punctuation and uses the phrase-aware
Taiwan configurations (``s2twp``: 软件 → 軟體; ``tw2sp``: 發票 → 发票, 軟體 → 软件) rather than
``textintel.script.to_simplified``, which exists for analysis and turns full-width
punctuation (，。！) half-width — right for matching, wrong for a customer-facing reply.
A text already in the reader's script is left exactly as written.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import opencc

from tingjian.textintel.script import detect

Reading = Literal["zh-hant", "zh-hans", "en"]
READINGS: tuple[Reading, ...] = ("zh-hant", "zh-hans", "en")

_SIMPLIFIED_CODES = {"zh-hans", "zh-cn", "zh-sg", "zh-my"}


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def reading_for(language_code: str | None) -> Reading:
    """The reading for a Django language code (``get_language()``); Traditional by default,
    as the product is."""
    code = (language_code or "").lower()
    if code.startswith("en"):
        return "en"
    if code in _SIMPLIFIED_CODES:
        return "zh-hans"
    return "zh-hant"


def chinese_in(text: str, reading: Reading) -> str:
    """``text`` (Chinese in either script) in the reader's script; English readers and text
    already in the wanted script get it unchanged."""
    if not text or reading == "en":
        return text
    script = detect(text).script
    if reading == "zh-hans":
        return text if script == "zh-Hans" else str(_converter("tw2sp").convert(text))
    return text if script == "zh-Hant" else str(_converter("s2twp").convert(text))
