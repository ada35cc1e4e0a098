"""Volume broken down: by a dimension (a Pareto when sorted), hour × weekday, top movers.

All read DayFacts only: a breakdown by category, product or root cause reads one row per
day; by branch, department or channel one row per day and value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ..measures import HOURS, Totals
from ..tables import Column, Table
from .display import drill_url, relative_change
from .facts import COLUMNS, day_rows, labels, totals, totals_by
from .period import Slice

MEASURE_OF = {"category": "cat", "product": "prod", "root_cause": "rc"}
DIMENSIONS = ("category", "product", "root_cause", "branch", "department", "channel")
SPLITS = ("", "department", "branch")
MOVER_DIMENSIONS = ("branch", "department", "channel", "category", "product")


def _dimension_title(dimension: str) -> str:
    return {
        "category": _("Categories"), "product": _("Products"), "root_cause": _("Root causes"),
        "branch": _("Branches"), "department": _("Departments"), "channel": _("Channels"),
    }[dimension]


def _counts(dimension: str, slice: Slice) -> dict[Any, int]:
    if dimension in MEASURE_OF:
        return {int(k): int(v) for k, v in totals(slice).counts(MEASURE_OF[dimension]).items()}
    return {key: grouped.count("opened") for key, grouped in totals_by(slice, dimension).items()}


def _key_param(dimension: str, key: Any) -> dict[str, str]:
    return {dimension: str(key)}


def _check(dimension: str, allowed: tuple[str, ...]) -> None:
    if dimension not in allowed:
        raise ValueError(
            _("Unknown breakdown “%(value)s”; use one of: %(allowed)s.")
            % {"value": dimension, "allowed": ", ".join(a or "none" for a in allowed)}
        )


def breakdown(dimension: str, slice: Slice, *, limit: int = 20) -> Table:
    """Cases opened in the slice by ``dimension``, largest first, with each one's share, the
    cumulative share (a Pareto), the previous period's count and the change. Rows: key,
    label, count, share (0–1), cumulative (0–1), previous, change, drill_url."""
    _check(dimension, DIMENSIONS)
    slice.ensure_not_future()
    now = {k: v for k, v in _counts(dimension, slice).items() if v}
    before = _counts(dimension, slice.previous())
    whole = sum(now.values())
    ordered = sorted(now.items(), key=lambda item: (-item[1], str(item[0])))[:limit]
    names = labels(dimension, [key for key, _count in ordered])
    rows, cumulative = [], 0
    for key, count in ordered:
        cumulative += count
        previous = before.get(key, 0)
        rows.append({
            "key": key, "label": names[key], "count": count,
            "share": count / whole if whole else None,
            "cumulative": cumulative / whole if whole else None,
            "previous": previous, "change": relative_change(count, previous),
            "drill_url": drill_url({**slice.query(), "what": "opened", **_key_param(dimension, key)}),
        })
    return Table(
        name=f"{dimension.replace('_', '-')}-{slice.start:%Y%m%d}-{slice.end:%Y%m%d}",
        title=_dimension_title(dimension),
        columns=[
            Column("label", _dimension_title(dimension)),
            Column("count", _("Cases"), "int"),
            Column("share", _("Share"), "percent"),
            Column("cumulative", _("Cumulative"), "percent"),
            Column("previous", _("Previous period"), "int"),
            Column("change", _("Change"), "percent"),
        ],
        rows=rows,
    )


@dataclass(frozen=True)
class HeatmapGrid:
    """Cases opened per weekday (Monday = 0) × local hour, for one value of the split."""

    key: Any
    label: str
    counts: list[list[int]]
    params: Mapping[str, str] = field(default_factory=dict, repr=False)

    def drill_url(self, weekday: int, hour: int) -> str:
        return drill_url({**self.params, "what": "opened", "weekday": str(weekday), "hour": str(hour)})

    def total(self) -> int:
        return sum(sum(row) for row in self.counts)


def heatmap(slice: Slice, *, split: str = "") -> list[HeatmapGrid]:
    """One grid for the whole slice, or one per department or branch (largest first)."""
    _check(split, SPLITS)
    slice.ensure_not_future()
    grids: dict[Any, list[list[int]]] = {}
    for day, key, measures in day_rows(slice, by=split, keys=("hours",)):
        grid = grids.setdefault(key, [[0] * HOURS for _weekday in range(7)])
        row = grid[day.weekday()]
        for hour, n in enumerate(measures.get("hours") or []):
            row[hour] += n
    if not split:
        counts = grids.get(None, [[0] * HOURS for _weekday in range(7)])
        return [HeatmapGrid(None, _("All cases"), counts, slice.query())]
    names = labels(split, grids)
    result = [
        HeatmapGrid(key, names[key], counts, {**slice.query(), split: str(key)}) for key, counts in grids.items()
    ]
    return sorted(result, key=lambda g: (-g.total(), g.label))


@dataclass(frozen=True)
class Mover:
    """A branch (or department, channel, category…) whose volume grew most against the
    previous period. ``driver_label`` is the category that grew most inside it and
    ``driver_change`` how many more cases it had (an absolute count, not a ratio)."""

    key: Any
    label: str
    count: int
    previous: int
    change: float | None  # relative (0.23 = +23 %), None when the previous period had none
    driver_label: str
    driver_change: int
    drill_url: str


def _driver(now: Totals, before: Totals | None) -> tuple[Any, int]:
    now_cats = now.counts("cat")
    before_cats = before.counts("cat") if before else {}
    best, best_diff = None, 0
    for key in sorted(set(now_cats) | set(before_cats)):
        diff = int(now_cats.get(key, 0)) - int(before_cats.get(key, 0))
        if diff > best_diff:
            best, best_diff = key, diff
    return best, best_diff


def _volume_by(slice: Slice, by: str) -> dict[Any, Totals]:
    """{value of ``by``: Totals holding only ``opened`` and ``cat``}."""
    opened: dict[Any, int] = defaultdict(int)
    cats: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _day, key, measures in day_rows(slice, by=by, keys=("opened", "cat")):
        opened[key] += measures.get("opened", 0)
        into = cats[key]
        for cat, n in (measures.get("cat") or {}).items():
            into[cat] += n
    return {key: Totals(opened=n, cat=dict(cats[key])) for key, n in opened.items()}


def movers(slice: Slice, *, by: str = "branch", limit: int = 5) -> list[Mover]:
    """The values of ``by`` whose case volume grew most (in cases) against the previous
    period, each with the category that drove it. Only growth is listed."""
    _check(by, MOVER_DIMENSIONS)
    slice.ensure_not_future()
    if by in COLUMNS:
        # Only the volume and its categories are needed: read just those measures and add
        # them up directly (a month split by branch is hundreds of rows).
        now_by, before_by = _volume_by(slice, by), _volume_by(slice.previous(), by)
        counts = {k: t.count("opened") for k, t in now_by.items()}
        before_counts = {k: t.count("opened") for k, t in before_by.items()}
    else:
        counts = _counts(by, slice)
        before_counts = _counts(by, slice.previous())
        now_by, before_by = {}, {}
    growth = sorted(
        ((key, n - before_counts.get(key, 0)) for key, n in counts.items() if n > before_counts.get(key, 0)),
        key=lambda item: (-item[1], str(item[0])),
    )[:limit]
    names = labels(by, [key for key, _diff in growth])
    drivers = {key: _driver(now_by[key], before_by.get(key)) if key in now_by else (None, 0) for key, _d in growth}
    driver_names = labels("category", [d for d, _n in drivers.values() if d is not None])
    result = []
    for key, _diff in growth:
        driver, driver_diff = drivers[key]
        result.append(Mover(
            key=key, label=names[key], count=counts[key], previous=before_counts.get(key, 0),
            change=relative_change(counts[key], before_counts.get(key, 0)),
            driver_label=driver_names.get(driver, "") if driver is not None else "",
            driver_change=driver_diff,
            drill_url=drill_url({**slice.query(), "what": "opened", by: str(key)}),
        ))
    return result


def heatmap_table(grids: list[HeatmapGrid]) -> Table:
    """The heatmap's grids as rows (one per grid and weekday, a column per hour), for CSV / XLSX."""
    from .drill import WEEKDAYS

    rows = []
    for grid in grids:
        for weekday, counts in enumerate(grid.counts):
            rows.append({"label": grid.label, "weekday": str(WEEKDAYS[weekday]), "total": sum(counts),
                         **{f"h{hour}": n for hour, n in enumerate(counts)}})
    return Table(
        name="heatmap", title=_("Cases by hour and weekday"),
        columns=[Column("label", _("Group")), Column("weekday", _("Weekday")),
                 *[Column(f"h{hour}", f"{hour:02d}", "int") for hour in range(HOURS)], Column("total", _("Total"), "int")],
        rows=rows,
    )
