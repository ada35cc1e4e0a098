"""The two full-text backends behind one plan: SQLite FTS5 (embedded) and PostgreSQL.

Each turns a parsed query into the SQL fragments that find, rank and count entries; the
rest of the query (filters, what the user may see) is built by the Django ORM and is the
same on both (``selectors``). Every token is quoted here, and tokens contain word
characters only (``analysis``), so no user text reaches a full-text query parser raw.

Ranking is relevance with recency: the backend's score (FTS5 ``bm25`` with the title
weighted 4:1; PostgreSQL ``ts_rank`` with the title weighted A, normalised by document
length) divided by ``1 + age in years``, so between two equally relevant complaints the
recent one comes first, and a very relevant old one still beats a barely relevant new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from .analysis import Unit
from .query import Clause, Parsed


@dataclass(frozen=True)
class Plan:
    tables: str  # the FROM clause
    match: str  # a WHERE condition
    match_params: list[Any]
    score: str  # higher is better
    score_params: list[Any]
    # An order the index can give cheaply that approximates recency: FTS5 walks its
    # matches in rowid order, and entries get ids as cases are opened; PostgreSQL has
    # an index on (kind, at).
    newest_first: str


def _fts5_unit(unit: Unit) -> str:
    phrase = '"' + " ".join(unit.tokens) + '"'
    return phrase + " *" if unit.prefix else phrase


def _fts5_clause(clause: Clause) -> str:
    return "(" + " AND ".join(
        "(" + " OR ".join(_fts5_unit(u) for u in term.alternatives) + ")" for term in clause.terms
    ) + ")"


def fts5_expression(parsed: Parsed) -> str:
    required = " AND ".join(
        "(" + " OR ".join(_fts5_clause(c) for c in group) + ")" for group in parsed.groups
    )
    excluded = "".join(" NOT " + _fts5_clause(c) for c in parsed.excluded)
    return required + excluded


def _tsquery_unit(unit: Unit) -> str:
    quoted = [f"'{token}'" for token in unit.tokens]
    if unit.prefix:
        quoted[-1] += ":*"
    return " <-> ".join(quoted)


def _tsquery_clause(clause: Clause) -> str:
    return "(" + " & ".join(
        "(" + " | ".join(_tsquery_unit(u) for u in term.alternatives) + ")" for term in clause.terms
    ) + ")"


def tsquery_expression(parsed: Parsed) -> str:
    parts = ["(" + " | ".join(_tsquery_clause(c) for c in group) + ")" for group in parsed.groups]
    parts.extend("!" + _tsquery_clause(c) for c in parsed.excluded)
    return " & ".join(parts)


def plan(parsed: Parsed, now: datetime) -> Plan:
    """The FROM, match and score fragments for ``parsed`` on this database."""
    if connection.vendor == "postgresql":
        tsquery = "to_tsquery('simple'::regconfig, %s)"
        expression = tsquery_expression(parsed)
        return Plan(
            tables="search_entry",
            match=f"search_entry.tsv @@ {tsquery}",
            match_params=[expression],
            score=(
                f"ts_rank(search_entry.tsv, {tsquery}, 1)"
                " / (1.0 + extract(epoch from (%s - search_entry.at)) / 31557600.0)"
            ),
            score_params=[expression, now],
            newest_first="search_entry.at DESC",
        )
    return Plan(
        # CROSS JOIN makes SQLite start from the full-text match: left to itself it may walk
        # every case row by the kind index and run the match once per row (3 s instead of
        # 25 ms for a capped count at 10^5; bench/README.md, "Search").
        tables="search_fts CROSS JOIN search_entry ON search_entry.id = search_fts.rowid",
        match="search_fts MATCH %s",
        match_params=[fts5_expression(parsed)],
        score=(
            "-bm25(search_fts, 4.0, 1.0)"
            " / (1.0 + max(0.0, julianday(%s) - julianday(search_entry.at)) / 365.25)"
        ),
        score_params=[now.isoformat(sep=" ")],
        newest_first="search_fts.rowid DESC",
    )
