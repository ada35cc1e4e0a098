"""What the knowledge base gives the search index (STYLE rule 7): published articles.

An article is one document of kind ``article``: both titles as its title, both texts and
its tags as its body, so a search in either language (and, through the index's
normalisation, either Chinese script) finds it; its date is its last update, which the
ranking prefers when two articles fit equally. Drafts are never indexed: the search page
shows what it finds to every agent, and a draft is not theirs to read yet.
"""

from __future__ import annotations

from tingjian.search import services as index

from .models import Article

KIND = "article"
TITLE_LENGTH = index.TITLE_CHARS


def document(article: Article) -> tuple[str, str]:
    """(title, body) of the article's index document."""
    title = " · ".join(t.strip() for t in (article.title_zh, article.title_en) if t.strip())
    body = "\n\n".join(part.strip() for part in (article.body_zh, article.body_en, article.tags) if part.strip())
    return title[:TITLE_LENGTH], body


def sync(article: Article) -> None:
    """Index a published article, drop an unpublished one; in the caller's transaction."""
    if article.is_published:
        title, body = document(article)
        index.index_document(KIND, article.pk, title=title, body=body, at=article.updated_at)
    else:
        index.remove(KIND, article.pk)


def reindex_articles() -> int:
    """Index every published article again and drop the rest (``tingjian search reindex``)."""
    count = 0
    for article in Article.objects.iterator():
        sync(article)
        count += article.is_published
    return count
