"""Reading the rollup: the DayFacts rows of a slice, one per day (or one per day and value of
a dimension), and the labels of the ids they carry. Never reads cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from ..measures import Totals, total
from ..models import ALL, ALL_CHANNELS, NONE, DayFacts
from .period import Slice

COLUMNS = ("branch", "department", "channel")

# Within ``reading_once()`` (a page that shows several numbers of one slice: the dashboard),
# the same rows are read from the database once. Readers never change the rows they get.
_read: ContextVar[dict[Any, list[tuple[date, Any, dict[str, Any]]]] | None] = ContextVar("insights_rows", default=None)


@contextmanager
def reading_once() -> Iterator[None]:
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


def _column_filter(slice: Slice, column: str, split: bool) -> Q:
    value: Any = getattr(slice, column)
    everything: Any = ALL_CHANNELS if column == "channel" else ALL
    if value not in (None, ""):
        return Q(**{column: value})
    if split:
        return ~Q(**{column: everything})
    return Q(**{column: everything})


def day_rows(
    slice: Slice, *, by: str = "", keys: tuple[str, ...] = (),
) -> list[tuple[date, Any, dict[str, Any]]]:
    """(day, value of ``by`` or None, measures) for each stored row of the slice. With
    ``keys``, only those measures are read (the database extracts them from the JSON), which
    matters when a dimension is split: a month by branch is hundreds of rows."""
    if by and by not in COLUMNS:
        raise ValueError(f"unknown column {by}")
    memo = _read.get()
    if memo is not None:
        key = (slice, by, keys)
        if key not in memo:
            memo[key] = _day_rows(slice, by, keys)
        return memo[key]
    return _day_rows(slice, by, keys)


def _day_rows(slice: Slice, by: str, keys: tuple[str, ...]) -> list[tuple[date, Any, dict[str, Any]]]:
    q = Q(day__gte=slice.start, day__lte=slice.end)
    for column in COLUMNS:
        q &= _column_filter(slice, column, split=(column == by))
    fields = ["day", by] if by else ["day"]
    fields += [f"measures__{key}" for key in keys] if keys else ["measures"]
    result = []
    width = 2 if by else 1
    for values in DayFacts.objects.filter(q).values_list(*fields):
        if keys:
            measures = {key: value for key, value in zip(keys, values[width:], strict=True) if value is not None}
        else:
            measures = values[width]
        result.append((values[0], values[1] if by else None, measures))
    return result


def totals(slice: Slice) -> Totals:
    return total(m for _day, _key, m in day_rows(slice))


def totals_by(slice: Slice, by: str, *, keys: tuple[str, ...] = ()) -> dict[Any, Totals]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for _day, key, measures in day_rows(slice, by=by, keys=keys):
        grouped[key].append(measures)
    return {key: total(rows) for key, rows in grouped.items()}


def labels(dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    """People's names for the ids (or channel codes) of a dimension, in the reader's language."""
    from tingjian.cases.models import ChannelKind
    from tingjian.org.models import Branch, Category, Department, Product, RootCause

    keys = list(keys)
    names: dict[Any, str] = {}
    if dimension == "channel":
        choices = dict(ChannelKind.choices)
        return {key: str(choices.get(key, key)) for key in keys}
    model: Any = {"branch": Branch, "department": Department, "category": Category, "product": Product,
             "root_cause": RootCause}[dimension]
    ids = [int(k) for k in keys if str(k).lstrip("-").isdigit() and int(k) > 0]
    related = ["parent"] if dimension in ("category", "root_cause") else []
    qs = model.objects.filter(pk__in=ids)
    if related:
        qs = qs.select_related(*related)
    for obj in qs:
        parent = getattr(obj, "parent", None)
        names[obj.pk] = f"{parent.label} › {obj.label}" if parent else obj.label
    none_label = {
        "branch": _("No branch"), "department": _("No department"), "category": _("No category"),
        "product": _("No product"), "root_cause": _("No root cause recorded"),
    }[dimension]
    result: dict[Any, str] = {}
    for key in keys:
        k = int(key)
        result[key] = none_label if k == NONE else names.get(k, _("#%(id)s (removed)") % {"id": k})
    return result
