"""Who may read and who may write the knowledge base. Checked in the services, mirrored
(never decided) by the views and templates.

Everyone signed in reads articles and uses templates: they are what front-line staff lean
on, whatever their role. Writing needs ``knowledge.change_article`` /
``knowledge.change_replytemplate``, which the manager and administrator roles grant.
Drafts and inactive templates are shown to those who may edit them and to nobody else.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

EDIT_ARTICLES = "knowledge.change_article"
EDIT_TEMPLATES = "knowledge.change_replytemplate"


def may_read(user: Any) -> bool:
    """Everyone signed in reads the knowledge base: it is what front-line staff lean on."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def ensure_may_read(user: Any) -> None:
    if not may_read(user):
        raise PermissionDenied(_("Sign in to read the knowledge base."))


def may_edit_articles(user: Any) -> bool:
    return may_read(user) and user.has_perm(EDIT_ARTICLES)


def may_edit_templates(user: Any) -> bool:
    return may_read(user) and user.has_perm(EDIT_TEMPLATES)


def ensure_may_edit_articles(user: Any) -> None:
    if not may_edit_articles(user):
        raise PermissionDenied(_("Only managers and administrators may write knowledge articles."))


def ensure_may_edit_templates(user: Any) -> None:
    if not may_edit_templates(user):
        raise PermissionDenied(_("Only managers and administrators may write reply templates."))
