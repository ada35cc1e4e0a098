"""The company's structure and its people.

Responsible for: roles as groups with their permissions, department membership.
Must never: decide case visibility (``cases.selectors`` does, from these facts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import Department, Membership, StaffProfile
from .roles import ROLE_PERMISSIONS, Role


def sync_roles() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    with transaction.atomic():
        for role, perms in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=role.value)
            wanted = []
            for dotted in sorted(perms):
                app_label, codename = dotted.split(".", 1)
                perm = Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                if perm is not None:
                    wanted.append(perm)
            current = set(group.permissions.values_list("pk", flat=True))
            if current != {p.pk for p in wanted}:
                group.permissions.set(wanted)


def set_roles(user: Any, roles: Iterable[Role | str]) -> None:
    with transaction.atomic():
        names = {Role(r).value for r in roles}
        user.groups.set(Group.objects.filter(name__in=names))
        if hasattr(user, "_tingjian_roles"):
            del user._tingjian_roles


def join_department(
    user: Any, department: Department, *, is_head: bool = False, team: Any = None
) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, department=department, defaults={"is_head": is_head, "team": team}
    )
    return membership


def ensure_profile(user: Any, *, display_name: str = "", language: str = "zh-hant") -> StaffProfile:
    profile, _ = StaffProfile.objects.get_or_create(
        user=user, defaults={"display_name": display_name, "language": language}
    )
    return profile


SYSTEM_USERNAME = "tingjian"


def system_user() -> Any:
    """The service account Tingjian acts as when nobody clicked (filing, automatic reopening).

    It has the ``system`` role, no usable password, and appears as "tingjian" in the audit
    trail, so automatic actions are told apart from people's.
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        with transaction.atomic():
            user, created = user_model.objects.get_or_create(
                username=SYSTEM_USERNAME, defaults={"first_name": "Tingjian", "is_active": True}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                if not Group.objects.filter(name=Role.SYSTEM.value).exists():
                    sync_roles()
                set_roles(user, [Role.SYSTEM])
    return user
