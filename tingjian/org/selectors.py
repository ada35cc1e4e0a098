from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import Branch, Category, Department, Product, RootCause


def department_ids(user: Any) -> set[int]:
    """Departments the user belongs to, cached on the user object for the request."""
    cached = getattr(user, "_tingjian_department_ids", None)
    if cached is None:
        cached = set(user.memberships.values_list("department_id", flat=True))
        user._tingjian_department_ids = cached
    return cached


def users_with_role(*roles: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True, groups__name__in=roles).distinct()


def active_departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True)


def active_branches() -> QuerySet[Branch]:
    return Branch.objects.filter(is_active=True)


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True)


def leaf_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")


def active_root_causes() -> QuerySet[RootCause]:
    return RootCause.objects.filter(is_active=True)
