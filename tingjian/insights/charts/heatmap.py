"""A heatmap: a grid (weekdays × hours) coloured by value, each cell a drill-down link."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from .svg import (
    HEAT_EMPTY,
    HEAT_SCALE,
    MUTED,
    _clean,
    _coord,
    _empty,
    _finish,
    _link,
    _num,
    _open,
    _text,
    fit,
    text_width,
)

# ---------------------------------------------------------------------------- heatmap


HrefSource = Sequence[Sequence[str | None]] | Callable[[int, int], str | None] | None


def heat_colour(value: float, high: float) -> str:
    """The cell colour for ``value`` on a scale whose darkest step is ``high``."""
    if value <= 0 or high <= 0:
        return HEAT_EMPTY
    step = math.ceil(value / high * len(HEAT_SCALE)) - 1
    return HEAT_SCALE[min(max(step, 0), len(HEAT_SCALE) - 1)]


def heatmap_chart(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    hrefs: HrefSource = None,
    title: str = "",
    width: int = 640,
    show_title: bool = True,
) -> SafeString:
    """A grid (e.g. weekdays × 24 hours) coloured by value; a cell with a link drills down.

    ``hrefs`` is a grid of the same shape or a function ``(row, column) -> href``.
    """
    row_labels, column_labels = [str(r) for r in rows], [str(c) for c in columns]
    grid = [[_clean(v) or 0.0 for v in line] for line in values]
    high = max((v for line in grid for v in line), default=0.0)
    if not row_labels or not column_labels or high <= 0:
        return _empty("heatmap", width, 120 if title and show_title else 90, title, show_title)
    left = min(140.0, max(text_width(r, 10) for r in row_labels) + 10)
    head = 40.0 if title and show_title else 18.0
    cell_w = (width - left - 4) / len(column_labels)
    cell_h = min(22.0, max(14.0, cell_w * 0.8))
    legend_h = 28.0
    height = head + cell_h * len(row_labels) + legend_h
    total = sum(sum(line) for line in grid)
    peak_r, peak_c = max(
        ((r, c) for r in range(len(grid)) for c in range(len(grid[r]))), key=lambda rc: grid[rc[0]][rc[1]]
    )
    desc = gettext("%(total)s in all; the busiest cell is %(row)s %(column)s with %(value)s") % {
        "total": _num(total), "row": row_labels[peak_r] if peak_r < len(row_labels) else "",
        "column": column_labels[peak_c] if peak_c < len(column_labels) else "", "value": _num(high),
    }
    parts = [_open("heatmap", width, height, title, desc)]
    if title and show_title:
        parts.append(_text(0, 14, title, weight="bold"))
    every = max(1, math.ceil(text_width("00", 9) * 1.6 / cell_w))
    for c, label in enumerate(column_labels):
        if c % every == 0:
            parts.append(_text(left + c * cell_w + cell_w / 2, head - 5, label, anchor="middle", size=9, colour=MUTED))
    for r, label in enumerate(row_labels):
        y = head + r * cell_h
        parts.append(_text(left - 6, y + cell_h / 2 + 3.5, fit(label, left - 8, 10), anchor="end", size=10,
                           colour=MUTED))
        line = grid[r] if r < len(grid) else []
        for c, column in enumerate(column_labels):
            value = line[c] if c < len(line) else 0.0
            x = left + c * cell_w
            cell = (
                f'<rect x="{_coord(x + 0.5)}" y="{_coord(y + 0.5)}" width="{_coord(cell_w - 1)}"'
                f' height="{_coord(cell_h - 1)}" fill="{heat_colour(value, high)}">'
                f"<title>{escape(label)} {escape(column)}: {escape(_num(value))}</title></rect>"
            )
            href: str | None = None
            if value > 0 and hrefs is not None:
                if callable(hrefs):
                    href = hrefs(r, c)
                elif r < len(hrefs) and c < len(hrefs[r]):
                    href = hrefs[r][c]
            parts.append(_link(cell, href))
    # The scale: each colour step with the lowest value it stands for.
    ly = head + cell_h * len(row_labels) + 10
    parts.append(_text(left - 6, ly + 9, gettext("Fewer"), anchor="end", size=9, colour=MUTED))
    for i, colour in enumerate(HEAT_SCALE):
        parts.append(
            f'<rect x="{_coord(left + i * 18)}" y="{_coord(ly)}" width="16" height="10" fill="{colour}"/>'
        )
    parts.append(_text(left + len(HEAT_SCALE) * 18 + 4, ly + 9, gettext("More (max %(value)s)") % {"value": _num(high)},
                       size=9, colour=MUTED))
    return _finish(parts)
