"""Choice lists for the UI's selects, built from the org selectors (one query each)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model

from tingjian.org import selectors as org


def labelled_choices(objects: Iterable[Model], *, key: str = "pk") -> list[tuple[Any, str]]:
    return [(getattr(o, key), o.label) for o in objects]  # type: ignore[attr-defined]


def category_choices(*, key: str, with_groups: bool = False) -> list[Any]:
    """Leaf categories grouped by their parent (optgroups); optionally the group itself first."""
    groups: dict[Any, list[tuple[Any, str]]] = {}
    parents: dict[Any, Any] = {}
    for category in org.leaf_categories().order_by("parent__code", "code"):
        parents[category.parent_id] = category.parent
        groups.setdefault(category.parent_id, []).append((getattr(category, key), category.label))
    out: list[Any] = []
    for parent_id, items in groups.items():
        parent = parents[parent_id]
        if with_groups:
            items = [(getattr(parent, key), f"{parent.label} (*)"), *items]
        out.append((parent.label, items))
    return out


def assignee_choices(*, key: str) -> list[tuple[Any, str]]:
    """People who can work on cases, by display name."""
    users = org.users_with_role("agent", "staff", "manager", "admin").order_by("username")
    return [(getattr(u, key), u.get_full_name() or u.get_username()) for u in users]
