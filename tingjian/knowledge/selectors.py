"""Reads of the knowledge base: lists, one article or template, search, and the suggestions
for a case.

Whether drafts and inactive templates are included is decided from the user
(``permissions``), so no caller can show a draft to an agent by forgetting a flag.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When

from tingjian.search import selectors as index
from tingjian.textintel.segment import ENGLISH_STOP_WORDS, tokens

from .models import Article, ReplyTemplate, TemplateUse
from .permissions import may_edit_articles, may_edit_templates
from .search import KIND

PER_PAGE = 20
# The most search hits looked at for one query: a knowledge base holds hundreds of
# articles, not millions, so filtering this many by category and paging them here is cheap.
MAX_MATCHES = 200
# Words of a case's text used to find articles for it; the search caps a query at 12.
SUGGEST_WORDS = 8

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")


def articles(user: Any, *, category_code: str = "", drafts_only: bool = False) -> QuerySet[Article]:
    """The articles ``user`` may read, most recently updated first."""
    qs = Article.objects.all()
    if not may_edit_articles(user):
        qs = qs.filter(is_published=True)
    elif drafts_only:
        qs = qs.filter(is_published=False)
    if category_code:
        qs = qs.filter(category_code=category_code)
    return qs.order_by("-updated_at", "-id")


def article(user: Any, pk: int) -> Article:
    """One article ``user`` may read; ``Article.DoesNotExist`` for a draft they may not."""
    return articles(user).select_related("created_by", "updated_by").get(pk=pk)


@dataclass
class ArticleSearch:
    """A page of articles (``page.object_list``), each hit's highlighted snippet by article
    id, and what the search had to say about the query."""

    page: Page
    snippets: dict[int, str] = field(default_factory=dict)
    message: str = ""
    notices: list[str] = field(default_factory=list)
    capped: bool = False
    searched: bool = False


def search_articles(
    user: Any, text: str, page: int | str | None = 1, *, category_code: str = "",
    drafts_only: bool = False, per_page: int = PER_PAGE,
) -> ArticleSearch:
    """Articles matching ``text``, best first; all of them, newest first, without a text.

    The index holds published articles only, so an editor finds drafts by browsing
    (``drafts_only``) rather than by words.
    """
    visible = articles(user, category_code=category_code, drafts_only=drafts_only)
    if not (text or "").strip():
        return ArticleSearch(page=Paginator(visible, per_page).get_page(page))
    results = index.search(text, kinds=(KIND,), per_page=MAX_MATCHES)
    refs = [hit.ref for hit in results.hits]
    found = visible.in_bulk(refs) if refs else {}
    ranked = [found[ref] for ref in refs if ref in found]
    snippets = {hit.ref: hit.snippet for hit in results.hits if hit.ref in found}
    return ArticleSearch(
        page=Paginator(ranked, per_page).get_page(page), snippets=snippets, message=results.message,
        notices=list(results.notices), capped=results.total > MAX_MATCHES, searched=True,
    )


# -------------------------------------------------------------------------------- templates


def templates(user: Any, *, category_code: str = "", include_inactive: bool = False) -> QuerySet[ReplyTemplate]:
    """The templates ``user`` may use, by name; inactive ones too for an editor who asks."""
    qs = ReplyTemplate.objects.all()
    if not (include_inactive and may_edit_templates(user)):
        qs = qs.filter(is_active=True)
    if category_code:
        qs = qs.filter(category_code=category_code)
    return qs.order_by("name", "id")


def template(user: Any, pk: int, *, include_inactive: bool = False) -> ReplyTemplate:
    """One template; ``ReplyTemplate.DoesNotExist`` when inactive, unless an editor asks."""
    return templates(user, include_inactive=include_inactive).get(pk=pk)


def recent_uses(template: ReplyTemplate, *, limit: int = 10) -> list[TemplateUse]:
    return list(template.uses.select_related("user").order_by("-at", "-id")[:limit])


# ------------------------------------------------------------------------------ suggestions


def keywords(text: str, *, limit: int = SUGGEST_WORDS) -> list[str]:
    """The words of a case's text most worth searching the knowledge base for.

    Chinese words of two characters or more (jieba's, in Simplified) and English words of
    three letters or more as written, most frequent first, ties in order of appearance;
    stop-words and single characters say nothing about the topic.
    """
    counts: Counter[str] = Counter()
    order: dict[str, int] = {}
    words = [w for w in tokens(text) if _HAN.search(w) and len(w) >= 2]
    words += [w.lower() for w in _LATIN_WORD.findall(text or "") if w.lower() not in ENGLISH_STOP_WORDS]
    for position, word in enumerate(words):
        counts[word] += 1
        order.setdefault(word, position)
    return sorted(counts, key=lambda w: (-counts[w], order[w]))[:limit]


def _ranked_templates(category_code: str | None, group_code: str | None) -> QuerySet[ReplyTemplate]:
    """Active templates: the case's category, then its group's, then general ones, then the
    rest; most used first within each."""
    whens = [When(category_code=code, then=Value(rank)) for rank, code in enumerate((category_code, group_code)) if code]
    whens.append(When(category_code="", then=Value(2)))
    return (
        ReplyTemplate.objects.filter(is_active=True)
        .annotate(fit=Case(*whens, default=Value(3), output_field=IntegerField()))
        .order_by("fit", "-use_count", "name", "id")
    )


def suggest(
    text: str, *, category_code: str | None = None, group_code: str | None = None, limit: int = 3,
) -> tuple[list[Article], list[ReplyTemplate]]:
    """(articles, templates) for a case: articles that share the most words with the
    case's text (published only), topped up with the most read articles of its category;
    templates of its category first, then the most used.

    ``group_code`` is the category's parent group, whose articles and templates fit too.
    """
    found: list[Article] = []
    words = keywords(text)
    if words:
        results = index.search(" OR ".join(words), kinds=(KIND,), per_page=limit * 2)
        refs = [hit.ref for hit in results.hits]
        published = Article.objects.filter(is_published=True).in_bulk(refs) if refs else {}
        found = [published[ref] for ref in refs if ref in published][:limit]
    codes = [code for code in (category_code, group_code) if code]
    if len(found) < limit and codes:
        more = (
            Article.objects.filter(is_published=True, category_code__in=codes)
            .exclude(pk__in=[a.pk for a in found])
            .order_by("-view_count", "-updated_at")[: limit - len(found)]
        )
        found += list(more)
    return found, list(_ranked_templates(category_code, group_code)[:limit])
