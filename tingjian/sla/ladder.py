"""Who is told at each rung of the escalation ladder, and who is told of a safety case.

handler → team lead → department head → executives. A rung with nobody on it (no assignee,
a team without a lead) is skipped rather than climbed in silence: the next rung is told at
once, so an alert is never sent to no one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from tingjian.org.models import Membership, Team
from tingjian.org.roles import Role
from tingjian.org.selectors import users_with_role

from .models import Rung, SlaSettings


def _active(users: list[Any]) -> list[Any]:
    return [u for u in users if u is not None and u.is_active]


def recipients(case: Any, rung: int) -> list[Any]:
    """The people on one rung for this case (possibly none)."""
    if rung == Rung.HANDLER:
        return _active([case.assignee]) if case.assignee_id else []
    if rung == Rung.TEAM_LEAD:
        if not case.team_id:
            return []
        team = Team.objects.select_related("lead").filter(pk=case.team_id).first()
        return _active([team.lead]) if team and team.lead_id else []
    if rung == Rung.DEPARTMENT_HEAD:
        if not case.department_id:
            # A case nobody has routed yet is the intake queue's: its managers answer for it,
            # rather than the breach of an unrouted case going straight to the executives.
            return list(users_with_role(Role.MANAGER))
        return department_heads(case.department_id)
    if rung == Rung.EXECUTIVE:
        return list(users_with_role(Role.EXECUTIVE))
    return []


def department_heads(department_id: int) -> list[Any]:
    user_ids = Membership.objects.filter(department_id=department_id, is_head=True).values("user_id")
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True))


def safety_recipients(case: Any, settings_row: SlaSettings) -> list[Any]:
    """A safety case skips the lower rungs: the 品保/食安 head and the executives at once,
    with the handler and the case's own department head so the people doing the work know."""
    people: list[Any] = []
    if settings_row.safety_department_id:
        people += department_heads(settings_row.safety_department_id)
    people += recipients(case, Rung.DEPARTMENT_HEAD)
    people += recipients(case, Rung.EXECUTIVE)
    people += recipients(case, Rung.HANDLER)
    return people


def delay_minutes(settings_row: SlaSettings, rung: int) -> int:
    """Minutes an unacknowledged alert waits on ``rung - 1`` before ``rung`` is told."""
    return {
        Rung.TEAM_LEAD: settings_row.team_lead_after_minutes,
        Rung.DEPARTMENT_HEAD: settings_row.department_head_after_minutes,
        Rung.EXECUTIVE: settings_row.executive_after_minutes,
    }.get(Rung(rung), 0)
