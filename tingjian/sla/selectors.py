"""Reads of the SLA app: a case's clocks, the at-risk and escalation boards, calendars.

Case visibility belongs to ``cases``, which this app must not import: every board takes the
queryset of cases the reader may see (``cases.permissions.visible_cases``) and keeps only
clocks of those cases, in SQL, so a clock of a case outside the reader's scope is never read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from tingjian.alerts.models import Notification
from tingjian.org.models import Department
from tingjian.org.roles import Role, has_role

from .models import (
    BranchCalendar,
    BusinessCalendar,
    Clock,
    Holiday,
    OpeningHours,
    Rung,
    SlaSettings,
    Target,
)
from .schedule import sla_settings

# Who sees the escalations board: people who may see every case and answer for them.
ESCALATION_ROLES = (Role.MANAGER, Role.EXECUTIVE, Role.ADMIN)


def clock_topic(clock_id: int) -> str:
    """The alerts topic of one clock's reminders, breach and escalations (see ``timers``)."""
    return f"sla.clock:{clock_id}"


# ------------------------------------------------------------------------ one case's clocks


def case_clocks(case: Any) -> list[Clock]:
    """Every clock of the case, open ones first, each kind in the order it started."""
    clocks = list(Clock.objects.filter(case_id=case.pk).select_related("acknowledged_by"))
    return sorted(clocks, key=lambda c: (not c.is_open, c.started_at, c.pk))


def case_clock(case: Any, clock_id: int) -> Clock:
    """One clock of this case; ``Clock.DoesNotExist`` for a clock of any other case."""
    return Clock.objects.get(case_id=case.pk, pk=clock_id)


def clocks_awaiting_ack(clocks: Iterable[Clock], user: Any) -> set[int]:
    """Ids of the clocks on which ``user`` has an alert still to acknowledge (one query)."""
    topics = {clock_topic(c.pk): c.pk for c in clocks}
    if not topics or not getattr(user, "is_authenticated", False):
        return set()
    rows = Notification.objects.filter(
        recipient=user, requires_ack=True, acknowledged_at__isnull=True, topic__in=list(topics)
    ).values_list("topic", flat=True)
    return {topics[topic] for topic in rows}


def paused_seconds(clock: Clock, now: datetime) -> float:
    """Seconds the clock has been paused in all, the pause going on now included."""
    ongoing = (now - clock.paused_at).total_seconds() if clock.is_open and clock.paused_at else 0.0
    return clock.paused_seconds + max(0.0, ongoing)


# ---------------------------------------------------------------------------- the case list


def urgent_clock_by_case(case_ids: Iterable[int] | QuerySet[Any]) -> dict[int, Clock]:
    """Per case, the open clock that is due soonest (the most overdue first), in one query.

    A paused clock has no due time and counts after every running one, so a case shows its
    paused clock only when nothing of it is running.
    """
    ids: QuerySet[Any] | list[int]
    if isinstance(case_ids, QuerySet):
        ids = case_ids  # kept as a subquery
    else:
        ids = list(case_ids)
        if not ids:
            return {}
    ranked = (
        Clock.objects.open()
        .filter(case_id__in=ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("case_id")],
                order_by=[F("due_at").asc(nulls_last=True), F("started_at").asc(), F("pk").asc()],
            )
        )
        .filter(rank=1)
    )
    return {clock.case_id: clock for clock in ranked}


# ------------------------------------------------------------------------------ the boards


@dataclass(frozen=True)
class AtRiskFilters:
    kind: str = ""
    department: str = ""  # department code
    severity: int | None = None
    assignee: Any | None = None  # "mine": the reader


def at_risk(cases: QuerySet[Any], filters: AtRiskFilters | None = None) -> QuerySet[Clock]:
    """Open, running clocks of ``cases``, the soonest due first (overdue ones on top).

    ``cases`` is the reader's visible cases; the filter stays a subquery, so the clock table
    is read through its open-due index and never outside the reader's scope.
    """
    f = filters or AtRiskFilters()
    qs = Clock.objects.open().filter(running_since__isnull=False, case__in=cases.values("pk"))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    case_filter = Q()
    if f.department:
        case_filter &= Q(case__department__in=Department.objects.filter(code=f.department).values("pk"))
    if f.severity:
        case_filter &= Q(case__severity=f.severity)
    if f.assignee is not None:
        case_filter &= Q(case__assignee=f.assignee)
    return (
        qs.filter(case_filter)
        .select_related("case", "case__assignee", "case__department")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )


def may_see_escalations(user: Any) -> bool:
    """Managers, executives and administrators, who may see every case."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.has_perm("cases.view_all_cases")
        and has_role(user, *ESCALATION_ROLES)
    )


def escalations(cases: QuerySet[Any], *, acknowledged_since: datetime | None = None) -> QuerySet[Clock]:
    """Breached open clocks of ``cases`` nobody has acknowledged, the oldest breach first.

    With ``acknowledged_since``, those acknowledged since then are listed too (the board
    shows who took them).
    """
    waiting = Q(acknowledged_at__isnull=True)
    if acknowledged_since is not None:
        waiting |= Q(acknowledged_at__gte=acknowledged_since)
    return (
        Clock.objects.open()
        # Only clocks whose breach someone was told of: history recorded without alerts
        # (settle_history) is for the reports, and the at-risk board lists overdue clocks.
        .filter(waiting, breached_at__isnull=False, escalation_level__gt=Rung.NONE, case__in=cases.values("pk"))
        .select_related("case", "case__assignee", "case__department", "acknowledged_by")
        .order_by("breached_at", "pk")
    )


@dataclass
class Told:
    """One person alerted about one clock: when first told, and whether they acknowledged."""

    person: Any
    first_told_at: datetime
    acknowledged_at: datetime | None = None
    kinds: list[str] = field(default_factory=list)


def who_was_told(clocks: Iterable[Clock]) -> dict[int, list[Told]]:
    """Per clock, the people its breach and escalation alerts went to, in the order they
    were told, with their acknowledgement: one query for all the clocks given."""
    topics = {clock_topic(c.pk): c.pk for c in clocks}
    if not topics:
        return {}
    notes = (
        Notification.objects.filter(topic__in=list(topics), requires_ack=True)
        .select_related("recipient")
        .order_by("created_at", "pk")
    )
    out: dict[int, dict[int, Told]] = {pk: {} for pk in topics.values()}
    for note in notes:
        people = out[topics[note.topic]]
        told = people.get(note.recipient_id)
        if told is None:
            told = people[note.recipient_id] = Told(person=note.recipient, first_told_at=note.created_at)
        if note.acknowledged_at and (told.acknowledged_at is None or note.acknowledged_at < told.acknowledged_at):
            told.acknowledged_at = note.acknowledged_at
        if note.kind not in told.kinds:
            told.kinds.append(note.kind)
    return {pk: list(people.values()) for pk, people in out.items()}


# ------------------------------------------------------------------- targets and settings


def current_settings() -> SlaSettings:
    """The SLA settings row (created with the defaults the first time it is read)."""
    row = SlaSettings.objects.select_related("safety_department").filter(pk=1).first()
    return row if row is not None else sla_settings()


def targets() -> QuerySet[Target]:
    return Target.objects.select_related("category", "category__parent").order_by(
        "kind", "stage", F("severity").asc(nulls_last=True), "channel", "category__code", "pk"
    )


def target(target_id: int) -> Target:
    return Target.objects.select_related("category").get(pk=target_id)


# ------------------------------------------------------------------------------ calendars


def calendars() -> QuerySet[BusinessCalendar]:
    """Every calendar with its hours, branches and the number of dated exceptions."""
    return BusinessCalendar.objects.annotate(holiday_count=Count("holidays")).prefetch_related(
        Prefetch("hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        Prefetch("branches", queryset=BranchCalendar.objects.select_related("branch").order_by("branch__code")),
    )


def calendar(calendar_id: int) -> BusinessCalendar:
    return calendars().get(pk=calendar_id)


def calendar_holidays(calendar: BusinessCalendar, year: int) -> QuerySet[Holiday]:
    return Holiday.objects.filter(calendar=calendar, year=year).order_by("date")


def holiday_years(calendar: BusinessCalendar) -> list[int]:
    return list(
        Holiday.objects.filter(calendar=calendar).order_by("year").values_list("year", flat=True).distinct()
    )
