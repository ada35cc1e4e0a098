"""The charts' shared drawing: colours, the font stack, number formats, escaping and the
SVG frame every chart opens with (``<title>``, ``<desc>``, ``aria-label``) or the "No data"
state. Every piece of text goes through ``escape`` here; nothing else emits text."""


from __future__ import annotations

import math
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

# Chinese must render in the PDF: WeasyPrint picks the first family fontconfig knows.
FONT_FAMILY = "'Noto Sans CJK TC', 'Noto Sans CJK SC', 'Noto Sans TC', sans-serif"
FONT_SIZE = 11

INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
# The current period in a strong colour; comparisons lighter and dashed, so the chart still
# reads in a black-and-white print.
SERIES_COLOURS = ("#2563eb", "#64748b", "#a855f7", "#0d9488", "#d97706")
SERIES_DASHES = ("", "6 4", "2 3", "8 3 2 3", "4 4")
BAR_COLOUR = "#2563eb"
PARETO_COLOUR = "#dc2626"
# Heatmap: from almost white to deep red, in 6 steps; an empty cell is a neutral grey.
HEAT_SCALE = ("#fef2f2", "#fecaca", "#fca5a5", "#f87171", "#dc2626", "#991b1b")
HEAT_EMPTY = "#f5f7fa"

UNIT_SUFFIX = {"percent": " %", "count": "", "score": "", "per10k": "", "": ""}
SAFE_LINK_PREFIXES = ("/", "http://", "https://", "?", "#", "mailto:")


# ---------------------------------------------------------------------------- text helpers


def _num(value: float) -> str:
    """A number for people: integers without decimals, others with at most one, thousands marked."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    rounded = round(float(value), 1)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return gettext("%(n)s s") % {"n": _num(seconds)}
    if seconds < 90 * 60:
        return gettext("%(n)s min") % {"n": _num(seconds / 60)}
    if seconds < 48 * 3600:
        return gettext("%(n)s h") % {"n": _num(seconds / 3600)}
    return gettext("%(n)s d") % {"n": _num(seconds / 86400)}


def format_value(value: float | None, unit: str = "") -> str:
    """``value`` with its unit ("42 min", "93.1 %", "1,204"); "—" when there is none."""
    if value is None:
        return "—"
    if unit == "seconds":
        return _duration(value)
    return _num(value) + UNIT_SUFFIX.get(unit, f" {unit}" if unit else "")


def _coord(value: float) -> str:
    """A coordinate with at most one decimal, so output is short and byte-for-byte stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Roughly how wide ``text`` is drawn: wide (CJK) characters are one em, others ~0.6."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """``text`` cut with an ellipsis so it fits ``width``."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…" if out else ""


def _safe_href(href: str | None) -> str | None:
    if not href:
        return None
    href = str(href).strip()
    if not href.lower().startswith(SAFE_LINK_PREFIXES) or href.startswith("//"):
        return None
    return href


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: float = FONT_SIZE,
          colour: str = INK, weight: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_coord(x)}" y="{_coord(y)}" text-anchor="{anchor}" font-size="{_coord(size)}"'
        f' fill="{colour}"{bold}>{escape(text)}</text>'
    )


def _open(kind: str, width: float, height: float, title: str, desc: str) -> str:
    label = escape(title or desc)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img"'
        f' width="{_coord(width)}" height="{_coord(height)}" viewBox="0 0 {_coord(width)} {_coord(height)}"'
        f' aria-label="{label}" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">'
        f"<title>{escape(title or desc)}</title><desc>{escape(desc)}</desc>"
    )


def _finish(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    # Every piece of text above went through escape(); numbers and colours are ours.
    return mark_safe("".join(parts))  # noqa: S308


def _empty(kind: str, width: float, height: float, title: str, show_title: bool = True) -> SafeString:
    message = gettext("No data")
    parts = [_open(kind, width, height, title, message)]
    if title and show_title and height >= 60:
        parts.append(_text(8, 16, title, weight="bold"))
    parts.append(
        f'<rect x="0.5" y="0.5" width="{_coord(width - 1)}" height="{_coord(height - 1)}" fill="none"'
        f' stroke="{GRID}"/>'
    )
    parts.append(_text(width / 2, height / 2 + FONT_SIZE / 3, message, anchor="middle", colour=MUTED))
    return _finish(parts)


def nice_ceiling(value: float) -> float:
    """The round number (1, 2, 2.5, 5 × 10^n) at or above ``value``, for an axis's top."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base + 1e-9:
            return step * base
    return 10 * base


def nice_axis(high: float, *, whole: bool = False, ticks: int = 4) -> float:
    """The top of an axis from zero with ``ticks`` round steps (1, 2, 2.5, 5 × 10^n) that
    reaches ``high``; with ``whole`` (counts) the steps are whole numbers."""
    if high <= 0:
        return float(ticks) if whole else 1.0
    raw = high / ticks
    if whole and raw <= 5:
        return float(math.ceil(raw) * ticks)  # small counts: steps of 1, 2, 3, 4 or 5
    exponent = math.floor(math.log10(raw))
    base = 10**exponent
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * base
        if whole and (step < 1 or step != int(step)):
            continue
        if raw <= step + 1e-9:
            return step * ticks
    return 10 * base * ticks


def _link(inner: str, href: str | None) -> str:
    safe = _safe_href(href)
    if safe is None:
        return inner
    return f'<a href="{escape(safe)}">{inner}</a>'


def _clean(value: float | None) -> float | None:
    """``value`` as a float, or None when missing or not a finite number."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


