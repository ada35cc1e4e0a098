"""What are complaints starting to say? Terms whose frequency rises against their baseline.

Each case stores its few keywords (``Case.keywords``, segmented from the customer's words,
in the customer's script); they are normalised to one script (``textintel.script.normalise``:
發票 and 发票 are one term) and counted once per case. For the period (*n* cases) and the
``baseline_periods`` periods of the same length just before it (*N* cases in all), a term
seen in *c* cases now and *b* cases in the baseline is expected in
*e = n · (b + ½) / (N + 1)* cases now — its baseline share of cases, smoothed so a term never
seen before does not expect zero. The term is **emerging** when *c* ≥ ``min_count``,
*c / e* ≥ ``min_ratio`` and the Poisson chance of *c* or more given *e* is at most ``max_p``
(burst detection with a smoothed baseline). Measuring shares, not counts, keeps a busy week
from making every term look like a burst. The most surprising terms come first, each with its
count, baseline, ratio and three example cases.

Reads the period and the baseline's keywords only (a bounded scan on opened_at).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from tingjian.textintel.script import normalise

from ..selectors import Slice
from ..selectors.period import MAX_DAYS
from ..tables import Column, Table
from .common import CASE_FIELDS, CaseRef, cases_opened, evidence_link
from .stats import poisson_sf

DEFAULT_BASELINE = 6
MIN_BASELINE, MAX_BASELINE = 4, 8
# With fewer cases than this in the baseline, every term would look new.
MIN_BASELINE_CASES = 10
EXAMPLES = 3


@lru_cache(maxsize=50_000)
def term_key(word: str) -> str:
    return normalise(word.strip())


def _terms(keywords: Any) -> set[str]:
    if not isinstance(keywords, list):
        return set()
    return {key for key in (term_key(str(word)) for word in keywords if word) if key}


@dataclass
class Topic:
    key: str
    term: str  # as customers wrote it most often this period
    count: int
    baseline: float  # cases per period in the baseline, on average
    expected: float
    ratio: float
    p_value: float
    url: str
    examples: list[CaseRef] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.baseline == 0


@dataclass
class Topics:
    slice: Slice
    baseline_periods: int
    cases: int
    baseline_cases: int
    enough_history: bool
    topics: list[Topic] = field(default_factory=list)

    def table(self) -> Table:
        table = Table(
            name=f"emerging-topics-{self.slice.start}-{self.slice.end}",
            title=str(_("Emerging topics")),
            columns=[
                Column("term", _("Term")), Column("count", _("Cases now"), "int"),
                Column("baseline", _("Cases per period before"), "float"),
                Column("expected", _("Expected now"), "float"), Column("ratio", _("Ratio"), "float"),
                Column("p_value", _("p-value"), "float"), Column("examples", _("Example cases")),
            ],
        )
        for topic in self.topics:
            table.rows.append({
                "term": topic.term, "count": topic.count, "baseline": round(topic.baseline, 2),
                "expected": round(topic.expected, 2), "ratio": round(topic.ratio, 1),
                "p_value": float(f"{topic.p_value:.3g}"), "examples": " ".join(c.number for c in topic.examples),
            })
        return table


def baseline_slice(slice: Slice, periods: int) -> Slice | None:
    """The ``periods`` periods of the slice's length just before it, as one slice (None when
    that would be longer than a slice may be)."""
    days = slice.days()
    if days * periods > MAX_DAYS:
        return None
    return replace(slice, start=slice.start - timedelta(days=days * periods), end=slice.start - timedelta(days=1))


def emerging_topics(
    slice: Slice, *, user: Any, baseline_periods: int = DEFAULT_BASELINE, min_count: int = 3,
    min_ratio: float = 2.0, max_p: float = 0.01, limit: int = 30,
) -> Topics:
    """The period's emerging terms, the most surprising first (see the module docstring)."""
    if not MIN_BASELINE <= baseline_periods <= MAX_BASELINE:
        raise ValueError(_("Compare with 4 to 8 earlier periods."))
    before = baseline_slice(slice, baseline_periods)
    if before is None:
        raise ValueError(_("The period is too long to compare with %(n)s periods before it; choose a shorter one.") % {"n": baseline_periods})
    now_counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    current = list(cases_opened(slice, user=user).order_by().values_list("pk", "opened_at", "keywords"))
    case_terms: list[tuple[int, Any, set[str]]] = []
    for pk, opened_at, keywords in current:
        terms = _terms(keywords)
        now_counts.update(terms)
        case_terms.append((pk, opened_at, terms))
        for word in keywords if isinstance(keywords, list) else ():
            spellings[term_key(str(word))][str(word).strip()] += 1
    base_counts: Counter[str] = Counter()
    baseline_cases = 0
    for keywords in cases_opened(before, user=user).order_by().values_list("keywords", flat=True).iterator(chunk_size=2000):
        baseline_cases += 1
        base_counts.update(_terms(keywords) & now_counts.keys())
    result = Topics(
        slice=slice, baseline_periods=baseline_periods, cases=len(current), baseline_cases=baseline_cases,
        enough_history=baseline_cases >= MIN_BASELINE_CASES,
    )
    if not result.enough_history:
        return result
    n = len(current)
    scored = []
    for key, count in now_counts.items():
        if count < min_count:
            continue
        b = base_counts.get(key, 0)
        expected = n * (b + 0.5) / (baseline_cases + 1)
        ratio = count / expected
        if ratio < min_ratio:
            continue
        p_value = poisson_sf(count, expected)
        if p_value > max_p:
            continue
        scored.append((p_value, -ratio, key, count, b, expected, ratio))
    scored.sort()
    chosen = scored[:limit]
    examples: dict[str, list[int]] = {}
    for _p, _r, key, *_rest in chosen:
        newest = sorted((c for c in case_terms if key in c[2]), key=lambda c: c[1], reverse=True)
        examples[key] = [pk for pk, _at, _t in newest[:EXAMPLES]]
    wanted = {pk for pks in examples.values() for pk in pks}
    refs = {case.pk: CaseRef.of(case) for case in cases_opened(slice, user=user).filter(pk__in=wanted).select_related(*CASE_FIELDS)}
    for p_value, _r, key, count, b, expected, ratio in chosen:
        term = spellings[key].most_common(1)[0][0] if spellings.get(key) else key
        result.topics.append(Topic(
            key=key, term=term, count=count, baseline=b / baseline_periods, expected=expected, ratio=ratio,
            p_value=p_value, url=evidence_link("term", slice, term=key),
            examples=[refs[pk] for pk in examples[key] if pk in refs],
        ))
    return result


def cases_with_term(slice: Slice, key: str, *, user: Any) -> list[int]:
    """Ids of the period's cases whose keywords hold ``key`` (normalised), newest first."""
    rows = cases_opened(slice, user=user).order_by("-opened_at", "-id").values_list("pk", "keywords")
    return [pk for pk, keywords in rows if term_key(key) in _terms(keywords)]
