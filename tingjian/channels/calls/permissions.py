"""Who may import calls, and which imports each person may see."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ..models import CallImport

PERM_IMPORT = "cases.add_case"
PERM_SEE_ALL = "cases.view_all_cases"


def may_import(user: Any) -> bool:
    """Importing opens cases, so it takes the right to open cases (agents, managers, admins)."""
    return bool(user is not None and user.is_authenticated and user.has_perm(PERM_IMPORT))


def ensure_may_import(by: Any | None) -> None:
    # by=None is the console (`tingjian import calls` without --as), trusted like the
    # other management commands.
    if by is not None and not may_import(by):
        raise PermissionDenied(_("You may not import calls: an import opens cases."))


def visible_imports(by: Any | None) -> QuerySet[CallImport]:
    """The imports a person may see: their own; all of them for those who see every case."""
    ensure_may_import(by)
    imports = CallImport.objects.select_related("channel", "uploaded_by")
    if by is not None and not by.has_perm(PERM_SEE_ALL):
        imports = imports.filter(uploaded_by=by)
    return imports


def get_import(pk: int, *, by: Any | None) -> CallImport:
    """One import the person may see; CallImport.DoesNotExist otherwise (a 404, not a 403)."""
    return visible_imports(by).get(pk=pk)
