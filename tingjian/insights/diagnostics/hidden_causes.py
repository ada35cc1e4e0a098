"""Is a hidden cause behind it? Root causes that turn up together, and categories that lean
on one root cause.

**Co-occurrence.** A case has one root cause, so two causes cannot share a case; they can
share a *place and time*. The period is cut into cells — one branch in one local week (or
day) — and each cell holds the set of root causes recorded on the cases opened there. For
causes *A* and *B*, with *N* cells holding any root cause, *n_A* and *n_B* cells holding each
and *n_AB* holding both, independence would put them together in about
*n_A · n_B / N* cells; the **lift** is *n_AB* divided by that (2.0 = twice as often as
chance), and the p-value is the hypergeometric chance of *n_AB* or more shared cells if the
causes fell on cells independently. Pairs seen together in fewer than ``min_together`` cells
are left out: a lift built on one week says nothing. Two causes that keep meeting point at a
third thing behind both (a supplier, a shift, a broken machine).

**Category × root cause.** How the cases of each category split over root causes; a cell
*stands out* when its share of the row is at least twice the root cause's share of all
cases and it has at least 3 cases: that category has a cause of its own.

Both read one grouped query over the slice's period (never all cases).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate, TruncWeek
from django.utils.translation import gettext as _

from tingjian.org.models import Category, RootCause

from ..models import NONE
from ..selectors import Slice
from ..selectors.period import local_tz
from ..tables import Column, Table
from .common import cases_link, cases_opened, evidence_link
from .stats import hypergeom_sf

WINDOWS = ("week", "day")
# Below this p-value a pair is unlikely to be chance; the page still lists the others, greyed.
SIGNIFICANT = 0.05
STANDS_OUT_LIFT = 2.0
STANDS_OUT_MIN = 3


@dataclass(frozen=True)
class Pair:
    a: int
    a_label: str
    b: int
    b_label: str
    together: int  # cells holding both
    a_cells: int
    b_cells: int
    cells: int  # cells holding any root cause
    cases: int  # cases of either cause in the shared cells
    expected: float
    lift: float
    p_value: float
    url: str

    @property
    def significant(self) -> bool:
        return self.p_value <= SIGNIFICANT


@dataclass
class CoOccurrence:
    slice: Slice
    window: str
    cells: int
    cases: int
    causes: int
    pairs: list[Pair] = field(default_factory=list)

    def table(self) -> Table:
        table = Table(
            name=f"root-cause-co-occurrence-{self.slice.start}-{self.slice.end}",
            title=str(_("Root causes together")),
            columns=[
                Column("a", _("Root cause")), Column("b", _("Together with")),
                Column("together", _("Shared cells"), "int"), Column("a_cells", _("Cells with the first"), "int"),
                Column("b_cells", _("Cells with the second"), "int"), Column("cells", _("Cells"), "int"),
                Column("expected", _("Expected by chance"), "float"), Column("lift", _("Lift"), "float"),
                Column("p_value", _("p-value"), "float"), Column("cases", _("Cases"), "int"),
            ],
        )
        for pair in self.pairs:
            table.rows.append({
                "a": pair.a_label, "b": pair.b_label, "together": pair.together, "a_cells": pair.a_cells,
                "b_cells": pair.b_cells, "cells": pair.cells, "expected": round(pair.expected, 2),
                "lift": round(pair.lift, 2), "p_value": float(f"{pair.p_value:.3g}"), "cases": pair.cases,
            })
        return table


def _cell_rows(slice: Slice, window: str, *, user: Any) -> list[dict[str, Any]]:
    trunc = TruncWeek if window == "week" else TruncDate
    rows: list[dict[str, Any]] = list(
        cases_opened(slice, user=user)
        .filter(root_cause__isnull=False, branch__isnull=False)
        .annotate(cell=trunc("opened_at", tzinfo=local_tz()))
        .order_by().values("branch_id", "cell", "root_cause_id").annotate(n=Count("id"))  # type: ignore[arg-type]
    )
    return rows


def _cell_key(row: dict[str, Any]) -> tuple[int, Any]:
    cell = row["cell"]
    return row["branch_id"], cell.date() if hasattr(cell, "date") else cell


def cooccurrence(slice: Slice, *, user: Any, window: str = "week", min_together: int = 2, limit: int = 30) -> CoOccurrence:
    """Pairs of root causes sharing branch-weeks (or days) more often than chance, the most
    surprising first (see the module docstring)."""
    if window not in WINDOWS:
        raise ValueError(_("Choose weeks or days."))
    rows = _cell_rows(slice, window, user=user)
    cells: dict[tuple[int, Any], dict[int, int]] = defaultdict(dict)
    for row in rows:
        cells[_cell_key(row)][row["root_cause_id"]] = row["n"]
    cells_with: dict[int, int] = defaultdict(int)
    together: dict[tuple[int, int], int] = defaultdict(int)
    shared_cases: dict[tuple[int, int], int] = defaultdict(int)
    for causes in cells.values():
        for cause in causes:
            cells_with[cause] += 1
        for a, b in combinations(sorted(causes), 2):
            together[(a, b)] += 1
            shared_cases[(a, b)] += causes[a] + causes[b]
    result = CoOccurrence(
        slice=slice, window=window, cells=len(cells), cases=sum(row["n"] for row in rows), causes=len(cells_with),
    )
    n = len(cells)
    candidates = []
    for (a, b), k in together.items():
        if k < min_together:
            continue
        expected = cells_with[a] * cells_with[b] / n
        lift = k / expected if expected else 0.0
        if lift <= 1.0:
            continue
        candidates.append((hypergeom_sf(k, n, cells_with[a], cells_with[b]), -lift, a, b, k, expected, lift))
    candidates.sort()
    chosen = candidates[:limit]
    names = {c.pk: c.label for c in RootCause.objects.filter(pk__in={x[2] for x in chosen} | {x[3] for x in chosen})}
    for p_value, _neg, a, b, k, expected, lift in chosen:
        result.pairs.append(Pair(
            a=a, a_label=names.get(a, str(a)), b=b, b_label=names.get(b, str(b)), together=k,
            a_cells=cells_with[a], b_cells=cells_with[b], cells=n, cases=shared_cases[(a, b)],
            expected=expected, lift=lift, p_value=p_value,
            url=evidence_link("pair", slice, a=a, b=b, window=window),
        ))
    return result


def pair_cells(slice: Slice, a: int, b: int, window: str, *, user: Any) -> set[tuple[int, Any]]:
    """The (branch, week or day) cells where both root causes were recorded."""
    found: dict[tuple[int, Any], set[int]] = defaultdict(set)
    for row in _cell_rows(slice, window, user=user):
        if row["root_cause_id"] in (a, b):
            found[_cell_key(row)].add(row["root_cause_id"])
    return {cell for cell, causes in found.items() if len(causes) == 2}


# ------------------------------------------------------------------------------ the matrix


@dataclass(frozen=True)
class MatrixCell:
    count: int
    share: float  # of the row
    lift: float | None
    stands_out: bool
    url: str

    @property
    def shade(self) -> int:
        """0 (none) to 5 (most of the row), for the page's colour scale."""
        return 0 if not self.count else 1 + min(4, int(self.share * 5))


@dataclass(frozen=True)
class MatrixRow:
    key: int
    label: str
    total: int
    cells: list[MatrixCell]
    url: str


@dataclass
class Matrix:
    slice: Slice
    columns: list[tuple[int, str]]  # root causes: (id or NONE, label)
    column_totals: list[int]
    rows: list[MatrixRow]
    total: int

    def table(self) -> Table:
        columns = [Column("category", _("Category"))]
        columns += [Column(f"rc{key}", label, "int") for key, label in self.columns]
        columns.append(Column("total", _("Total"), "int"))
        table = Table(
            name=f"category-root-cause-{self.slice.start}-{self.slice.end}",
            title=str(_("Categories by root cause")), columns=columns,
        )
        for row in self.rows:
            values: dict[str, Any] = {"category": row.label, "total": row.total}
            for (key, _label), cell in zip(self.columns, row.cells, strict=True):
                values[f"rc{key}"] = cell.count
            table.rows.append(values)
        return table


def category_root_causes(slice: Slice, *, user: Any, max_rows: int = 12, max_columns: int = 10) -> Matrix:
    """Cases of the period by category (rows, the largest first) and root cause (columns);
    ``NONE`` stands for "none recorded". Smaller categories and causes are left out."""
    counts = list(
        cases_opened(slice, user=user).order_by()
        .values("category_id", "root_cause_id").annotate(n=Count("id"))
    )
    total = sum(row["n"] for row in counts)
    by_category: dict[int, int] = defaultdict(int)
    by_cause: dict[int, int] = defaultdict(int)
    grid: dict[tuple[int, int], int] = {}
    for row in counts:
        category = row["category_id"] or NONE
        cause = row["root_cause_id"] or NONE
        by_category[category] += row["n"]
        by_cause[cause] += row["n"]
        grid[(category, cause)] = grid.get((category, cause), 0) + row["n"]
    # Recorded causes first (largest first), "none recorded" last: it is the absence of a finding.
    cause_keys = sorted((k for k in by_cause if k != NONE), key=lambda k: -by_cause[k])[:max_columns]
    if NONE in by_cause:
        cause_keys.append(NONE)
    category_keys = sorted(by_category, key=lambda k: (k == NONE, -by_category[k]))[:max_rows]
    cause_names = {c.pk: c.label for c in RootCause.objects.filter(pk__in=[k for k in cause_keys if k != NONE])}
    category_names = {
        c.pk: c.full_label
        for c in Category.objects.filter(pk__in=[k for k in category_keys if k != NONE]).select_related("parent")
    }
    none = str(_("none recorded"))
    columns = [(k, cause_names.get(k, none) if k != NONE else none) for k in cause_keys]
    rows = []
    for category in category_keys:
        row_total = by_category[category]
        cells = []
        for cause in cause_keys:
            n = grid.get((category, cause), 0)
            share = n / row_total if row_total else 0.0
            overall = by_cause[cause] / total if total else 0.0
            lift = share / overall if overall else None
            stands_out = cause != NONE and n >= STANDS_OUT_MIN and lift is not None and lift >= STANDS_OUT_LIFT
            cells.append(MatrixCell(n, share, lift, stands_out, cases_link(slice, category=category, root_cause=cause) if n else ""))
        rows.append(MatrixRow(
            key=category, label=category_names.get(category, none) if category != NONE else str(_("no category")),
            total=row_total, cells=cells, url=cases_link(slice, category=category),
        ))
    return Matrix(slice=slice, columns=columns, column_totals=[by_cause[k] for k in cause_keys], rows=rows, total=total)
