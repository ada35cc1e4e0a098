"""Searching the index: hits, highlighted snippets, a count and facets in two queries.

What a user may see is the caller's to say, as a queryset of case ids (``case_scope``):
the cases app passes the user's scope (``cases.selectors.search_cases``), so this app knows
nothing of departments yet every number it returns — the hits, the count, each facet — is
computed inside that scope, and a scoped agent cannot learn that a case outside it exists.

Counting stops at :data:`COUNT_LIMIT` ("more than 1,000"): past that no one reads on, and
an exact count of a common word at a million cases would cost more than the search itself.
Facets are counted over the same capped set, the newest matches, and say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from tingjian import clock

from . import backends, highlight
from .models import Entry, Kind
from .query import Parsed, empty_message, parse

COUNT_LIMIT = 1_000
# How many of the newest matches are ranked by relevance (None: all of them). A common word
# matches a third of all cases; scoring them all costs 90 ms at 10^5 on SQLite and seconds
# at 10^6 on PostgreSQL, and nobody pages past the first few hundred (bench/README.md).
RANK_CANDIDATES: int | None = 1000
MAX_PAGE = 50  # 50 pages of 20: past that, refine the search
FACETS = ("stage", "severity", "department_id", "branch_id", "channel", "category_id")


@dataclass(frozen=True)
class Filters:
    """The case filters of the search page; empty means any."""

    stage: str = ""
    severity: int | None = None
    department_id: int | None = None
    branch_id: int | None = None
    channel: str = ""
    category_id: int | None = None
    assignee_id: int | None = None
    opened_from: date | None = None
    opened_to: date | None = None  # inclusive

    def apply(self, qs: QuerySet[Entry]) -> QuerySet[Entry]:
        exact = {
            name: value for name, value in (
                ("stage", self.stage), ("severity", self.severity), ("department_id", self.department_id),
                ("branch_id", self.branch_id), ("channel", self.channel), ("category_id", self.category_id),
                ("assignee_id", self.assignee_id),
            ) if value not in ("", None)
        }
        if exact:
            qs = qs.filter(**exact)
        tz = timezone.get_current_timezone()
        if self.opened_from:
            qs = qs.filter(at__gte=datetime.combine(self.opened_from, time.min, tz))
        if self.opened_to:
            qs = qs.filter(at__lt=datetime.combine(self.opened_to + timedelta(days=1), time.min, tz))
        return qs

    @property
    def any(self) -> bool:
        return self != Filters()


@dataclass(frozen=True)
class Hit:
    kind: str
    ref: int
    title: str
    title_html: str  # escaped, matches in <mark>
    snippet: str  # escaped, matches in <mark>
    score: float
    at: datetime
    entry: Entry


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    capped: bool = False
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)
    message: str = ""  # why nothing could be searched for
    notices: list[str] = field(default_factory=list)  # what was changed in the query
    page: int = 1
    per_page: int = 20
    parsed: Parsed | None = None

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total and self.page < MAX_PAGE

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _where(qs: QuerySet[Any]) -> tuple[str, list[Any]] | None:
    """The WHERE clause the ORM built for ``qs`` (None: nothing can match)."""
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = qs.query.where.as_sql(compiler, compiler.connection)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "", []
    return sql, list(params)


def _entries(kinds: Sequence[str], filters: Filters | None, case_scope: QuerySet[Any] | None) -> QuerySet[Entry]:
    qs = Entry.objects.filter(kind__in=list(kinds))
    if filters is not None and filters.any:
        qs = filters.apply(qs.filter(kind=Kind.CASE))
    if case_scope is not None and Kind.CASE in kinds:
        # Other kinds have no case scope; only case rows are restricted. A correlated EXISTS
        # looks up each matching case by its key, rather than listing every visible case.
        qs = qs.filter(~Q(kind=Kind.CASE) | Exists(case_scope.filter(pk=OuterRef("ref"))))
    return qs


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC) if connection.vendor == "postgresql" else now.astimezone(UTC).replace(tzinfo=None)


def search(
    text: str,
    *,
    kinds: Iterable[str] = (Kind.CASE,),
    filters: Filters | None = None,
    case_scope: QuerySet[Any] | None = None,
    page: int = 1,
    per_page: int = 20,
    facets: bool = False,
    prefix: bool = False,
    parsed: Parsed | None = None,
) -> Results:
    """Entries of ``kinds`` matching ``text`` (see ``query`` for the grammar), best first."""
    page = min(max(page, 1), MAX_PAGE)
    parsed = parsed if parsed is not None else parse(text, prefix_last=prefix)
    results = Results(page=page, per_page=per_page, notices=list(parsed.notices), parsed=parsed)
    if parsed.is_empty:
        results.message = empty_message(parsed)
        return results
    kinds = list(kinds)
    where = _where(_entries(kinds, filters, case_scope))
    if where is None:
        return results
    where_sql, where_params = where
    the_plan = backends.plan(parsed, _utc(clock.now()))
    condition = the_plan.match + (f" AND ({where_sql})" if where_sql else "")
    params = the_plan.match_params + where_params
    with connection.cursor() as cursor:
        if RANK_CANDIDATES:
            cursor.execute(
                f"SELECT id, score FROM (SELECT search_entry.id AS id, {the_plan.score} AS score"
                f" FROM {the_plan.tables} WHERE {condition} ORDER BY {the_plan.newest_first} LIMIT %s) candidates"
                " ORDER BY score DESC, id DESC LIMIT %s OFFSET %s",
                the_plan.score_params + params + [RANK_CANDIDATES, per_page, (page - 1) * per_page],
            )
        else:
            cursor.execute(
                f"SELECT search_entry.id, {the_plan.score} AS score FROM {the_plan.tables}"
                f" WHERE {condition} ORDER BY score DESC, search_entry.id DESC LIMIT %s OFFSET %s",
                the_plan.score_params + params + [per_page, (page - 1) * per_page],
            )
        ranked = cursor.fetchall()
        _count(cursor, results, the_plan, condition, params, facets=facets and Kind.CASE in kinds)
    if not ranked and page > 1 and results.total:
        # A page past the end (an old link): the last page instead of nothing.
        last = min(MAX_PAGE, (min(results.total, COUNT_LIMIT) - 1) // per_page + 1)
        return search(text, kinds=kinds, filters=filters, case_scope=case_scope, page=last,
                      per_page=per_page, facets=facets, prefix=prefix, parsed=parsed)
    results.hits = _hits(ranked, parsed)
    return results


def _count(cursor: Any, results: Results, the_plan: backends.Plan, condition: str, params: list[Any], *, facets: bool) -> None:
    """The capped count and, for case searches, the facets: one scan of at most
    :data:`COUNT_LIMIT` + 1 matching rows."""
    inner = f"FROM {the_plan.tables} WHERE {condition} ORDER BY {the_plan.newest_first} LIMIT %s"
    if not facets:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 {inner}) capped", params + [COUNT_LIMIT + 1])
        total = int(cursor.fetchone()[0])
    else:
        columns = ", ".join(FACETS)
        selected = ", ".join(f"search_entry.{name} AS {name}" for name in FACETS)
        cursor.execute(
            f"SELECT {columns}, count(*) FROM (SELECT {selected} {inner}) capped GROUP BY {columns}",
            params + [COUNT_LIMIT + 1],
        )
        total = 0
        counters: dict[str, Counter[Any]] = {name: Counter() for name in FACETS}
        for *values, count in cursor.fetchall():
            total += count
            for name, value in zip(FACETS, values, strict=True):
                if value not in (None, ""):
                    counters[name][value] += count
        results.facets = {name: counter.most_common() for name, counter in counters.items()}
    results.capped = total > COUNT_LIMIT
    results.total = min(total, COUNT_LIMIT)


def _hits(ranked: list[tuple[int, float]], parsed: Parsed) -> list[Hit]:
    if not ranked:
        return []
    entries = Entry.objects.in_bulk([row[0] for row in ranked])
    units = parsed.highlight_units()
    hits = []
    for entry_id, score in ranked:
        entry = entries.get(entry_id)
        if entry is None:  # removed between the two queries
            continue
        hits.append(Hit(
            kind=entry.kind, ref=entry.ref, title=entry.title,
            title_html=highlight.mark(entry.title, units),
            snippet=highlight.snippet(entry.body, units),
            score=float(score), at=entry.at, entry=entry,
        ))
    return hits


def refs_of(hits: Iterable[Hit], kind: str) -> list[int]:
    return [hit.ref for hit in hits if hit.kind == kind]


def attach(hits: Iterable[Hit], kind: str, objects: dict[int, Model]) -> list[tuple[Hit, Model]]:
    """Pairs each hit of ``kind`` with its object (from one ``in_bulk``), dropping vanished ones."""
    return [(hit, objects[hit.ref]) for hit in hits if hit.kind == kind and hit.ref in objects]


def matching_refs(text: str, kind: str) -> tuple[str, list[Any]] | None:
    """SQL selecting the refs of every ``kind`` entry matching ``text``, for ``pk__in`` in a
    list that keeps its own order and filters (the case list's search box); None when the
    text has nothing to search for."""
    parsed = parse(text)
    if parsed.is_empty:
        return None
    the_plan = backends.plan(parsed, _utc(clock.now()))
    return (
        f"SELECT search_entry.ref FROM {the_plan.tables} WHERE {the_plan.match} AND search_entry.kind = %s",
        [*the_plan.match_params, kind],
    )
