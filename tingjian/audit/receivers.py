"""Security events that Django itself raises, written to the audit trail.

These are the only signal receivers in Tingjian: login failures and permission changes
can happen in Django's own code (the login form, the admin), which calls no service of
ours, so a receiver is the one place that sees every one of them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from . import services


def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    services.record(
        "auth.login_failed",
        actor=None,
        object_type="user",
        object_id=username,
        summary=f"login failed for {username!r}",
        after={"ip": ip},
    )


def groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    user_model = get_user_model()
    if reverse:  # group.user_set changed: one event per user
        users = list(user_model.objects.filter(pk__in=pk_set or []))
        groups = [instance.name]
    else:
        users = [instance]
        groups = list(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    for user in users:
        services.record(
            "auth.roles_changed",
            actor=None,
            object_type="user",
            object_id=user.pk,
            summary=f"{action.removeprefix('post_')} roles for {user.get_username()}",
            after={"change": action.removeprefix("post_"), "roles": sorted(groups),
                   "now": sorted(user.groups.values_list("name", flat=True))},
        )


def permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in {"post_add", "post_remove", "post_clear"} or reverse:
        return
    services.record(
        "auth.permissions_changed",
        actor=None,
        object_type=instance._meta.model_name,
        object_id=instance.pk,
        summary=f"{action.removeprefix('post_')} permissions",
        after={"change": action.removeprefix("post_"), "permission_ids": sorted(pk_set or [])},
    )
