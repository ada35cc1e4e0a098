"""Bars: a bar chart, with the Pareto cumulative-% line when asked."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from .svg import (
    BAR_COLOUR,
    GRID,
    INK,
    MUTED,
    PARETO_COLOUR,
    _clean,
    _coord,
    _empty,
    _finish,
    _link,
    _num,
    _open,
    _text,
    fit,
    nice_axis,
    text_width,
)

# ---------------------------------------------------------------------------- bar chart


def bar_chart(
    bars: Sequence[tuple[str, float, str | None]],
    *,
    cumulative: bool = False,
    width: int = 640,
    height: int = 240,
    title: str = "",
    show_title: bool = True,
) -> SafeString:
    """Vertical bars in the given order, each a link when it has an href.

    With ``cumulative`` a red line shows the running share of the total (a Pareto chart: sort
    the bars by value, largest first, before calling), on a 0–100 % axis at the right.
    """
    cleaned = [(str(label), _clean(value) or 0.0, href) for label, value, href in bars]
    total = sum(max(v, 0.0) for _, v, _ in cleaned)
    if not cleaned or total <= 0:
        return _empty("bar", width, height, title, show_title)
    top = nice_axis(max(v for _, v, _ in cleaned), whole=all(v.is_integer() for _, v, _ in cleaned))
    tick_labels = [_num(top * i / 4) for i in range(5)]
    left = max(28.0, max(text_width(t, 10) for t in tick_labels) + 10)
    right = 40.0 if cumulative else 12.0
    head, foot = (40.0 if title and show_title else (24.0 if cumulative else 20.0)), 30.0
    plot_w, plot_h = width - left - right, height - head - foot
    slot = plot_w / len(cleaned)
    bar_w = max(2.0, slot * 0.7)

    def y_of(v: float) -> float:
        return head + plot_h - v / top * plot_h

    top_label, top_value, _ = max(cleaned, key=lambda b: b[1])
    desc = gettext("%(count)s bars; largest %(label)s with %(value)s of %(total)s") % {
        "count": len(cleaned), "label": top_label, "value": _num(top_value), "total": _num(total),
    }
    parts = [_open("bar", width, height, title, desc)]
    if title and show_title:
        parts.append(_text(0, 14, title, weight="bold"))
    if cumulative:
        legend_y = head - 10
        parts.append(
            f'<rect x="{_coord(left)}" y="{_coord(legend_y - 6)}" width="12" height="8" fill="{BAR_COLOUR}"/>'
        )
        count_label = gettext("Count")
        parts.append(_text(left + 16, legend_y + 2, count_label, size=10, colour=MUTED))
        lx = left + 16 + text_width(count_label, 10) + 16
        parts.append(
            f'<line x1="{_coord(lx)}" y1="{_coord(legend_y - 2)}" x2="{_coord(lx + 18)}" y2="{_coord(legend_y - 2)}"'
            f' stroke="{PARETO_COLOUR}" stroke-width="2"/>'
        )
        parts.append(_text(lx + 22, legend_y + 2, gettext("Cumulative %"), size=10, colour=MUTED))
    for i in range(5):
        y = y_of(top * i / 4)
        parts.append(
            f'<line x1="{_coord(left)}" y1="{_coord(y)}" x2="{_coord(width - right)}" y2="{_coord(y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 3.5, tick_labels[i], anchor="end", size=10, colour=MUTED))
        if cumulative:
            parts.append(_text(width - right + 6, y + 3.5, f"{25 * i} %", size=10, colour=PARETO_COLOUR))
    running = 0.0
    line_points: list[str] = []
    for i, (label, value, href) in enumerate(cleaned):
        cx = left + slot * i + slot / 2
        y = y_of(max(value, 0.0))
        bar = (
            f'<rect x="{_coord(cx - bar_w / 2)}" y="{_coord(y)}" width="{_coord(bar_w)}"'
            f' height="{_coord(head + plot_h - y)}" fill="{BAR_COLOUR}">'
            f"<title>{escape(label)}: {escape(_num(value))}</title></rect>"
        )
        parts.append(_link(bar, href))
        if slot >= 18:
            parts.append(_text(cx, y - 3, _num(value), anchor="middle", size=9, colour=INK))
        parts.append(_text(cx, height - foot + 14, fit(label, slot - 2, 10), anchor="middle", size=10, colour=MUTED))
        running += max(value, 0.0)
        line_points.append(f"{_coord(cx)},{_coord(head + plot_h - running / total * plot_h)}")
    if cumulative:
        parts.append(
            f'<polyline points="{" ".join(line_points)}" fill="none" stroke="{PARETO_COLOUR}" stroke-width="2"'
            ' stroke-linejoin="round"/>'
        )
        for point in line_points:
            px, py = point.split(",")
            parts.append(f'<circle cx="{px}" cy="{py}" r="2.5" fill="{PARETO_COLOUR}"/>')
    return _finish(parts)


