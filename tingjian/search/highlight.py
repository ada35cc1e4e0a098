"""Highlighted snippets, in the script the customer wrote.

Matching happens on the normalised text (Simplified, lower case), where the query's words
are; the marks are placed on the original, which is what the agent reads. OpenCC and NFKC
keep nearly every text the same length, so positions carry over one to one; for the rare
text whose normalised form has another length (ligatures, some compatibility characters) the
text is normalised a character at a time to keep the map. Marks are placed in Python, the
same way for both backends, rather than with FTS5's ``snippet()`` or ``ts_headline``, which
only know the index tokens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tingjian.textintel.script import normalise
from tingjian.textintel.segment import stem

from .analysis import RUN, Unit

SNIPPET_CHARS = 180
LEAD_CHARS = 50  # context shown before the first match
_SPACES = re.compile(r"\s+")


def _unit_pattern(unit: Unit) -> str:
    parts = []
    for run in RUN.finditer(unit.surface):
        if run.group("han"):
            parts.append(re.escape(run.group("han")))
        else:
            word = run.group("word")
            parts.append(r"(?<![^\W_])" + re.escape(word if unit.prefix else stem(word)) + r"[^\W_]*")
    return r"[\W_]*".join(parts)


@lru_cache(maxsize=256)
def _pattern(units: tuple[Unit, ...]) -> re.Pattern[str] | None:
    patterns = [p for p in (_unit_pattern(u) for u in units) if p]
    return re.compile("|".join(patterns)) if patterns else None


def _normalised_with_map(text: str) -> tuple[str, list[int] | None]:
    """The normalised text and, if lengths differ, the original index of each of its chars."""
    normalised = normalise(text)
    if len(normalised) == len(text):
        return normalised, None
    pieces, origin = [], []
    for i, char in enumerate(text):
        piece = normalise(char)
        pieces.append(piece)
        origin.extend([i] * len(piece))
    return "".join(pieces), origin


def _spans(text: str, units: Sequence[Unit]) -> list[tuple[int, int]]:
    pattern = _pattern(tuple(units))
    if not text or pattern is None:
        return []
    normalised, origin = _normalised_with_map(text)
    spans = []
    for match in pattern.finditer(normalised):
        start, end = match.span()
        if start == end:
            continue
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        spans.append((start, end))
    return spans


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    position = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(escape(_SPACES.sub(" ", text[position:span_start])))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(escape(_SPACES.sub(" ", text[position:end])))
    return "".join(out)


def mark(text: str, units: Sequence[Unit]) -> SafeString:
    """All of ``text``, escaped, with every match in ``<mark>``."""
    return mark_safe(_render(text, _spans(text, units), 0, len(text)))  # noqa: S308 - escaped in _render


def snippet(text: str, units: Sequence[Unit], width: int = SNIPPET_CHARS) -> SafeString:
    """About ``width`` characters of ``text`` around its first match, escaped and marked."""
    spans = _spans(text, units)
    start = max(0, spans[0][0] - LEAD_CHARS) if spans else 0
    end = min(len(text), start + width)
    html = _render(text, spans, start, end).strip()
    if start > 0:
        html = "…" + html
    if end < len(text):
        html += "…"
    return mark_safe(html)  # noqa: S308 - escaped in _render
