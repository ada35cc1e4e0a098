"""Lines: a sparkline (no axes) and a line chart (the current period solid, comparisons dashed)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from .svg import (
    GRID,
    MUTED,
    SERIES_COLOURS,
    SERIES_DASHES,
    _clean,
    _coord,
    _empty,
    _finish,
    _num,
    _open,
    _text,
    fit,
    format_value,
    nice_axis,
    text_width,
)

# ---------------------------------------------------------------------------- sparkline


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 28, label: str = "") -> SafeString:
    """A small line with no axes; gaps where a value is missing; the last point marked."""
    points = [_clean(v) for v in values]
    known = [v for v in points if v is not None]
    if not known:
        return _empty("sparkline", width, height, label)
    low, high = min(known), max(known)
    span = high - low or 1.0
    pad = 3.0
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        if high == low:
            return pad + i * step, height / 2
        return pad + i * step, height - pad - (v - low) / span * (height - 2 * pad)

    desc = gettext("%(count)s values from %(low)s to %(high)s, last %(last)s") % {
        "count": len(points), "low": _num(low), "high": _num(high), "last": _num(known[-1]),
    }
    parts = [_open("sparkline", width, height, label, desc)]
    for run in _runs(points):
        coords = " ".join(f"{_coord(x)},{_coord(y)}" for x, y in (xy(i, v) for i, v in run))
        if len(run) == 1:
            x, y = xy(*run[0])
            parts.append(f'<circle cx="{_coord(x)}" cy="{_coord(y)}" r="1.5" fill="{SERIES_COLOURS[0]}"/>')
        else:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{SERIES_COLOURS[0]}" stroke-width="1.5"'
                ' stroke-linejoin="round" stroke-linecap="round"/>'
            )
    last_index = max(i for i, v in enumerate(points) if v is not None)
    x, y = xy(last_index, points[last_index])  # type: ignore[arg-type]
    parts.append(f'<circle cx="{_coord(x)}" cy="{_coord(y)}" r="2.2" fill="{SERIES_COLOURS[0]}"/>')
    return _finish(parts)


def _runs(points: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive known points, so a missing value breaks the line instead of faking a zero."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, v in enumerate(points):
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        runs.append(current)
    return runs


# ---------------------------------------------------------------------------- line chart


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
    *,
    width: int = 640,
    height: int = 220,
    title: str = "",
    unit: str = "",
    show_title: bool = True,
) -> SafeString:
    """Lines against a shared y axis from zero; the first series solid, the others dashed.

    Series are aligned by position (day 1 of this week over day 1 of last week), and the x
    labels are the first series'. ``unit`` is a KPI unit ("count", "percent", "seconds"…) or a
    suffix of one's own.
    """
    cleaned = [
        (str(name), [(str(x), _clean(v)) for x, v in points]) for name, points in series
    ]
    known = [v for _, points in cleaned for _, v in points if v is not None]
    if not cleaned or not known:
        return _empty("line", width, height, title, show_title)
    whole = all(float(v).is_integer() for v in known) and unit in ("", "count")
    top = nice_axis(max(max(known), 0.0), whole=whole)
    bottom = min(0.0, min(known))
    if bottom < 0:
        bottom = -nice_axis(-bottom, whole=whole)
    tick_labels = [format_value(bottom + (top - bottom) * i / 4, unit) for i in range(5)]
    left = max(28.0, max(text_width(t, 10) for t in tick_labels) + 10)
    right, head, foot = 12.0, (40.0 if title and show_title else 24.0), 24.0
    plot_w, plot_h = width - left - right, height - head - foot
    length = max(len(points) for _, points in cleaned)
    step = plot_w / max(length - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if length > 1 else plot_w / 2)
        return x, head + plot_h - (v - bottom) / (top - bottom) * plot_h

    first_name, first_points = cleaned[0]
    current = [v for _, v in first_points if v is not None]
    desc = gettext("%(name)s: %(count)s points, last %(last)s") % {
        "name": first_name, "count": len(first_points),
        "last": format_value(current[-1] if current else None, unit),
    }
    parts = [_open("line", width, height, title, desc)]
    if title and show_title:
        parts.append(_text(0, 14, title, weight="bold"))
    # Legend: a line sample in each series' style, then its name.
    lx = left
    for index, (name, points) in enumerate(cleaned):
        if all(v is None for _, v in points):
            continue  # nothing drawn, nothing to name
        colour, dash = SERIES_COLOURS[index % len(SERIES_COLOURS)], SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        y = head - 10
        parts.append(
            f'<line x1="{_coord(lx)}" y1="{_coord(y)}" x2="{_coord(lx + 18)}" y2="{_coord(y)}" stroke="{colour}"'
            f' stroke-width="2"{dash_attr}/>'
        )
        parts.append(_text(lx + 22, y + 4, name, size=10, colour=MUTED))
        lx += 22 + text_width(name, 10) + 16
    # Grid and y labels.
    for i in range(5):
        value = bottom + (top - bottom) * i / 4
        _, y = xy(0, value)
        parts.append(
            f'<line x1="{_coord(left)}" y1="{_coord(y)}" x2="{_coord(width - right)}" y2="{_coord(y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 3.5, tick_labels[i], anchor="end", size=10, colour=MUTED))
    # X labels: at most about one per 70 px, always the first and the last.
    labels = [x for x, _ in first_points]
    every = max(1, math.ceil(len(labels) / max(1, int(plot_w // 70))))
    shown = list(range(0, len(labels), every))
    if shown and shown[-1] != len(labels) - 1 and (len(labels) - 1 - shown[-1]) * 2 >= every:
        shown.append(len(labels) - 1)
    for i in shown:
        text = labels[i]
        x, _ = xy(i, bottom)
        anchor = "start" if i == 0 and len(labels) > 1 else ("end" if i == len(labels) - 1 and i else "middle")
        parts.append(_text(x, height - 8, fit(text, 70, 10), anchor=anchor, size=10, colour=MUTED))
    # Comparisons first, so the current line sits on top.
    for index in reversed(range(len(cleaned))):
        name, points = cleaned[index]
        colour, dash = SERIES_COLOURS[index % len(SERIES_COLOURS)], SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        values = [v for _, v in points]
        for run in _runs(values):
            if len(run) == 1:
                x, y = xy(*run[0])
                parts.append(f'<circle cx="{_coord(x)}" cy="{_coord(y)}" r="2.5" fill="{colour}"/>')
                continue
            coords = " ".join(f"{_coord(x)},{_coord(y)}" for x, y in (xy(i, v) for i, v in run))
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{2 if index == 0 else 1.5}"'
                f' stroke-linejoin="round"{dash_attr}/>'
            )
        if index == 0:
            # Points of the current series carry their value for a hover tooltip and screen readers.
            for i, (x_label, v) in enumerate(points):
                if v is None:
                    continue
                x, y = xy(i, v)
                parts.append(
                    f'<circle cx="{_coord(x)}" cy="{_coord(y)}" r="2.5" fill="{colour}">'
                    f"<title>{escape(name)} · {escape(x_label)}: {escape(format_value(v, unit))}</title></circle>"
                )
    return _finish(parts)


