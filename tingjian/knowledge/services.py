"""The knowledge base: responsible for articles and reply templates — writing them, keeping
published articles in the search index, filling a template's variables, and counting each
use of a template.

Who may do what is checked here: everyone who works cases may read articles and use
templates; writing needs ``knowledge.change_article`` / ``knowledge.change_replytemplate``
(managers and administrators); ``permissions`` says who. Every change is one transaction with its audit event.

Must never: import cases, org or any layer above (a case is known here only by the number
the caller passes), or decide whether a user may see a case — the caller checks that
before it records a use on one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.audit import services as audit

from . import search, variables
from .languages import reading_for
from .models import Article, ReplyTemplate, TemplateUse
from .permissions import ensure_may_edit_articles, ensure_may_edit_templates, ensure_may_read

ARTICLE_FIELDS = ("title_zh", "body_zh", "title_en", "body_en", "category_code", "tags")
TEMPLATE_FIELDS = ("name", "body_zh", "body_en", "category_code")


# ------------------------------------------------------------------------------- cleaning


def _clean_text(name: str, value: Any) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if name == "category_code":
        return text.lower()
    if name == "tags":
        tags = (tag.strip() for tag in text.replace("，", ",").replace("、", ",").split(","))
        return ", ".join(dict.fromkeys(tag for tag in tags if tag))
    return text


def _apply(obj: Any, fields: tuple[str, ...], changes: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Set the given fields; returns {field: (before, after)} of those that changed."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")
    changed = {}
    for name, value in changes.items():
        new, old = _clean_text(name, value), getattr(obj, name)
        if new != old:
            changed[name] = (old, new)
            setattr(obj, name, new)
    return changed


# --------------------------------------------------------------------------------- articles


def _save_changes(current: Any, fields: tuple[str, ...], changes: Mapping[str, Any], by: Any) -> dict[str, tuple[str, str]]:
    """Apply ``changes``, validate and save ``current`` (already locked); what changed, or
    nothing (and nothing saved) when nothing did."""
    changed = _apply(current, fields, changes)
    if changed:
        current.full_clean(exclude=["created_by", "updated_by"])
        current.updated_by, current.updated_at = by, clock.now()
        current.save()
    return changed


def create_article(*, by: Any, publish: bool = False, **fields: Any) -> Article:
    """A new article (a draft unless ``publish``); ValidationError when it does not hold."""
    ensure_may_edit_articles(by)
    now = clock.now()
    article = Article(created_by=by, updated_by=by, created_at=now, updated_at=now)
    _apply(article, ARTICLE_FIELDS, fields)
    if publish:
        article.is_published, article.published_at = True, now
    article.full_clean(exclude=["created_by", "updated_by"])
    with transaction.atomic():
        article.save()
        audit.record(
            "knowledge.article_created", actor=by, object_type="article", object_id=article.pk,
            summary=f"article {article} created" + (" and published" if publish else ""),
            after={"title_zh": article.title_zh, "title_en": article.title_en, "published": publish},
            at=now,
        )
        search.sync(article)
    return article


def update_article(article: Article, *, by: Any, **changes: Any) -> Article:
    """Change the given fields of ``article`` (``ARTICLE_FIELDS``); nothing is written when
    nothing changed. A published article stays published, its index document refreshed."""
    ensure_may_edit_articles(by)
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        changed = _save_changes(current, ARTICLE_FIELDS, changes, by)
        if not changed:
            return current
        audit.record(
            "knowledge.article_updated", actor=by, object_type="article", object_id=current.pk,
            summary=f"article {current} updated: {', '.join(sorted(changed))}",
            before={"fields": sorted(changed)}, after={"title_zh": current.title_zh, "title_en": current.title_en},
            at=current.updated_at,
        )
        search.sync(current)
    return current


def _set_published(article: Article, *, by: Any, published: bool) -> Article:
    ensure_may_edit_articles(by)
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.is_published == published:
            return current
        now = clock.now()
        current.is_published, current.updated_by, current.updated_at = published, by, now
        if published:
            current.published_at = now
        current.save(update_fields=["is_published", "published_at", "updated_by", "updated_at"])
        audit.record(
            "knowledge.article_published" if published else "knowledge.article_unpublished",
            actor=by, object_type="article", object_id=current.pk,
            summary=f"article {current} {'published' if published else 'unpublished'}",
            before={"published": not published}, after={"published": published}, at=now,
        )
        search.sync(current)
    return current


def publish_article(article: Article, *, by: Any) -> Article:
    """Make the article visible to every reader and findable in search."""
    return _set_published(article, by=by, published=True)


def unpublish_article(article: Article, *, by: Any) -> Article:
    """Take the article back to draft: editors still see it, search no longer finds it."""
    return _set_published(article, by=by, published=False)


def record_article_view(article: Article) -> None:
    """Count one reading. No audit event: reading is not a change, and the count is only a
    rough measure of which articles help."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


# -------------------------------------------------------------------------------- templates


def create_template(*, by: Any, **fields: Any) -> ReplyTemplate:
    """A new, active template; ValidationError names an unknown variable or a stray brace."""
    ensure_may_edit_templates(by)
    now = clock.now()
    template = ReplyTemplate(created_by=by, updated_by=by, created_at=now, updated_at=now)
    _apply(template, TEMPLATE_FIELDS, fields)
    template.full_clean(exclude=["created_by", "updated_by"])
    with transaction.atomic():
        template.save()
        audit.record(
            "knowledge.template_created", actor=by, object_type="reply_template", object_id=template.pk,
            summary=f"reply template {template.name} created",
            after={"name": template.name, "category": template.category_code}, at=now,
        )
    return template


def update_template(template: ReplyTemplate, *, by: Any, **changes: Any) -> ReplyTemplate:
    """Change the given fields (``TEMPLATE_FIELDS``); its use count is kept."""
    ensure_may_edit_templates(by)
    with transaction.atomic():
        current = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
        changed = _save_changes(current, TEMPLATE_FIELDS, changes, by)
        if not changed:
            return current
        audit.record(
            "knowledge.template_updated", actor=by, object_type="reply_template", object_id=current.pk,
            summary=f"reply template {current.name} updated: {', '.join(sorted(changed))}",
            before={"fields": sorted(changed)}, after={"name": current.name}, at=current.updated_at,
        )
    return current


def _set_active(template: ReplyTemplate, *, by: Any, active: bool) -> ReplyTemplate:
    ensure_may_edit_templates(by)
    with transaction.atomic():
        current = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
        if current.is_active == active:
            return current
        now = clock.now()
        current.is_active, current.updated_by, current.updated_at = active, by, now
        current.save(update_fields=["is_active", "updated_by", "updated_at"])
        audit.record(
            "knowledge.template_reactivated" if active else "knowledge.template_deactivated",
            actor=by, object_type="reply_template", object_id=current.pk,
            summary=f"reply template {current.name} {'reactivated' if active else 'deactivated'}",
            before={"is_active": not active}, after={"is_active": active}, at=now,
        )
    return current


def deactivate_template(template: ReplyTemplate, *, by: Any) -> ReplyTemplate:
    """Stop offering the template; it is kept, with its uses, because the replies sent with
    it refer to it."""
    return _set_active(template, by=by, active=False)


def reactivate_template(template: ReplyTemplate, *, by: Any) -> ReplyTemplate:
    return _set_active(template, by=by, active=True)


def render_template(template: ReplyTemplate, values: Mapping[str, str], language: str) -> str:
    """The template's text for a reader of ``language`` (a Django language code or a
    reading), its variables filled from ``values``.

    The text is converted to the reader's script before the values go in: a customer's name
    is written the way the customer writes it, never converted. A variable without a value
    shows as 【customer name】 in the reader's language, for the agent to fill in.
    """
    reading = reading_for(language)
    with translation.override(reading):
        return variables.fill(template.body_for(reading), values)


def record_use(template: ReplyTemplate, *, by: Any, case_ref: str, language: str = "") -> TemplateUse:
    """Count one insertion of ``template`` into a reply on case ``case_ref``.

    The caller has checked that ``by`` may see that case. The count is incremented in the
    database (``F()``), so two agents inserting at once both count.
    """
    ensure_may_read(by)
    if not template.is_active:
        raise ValidationError(_("This reply template is no longer in use."))
    now = clock.now()
    with transaction.atomic():
        updated = ReplyTemplate.objects.filter(pk=template.pk, is_active=True).update(
            use_count=F("use_count") + 1, last_used_at=now,
        )
        if not updated:
            raise ValidationError(_("This reply template is no longer in use."))
        use = TemplateUse.objects.create(
            template=template, user=by, case_ref=case_ref[:40], language=language[:8], at=now,
        )
    return use
