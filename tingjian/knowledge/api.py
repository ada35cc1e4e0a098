"""The knowledge part of REST API v1: read articles and reply templates (STYLE rule 7).

Read-only on purpose: articles and templates are written on the knowledge pages, where an
editor sees the preview. Texts come in the language of the request (``Accept-Language``:
zh-Hant, zh-Hans or en), Chinese in the asked script; both originals are included too.
A draft is 404 for a caller who may not edit it, as it is on the pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema

from . import permissions, selectors, variables
from .languages import reading_for
from .models import Article, ReplyTemplate

router = Router()


class ArticleQuery(Schema):
    q: str = Field("", max_length=200, description="words to search for; empty lists the newest first")
    category: str = Field("", max_length=40, description="a category or category group code")
    page: int = Field(1, ge=1, le=1000)


class ArticleSummary(Schema):
    id: int
    title: str = Field(description="in the language of the request, or the other one if missing")
    language: str = Field(description="zh or en: the language the title is in")
    snippet: str = Field(description="search only: the matching passage, HTML-escaped, matches in <mark>")
    category: str
    tags: list[str]
    is_published: bool
    updated_at: datetime


class ArticlePage(Schema):
    count: int
    page: int
    pages: int
    message: str = Field(description="why nothing could be searched for, when so")
    items: list[ArticleSummary]


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    language: str
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    category: str
    tags: list[str]
    is_published: bool
    published_at: datetime | None
    updated_at: datetime


class TemplateOut(Schema):
    id: int
    name: str
    body: str = Field(description="in the language of the request, variables unfilled")
    body_zh: str
    body_en: str
    variables: list[str] = Field(description="the variables the texts use, such as customer_name")
    category: str
    use_count: int
    last_used_at: datetime | None


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _summary(article: Article, snippet: str) -> dict[str, Any]:
    reading = reading_for(get_language())
    return {
        "id": article.pk, "title": article.title_for(reading), "language": article.shown_language(reading),
        "snippet": snippet, "category": article.category_code, "tags": article.tag_list,
        "is_published": article.is_published, "updated_at": article.updated_at,
    }


@router.get("/articles", response=ArticlePage, summary="Knowledge articles, searched or newest first")
def list_articles(request: HttpRequest, filters: Query[ArticleQuery]) -> dict[str, Any]:
    user = _user(request)
    permissions.ensure_may_read(user)
    found = selectors.search_articles(user, filters.q, filters.page, category_code=filters.category.strip().lower())
    page = found.page
    return {
        "count": page.paginator.count, "page": page.number, "pages": page.paginator.num_pages,
        "message": found.message,
        "items": [_summary(a, found.snippets.get(a.pk, "")) for a in page.object_list],
    }


@router.get("/articles/{article_id}", response=ArticleOut, summary="One knowledge article")
def get_article(request: HttpRequest, article_id: int) -> dict[str, Any]:
    user = _user(request)
    permissions.ensure_may_read(user)
    article = selectors.article(user, article_id)
    reading = reading_for(get_language())
    return {
        **_summary(article, ""), "body": article.body_for(reading),
        "title_zh": article.title_zh, "body_zh": article.body_zh,
        "title_en": article.title_en, "body_en": article.body_en,
        "published_at": article.published_at,
    }


@router.get("/templates", response=list[TemplateOut], summary="The reply templates in use, by name")
def list_templates(request: HttpRequest, category: str = "") -> list[dict[str, Any]]:
    user = _user(request)
    permissions.ensure_may_read(user)
    reading = reading_for(get_language())
    return [_template_out(t, reading) for t in selectors.templates(user, category_code=category.strip().lower())]


def _template_out(template: ReplyTemplate, reading: Any) -> dict[str, Any]:
    return {
        "id": template.pk, "name": template.name, "body": template.body_for(reading),
        "body_zh": template.body_zh, "body_en": template.body_en,
        "variables": variables.used(template.body_zh + "\n" + template.body_en),
        "category": template.category_code, "use_count": template.use_count,
        "last_used_at": template.last_used_at,
    }
