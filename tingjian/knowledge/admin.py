"""Read-only admin views: articles and templates change through ``knowledge.services``
(audit event, search index) and the knowledge pages, never here."""

from __future__ import annotations

from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import Article, ReplyTemplate, TemplateUse


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["title_zh", "title_en", "category_code", "is_published", "view_count", "updated_at"]
    list_filter = ["is_published", "category_code"]
    search_fields = ["title_zh", "title_en", "tags"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "category_code", "is_active", "use_count", "last_used_at"]
    list_filter = ["is_active", "category_code"]
    search_fields = ["name"]


@admin.register(TemplateUse)
class TemplateUseAdmin(ReadOnlyAdmin):
    list_display = ["at", "template", "user", "case_ref", "language"]
    list_select_related = ["template", "user"]
    search_fields = ["case_ref"]
