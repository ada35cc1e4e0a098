"""Personal safety (人身安全): does a complaint mention an injury, poisoning, fire or similar?

Two layers, recall first. The rule layer is a lexicon: every flag can be explained by the
words quoted as evidence, and an operator can change the words
(``TINGJIAN_SAFETY_LEXICON``) without a release. Above it a learnt model
(``learning``) may flag what the lexicon does not list ("咬到硬物，牙齒裂了"), never
unflag what it does: :func:`combine`. The lexicon is tuned for recall: a negated mention ("沒有受傷", "no one was injured") still flags the text,
with lower confidence, because "the child was not hurt but the bowl was full of glass" is
still a safety case and an agent reads it faster than a missed one is found.

Customers write Traditional or Simplified Chinese (or both, or English) whatever the shop's
locale, so the text and the terms are both converted to Simplified with OpenCC before one
compiled regular expression scans the text once; OpenCC maps character to character, so
a match in the converted text is at the same place in the original, which is quoted.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .classifiers import Prediction
from .script import to_simplified

SAFETY = "safety"
NOT_SAFETY = "not_safety"
# A term not negated in its clause: the customer says something happened.
CONFIDENCE_MENTIONED = 0.95
# Every term is negated ("沒有受傷"): often still a safety case, less often than not.
CONFIDENCE_NEGATED = 0.6
# Nothing found: a lexicon cannot know about the hazards it does not list.
CONFIDENCE_NOTHING_FOUND = 0.8
# How far before a term a negation cue may stand and still negate it, within its clause.
CHINESE_NEGATION_WINDOW = 6  # characters: 沒有人受傷, 並沒有燙傷
ENGLISH_NEGATION_WINDOW = 40  # characters, about six words: "no one in my family was injured"
MAX_EVIDENCE = 10

# Where a clause ends, for negation: "沒有受傷，但是起疹子" negates only 受傷.
_CLAUSE_BREAK = re.compile(r"[.!?;,:。！？；，、\n]|但|\bbut\b", re.IGNORECASE)
_LATIN_WORD = "A-Za-z0-9"


def _english_pattern(term: str) -> str:
    """A term as a regular expression: any whitespace between words, ' or ’."""
    words = [re.escape(word).replace("'", "['’]") for word in term.split()]
    return r"\s+".join(words)


def _english_key(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


@dataclass(frozen=True)
class Hazard:
    """One kind of hazard and the terms that name it."""

    name: str
    chinese: tuple[str, ...] = ()
    english: tuple[str, ...] = ()
    english_exact: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One hazard term found in a text; ``evidence`` quotes the original text."""

    hazard: str
    term: str
    start: int
    end: int
    evidence: str
    negated: bool


class SafetyLexicon:
    """A :class:`~tingjian.textintel.classifiers.Classifier` of personal-safety complaints."""

    name = "safety_lexicon"

    def __init__(
        self, hazards: Iterable[Hazard], *, chinese_negations: Iterable[str] = (),
        english_negations: Iterable[str] = (),
    ) -> None:
        self.hazards = tuple(hazards)
        # What a match (as written in the converted text) means: term and hazard.
        self._chinese: dict[str, tuple[str, str]] = {}
        self._english: dict[str, tuple[str, str]] = {}
        self._exact: dict[str, tuple[str, str]] = {}
        for hazard in self.hazards:
            for term in hazard.chinese:
                self._chinese.setdefault(to_simplified(term.strip()), (term, hazard.name))
            for term in hazard.english:
                self._english.setdefault(_english_key(term), (term, hazard.name))
            for term in hazard.english_exact:
                self._exact.setdefault(term.strip(), (term, hazard.name))
        self._pattern = self._compile()
        cues = [re.escape(to_simplified(cue)) for cue in chinese_negations if cue.strip()]
        self._chinese_negation = re.compile("|".join(cues)) if cues else None
        english_cues = [_english_pattern(cue) for cue in english_negations if cue.strip()]
        self._english_negation = (
            re.compile(rf"(?<![{_LATIN_WORD}])(?:{'|'.join(english_cues)})(?![{_LATIN_WORD}])", re.IGNORECASE)
            if english_cues else None
        )

    def _compile(self) -> re.Pattern[str] | None:
        # One alternation, longest terms first so 過敏反應 wins over 過敏 and "allergic
        # reaction" over "allergic"; the regex engine then reads a long text once.
        def longest_first(terms: Iterable[str]) -> list[str]:
            return sorted(terms, key=lambda term: (-len(term), term))

        # Each branch starts with a lookahead for the terms' first characters: without it
        # the engine tries every term at every position, which made a 50,000-character text
        # take twenty times longer.
        def first_characters(terms: Iterable[str]) -> str:
            return "(?=[" + "".join(sorted({re.escape(term[0]) for term in terms})) + "])"

        branches = []
        if self._chinese:
            terms = longest_first(self._chinese)
            branches.append(first_characters(terms) + "(?P<zh>" + "|".join(map(re.escape, terms)) + ")")
        english_terms = longest_first(self._english) + longest_first(self._exact)
        english = [_english_pattern(term) for term in longest_first(self._english)]
        english += ["(?-i:" + re.escape(term) + ")" for term in longest_first(self._exact)]
        if english:
            branches.append(
                rf"(?<![{_LATIN_WORD}])" + first_characters(english_terms)
                + "(?P<en>" + "|".join(english) + rf")(?![{_LATIN_WORD}])"
            )
        return re.compile("|".join(branches), re.IGNORECASE) if branches else None

    @classmethod
    def from_toml(cls, path: str | Path) -> SafetyLexicon:
        """Read a lexicon file shaped like ``lexicons/safety.toml``."""
        try:
            with open(path, "rb") as file:
                data = tomllib.load(file)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ImproperlyConfigured(f"cannot read the safety lexicon {path}: {error}") from error

        def terms(table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
            value = table.get(key, [])
            if not isinstance(value, list) or not all(isinstance(term, str) for term in value):
                raise ImproperlyConfigured(f"{path}: {where}.{key} must be a list of strings")
            return tuple(term for term in value if term.strip())

        raw_hazards = data.get("hazards")
        if not isinstance(raw_hazards, dict) or not raw_hazards:
            raise ImproperlyConfigured(f"{path}: no [hazards.…] tables")
        hazards = []
        for name, table in raw_hazards.items():
            if not isinstance(table, dict):
                raise ImproperlyConfigured(f"{path}: hazards.{name} must be a table")
            where = f"hazards.{name}"
            hazards.append(Hazard(
                name=name, chinese=terms(table, "zh", where), english=terms(table, "en", where),
                english_exact=terms(table, "en_exact", where),
            ))
        negation = data.get("negation", {})
        if not isinstance(negation, dict):
            raise ImproperlyConfigured(f"{path}: negation must be a table")
        return cls(
            hazards, chinese_negations=terms(negation, "zh", "negation"),
            english_negations=terms(negation, "en", "negation"),
        )

    def _negation_start(self, simplified: str, start: int, *, english: bool) -> int | None:
        """Where the cue negating the term at ``start`` begins, if one does."""
        cue_pattern = self._english_negation if english else self._chinese_negation
        if cue_pattern is None:
            return None
        window_start = max(0, start - (ENGLISH_NEGATION_WINDOW if english else CHINESE_NEGATION_WINDOW))
        window = simplified[window_start:start]
        breaks = list(_CLAUSE_BREAK.finditer(window))
        clause_start = breaks[-1].end() if breaks else 0
        cue = cue_pattern.search(window, clause_start)
        return window_start + cue.start() if cue else None

    def findings(self, text: str) -> list[Finding]:
        """Every hazard term in ``text``, in order, with the original words quoted."""
        if not text or self._pattern is None:
            return []
        simplified = to_simplified(text)
        found = []
        for match in self._pattern.finditer(simplified):
            english = match.lastgroup == "en"
            matched = match.group()
            if english:
                term, hazard = self._english.get(_english_key(matched)) or self._exact[matched]
            else:
                term, hazard = self._chinese[matched]
            negation_start = self._negation_start(simplified, match.start(), english=english)
            quoted_from = match.start() if negation_start is None else negation_start
            found.append(Finding(
                hazard=hazard, term=term, start=match.start(), end=match.end(),
                evidence=text[quoted_from:match.end()], negated=negation_start is not None,
            ))
        return found

    def predict(self, text: str) -> Prediction:
        """``safety`` when any hazard term appears; the evidence quotes each distinct mention.

        A negated mention is quoted with its negation ("沒有受傷"), so the agent sees why
        the confidence is lower.
        """
        found = self.findings(text)
        if not found:
            return Prediction(label=NOT_SAFETY, confidence=CONFIDENCE_NOTHING_FOUND)
        evidence = tuple(dict.fromkeys(finding.evidence for finding in found))[:MAX_EVIDENCE]
        negated_only = all(finding.negated for finding in found)
        return Prediction(
            label=SAFETY, confidence=CONFIDENCE_NEGATED if negated_only else CONFIDENCE_MENTIONED,
            evidence=evidence,
        )


@cache
def load_lexicon(path: str) -> SafetyLexicon:
    """The lexicon in ``path``, read once per process (restart to pick up an edited file)."""
    return SafetyLexicon.from_toml(path)


def current_lexicon() -> SafetyLexicon:
    """The lexicon named by ``settings.TINGJIAN_SAFETY_LEXICON``."""
    return load_lexicon(str(settings.TINGJIAN_SAFETY_LEXICON))


def combine(rule: Prediction, model: Callable[[], Prediction]) -> Prediction:
    """The lexicon's flag if it flags, else the model's answer: the model can add a flag
    (with its own confidence and evidence) but never remove one, so the lexicon's recall
    is a floor. ``model`` is called only when the lexicon found nothing."""
    if rule.label == SAFETY:
        return rule
    learnt = model()
    if learnt.label == SAFETY:
        return learnt
    return Prediction(label=NOT_SAFETY, confidence=learnt.confidence)


def classify_safety(text: str) -> Prediction:
    """Is ``text`` a personal-safety complaint? The lexicon, then the learnt model.

    The model needs the database (the newest trained model); an empty text needs neither.
    """
    rule = current_lexicon().predict(text)
    if not text.strip():
        return rule
    # Imported here: learning builds on this module's rule layer.
    from .learning import model_prediction

    return combine(rule, lambda: model_prediction(SAFETY, text))
