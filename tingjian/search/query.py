"""Reading what a user typed into the search box.

The grammar is the one people already know from web search, and nothing more:

* words are all required: ``發票 退款``; an unquoted Chinese run is split into words by
  jieba (``發票錯誤`` asks for 发票 and 错误);
* ``"quoted words"`` must appear together, as written;
* ``-word`` or ``-"a phrase"`` excludes;
* ``OR`` (in capitals) between two words or phrases accepts either.

Anything else (``*``, ``NEAR``, brackets, ``AND``, SQL) is punctuation or an ordinary word:
it can never reach the database's query parser, because the backends quote every token and
tokens are made of word characters only. An unbalanced quote ends at the end of the query.
Very long queries are cut at :data:`MAX_QUERY_CHARS` and at :data:`MAX_UNITS` words, with a
notice, so no query is ever slow for being long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import analysis
from .analysis import Term, Unit

MAX_QUERY_CHARS = 200
MAX_UNITS = 12
MAX_SYNONYMS = 10

_PIECE = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)(?:"|$)|(?P<word>\S+)')


@dataclass
class Clause:
    """One word or quoted phrase: all its terms are required."""

    terms: list[Term]

    @property
    def units(self) -> list[Unit]:
        return [unit for term in self.terms for unit in term.alternatives]


@dataclass
class Parsed:
    """A query: every group required (a group is satisfied by any of its clauses), no
    excluded clause present."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def highlight_units(self) -> list[Unit]:
        """The units worth marking in a snippet, longest first."""
        units = {u.surface: u for group in self.groups for clause in group for u in clause.units}
        return sorted(units.values(), key=lambda u: -len(u.surface))


def _synonyms(unit: Unit) -> tuple[str, ...]:
    from tingjian.textintel.dictionary import synonyms

    return synonyms(unit.surface)[:MAX_SYNONYMS]


def _term(unit: Unit, *, expand: bool) -> Term:
    alternatives = [unit]
    if expand and not unit.prefix:
        for synonym in _synonyms(unit):
            alternatives.extend(analysis.word_units(synonym)[:1] if " " not in synonym else [])
    seen: dict[tuple[str, ...], Unit] = {}
    for alternative in alternatives:
        seen.setdefault(alternative.tokens, alternative)
    return Term(alternatives=tuple(seen.values()))


def _clause(*, phrase: str | None, word: str | None, expand: bool, prefix_last: bool) -> Clause | None:
    if phrase is not None:
        unit = analysis.phrase_unit(phrase)
        return Clause(terms=[Term(alternatives=(unit,))]) if unit else None
    units = analysis.word_units(word or "", prefix_last=prefix_last)
    if not units:
        return None
    return Clause(terms=[_term(unit, expand=expand) for unit in units])


def parse(text: str, *, expand: bool = True, prefix_last: bool = False) -> Parsed:
    """``text`` as a :class:`Parsed` query; ``notices`` says what was changed or ignored.

    ``expand`` adds the domain dictionary's synonyms of each word (發票 also finds invoice);
    ``prefix_last`` reads the last word as a prefix, for suggestions while typing.
    """
    from tingjian.textintel import dictionary

    if expand:
        dictionary.refresh()  # words an administrator added in another process, within 30 s
    parsed = Parsed()
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        parsed.notices.append(
            _("Your search was shortened to its first %(n)d characters.") % {"n": MAX_QUERY_CHARS}
        )
        text = text[:MAX_QUERY_CHARS]
    parsed.text = text
    pieces = list(_PIECE.finditer(text))
    pending_or = False
    units = 0
    for n, piece in enumerate(pieces):
        word = piece.group("word")
        negative = bool(piece.group("neg"))
        phrase = piece.group("phrase")
        if word == "OR":
            pending_or = bool(parsed.groups)
            continue
        if word and word.startswith("-") and len(word) > 1:
            negative, word = True, word[1:]
        last = n == len(pieces) - 1
        clause = _clause(phrase=phrase, word=word, expand=expand and not negative, prefix_last=prefix_last and last)
        if clause is None:
            continue
        units += len(clause.terms)
        if units > MAX_UNITS:
            parsed.notices.append(_("Only the first %(n)d words of your search were used.") % {"n": MAX_UNITS})
            break
        if negative:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    if all(analysis.is_stop_word(u) for group in parsed.groups for c in group for u in c.units):
        return parsed
    # "the invoice was wrong" asks for invoice and wrong: English stop words alone in their
    # group are dropped, unless they are all the query has.
    parsed.groups = [
        group for group in parsed.groups
        if not all(len(c.terms) == 1 and analysis.is_stop_word(c.terms[0].alternatives[0]) for c in group)
    ]
    return parsed


def empty_message(parsed: Parsed) -> str:
    """Why an empty query finds nothing, in words a user understands."""
    if parsed.excluded:
        return _("Add a word to search for: a search cannot consist of exclusions only.")
    if parsed.text:
        return _("Nothing to search for: your search has no letters, digits or Chinese characters.")
    return _("Type a word, a phrase in quotes, a case number or a name.")
