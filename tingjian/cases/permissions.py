"""Who may see and touch a case. Checked in services, mirrored (never decided) by templates.

An agent or department staff member sees the cases of their departments, the shared intake
queue (cases no department owns yet), the cases assigned to them or opened by them, and the
cases they were @mentioned on; QA reviewers, managers, executives and
administrators (``cases.view_all_cases``) see all.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from tingjian.org.selectors import department_ids

from .models import Case, Mention


def visible_cases(user: Any, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    qs = Case.objects.all() if qs is None else qs
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.has_perm("cases.view_all_cases"):
        return qs
    if not user.has_perm("cases.view_case"):
        return qs.none()
    mentioned = Mention.objects.filter(user=user, note__case=OuterRef("pk"))
    return qs.filter(
        Q(department_id__in=department_ids(user))
        | Q(department__isnull=True)
        | Q(assignee=user)
        | Q(created_by=user)
        | Exists(mentioned)
    )


def can_view(user: Any, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_perm("cases.view_all_cases"):
        return True
    if not user.has_perm("cases.view_case"):
        return False
    if case.department_id is None or case.department_id in department_ids(user):
        return True
    if user.pk in (case.assignee_id, case.created_by_id):
        return True
    return Mention.objects.filter(user=user, note__case=case).exists()


def ensure_can_view(user: Any, case: Case) -> None:
    if not can_view(user, case):
        raise PermissionDenied(_("You may not see this case."))


def ensure_perm(user: Any, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)
