"""SLA clocks: responsible for starting, pausing, resuming, meeting and recomputing them.

``cases`` calls in here whenever something that moves a clock happens — a case opened, a
reply sent, the customer writing, a stage change, a field change, waiting on the customer —
and this module decides which clocks start, pause, resume, stop or are recomputed, audited.
Each change arms the clock's next wake-up (``schedule.arm``); ``timers`` does the alerting.

Must never: import ``cases`` (the case is read through the object the caller passes in and
the clock's foreign key), move a case's stage, or tell anyone except through ``alerts``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from tingjian import clock as wall_clock
from tingjian.alerts import selectors as alert_selectors
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit

from . import ladder
from .models import BusinessCalendar, Clock, ClockKind, Rung, SlaSettings, Target
from .schedule import (
    Choice,
    arm,
    calendar_for,
    case_url,
    choose,
    consume_until,
    forget_calendar,
    iso,
    schedule,
    sla_settings,
)

logger = logging.getLogger(__name__)

# The fields of a case whose change may change which target applies, or the calendar.
TARGET_FIELDS = frozenset({"severity", "origin_channel", "category", "branch", "safety"})
# Clocks that stop while the case waits on the customer; the response clocks do not
# (waiting on the customer means we have answered).
PAUSABLE = frozenset({ClockKind.RESOLUTION, ClockKind.STAGE})
SAFETY_VERB = gettext_noop(
    "Personal safety: case %(case)s (%(evidence)s) needs a first response within %(minutes)s minutes — %(subject)s"
)


# ------------------------------------------------------------------- starting and stopping


def _paused_by(case: Any, settings_row: SlaSettings) -> bool:
    return bool(case.waiting_on) and case.waiting_on in (settings_row.pause_on or [])


def _start(case: Any, kind: str, choice: Choice, *, at: datetime, stage: str = "",
           settings_row: SlaSettings) -> Clock:
    paused = kind in PAUSABLE and _paused_by(case, settings_row)
    clock = Clock(
        case_id=case.pk, kind=kind, stage=stage, target=choice.target, target_seconds=choice.seconds,
        business_hours=choice.business_hours, calendar=choice.calendar, started_at=at,
        running_since=None if paused else at, paused_at=at if paused else None,
    )
    schedule(clock, settings_row.reminder_percent)
    clock.save()
    arm(clock)
    return clock


def _open_clocks(case: Any) -> list[Clock]:
    return list(Clock.objects.open().filter(case_id=case.pk).select_related("calendar").order_by("pk"))


def _stop(clock: Clock, at: datetime) -> None:
    consume_until(clock, at)
    if clock.paused_at is not None:
        clock.paused_seconds += max(0.0, (at - clock.paused_at).total_seconds())
        clock.paused_at = None


def _meet(clock: Clock, at: datetime) -> None:
    """Stop a clock as met; if it ran past its due time, the breach is recorded exactly."""
    if clock.due_at is not None and clock.breached_at is None and clock.due_at <= at:
        clock.breached_at = clock.due_at
    _stop(clock, at)
    clock.met_at = at
    clock.running_since = None
    clock.next_escalation_at = None
    clock.next_fire_at = None
    clock.save()


def _cancel(clock: Clock, at: datetime) -> None:
    _stop(clock, at)
    clock.cancelled_at = at
    clock.running_since = None
    clock.next_escalation_at = None
    clock.next_fire_at = None
    clock.save()


def _ensure(case: Any, *, at: datetime, settings_row: SlaSettings, open_clocks: list[Clock]) -> list[Clock]:
    """Start the clocks the case should have and does not: first response (until someone
    answered), resolution (while open), time in the current stage."""
    if case.stage == "closed":
        return []
    targets = list(Target.objects.all())
    have = {(c.kind, c.stage) for c in open_clocks}
    wanted: list[tuple[str, str, datetime]] = []
    if case.first_response_at is None:
        wanted.append((ClockKind.FIRST_RESPONSE, "", case.opened_at))
    # Resolution counts from the customer's first message; after a reopening, from now.
    resolved_before = Clock.objects.filter(case_id=case.pk, kind=ClockKind.RESOLUTION).exists()
    wanted.append((ClockKind.RESOLUTION, "", at if resolved_before else case.opened_at))
    wanted.append((ClockKind.STAGE, case.stage, case.stage_entered_at or at))
    started = []
    for kind, stage, start_at in wanted:
        if (kind, stage) in have:
            continue
        choice = choose(case, kind, stage, targets=targets, settings_row=settings_row)
        if choice is None:
            continue
        if kind == ClockKind.FIRST_RESPONSE and Clock.objects.filter(case_id=case.pk, kind=kind).exists():
            continue  # met or cancelled once: a first response happens once
        started.append(_start(case, kind, choice, at=min(start_at, at), stage=stage, settings_row=settings_row))
    return started


# ------------------------------------------------------------------- what cases call


def case_opened(case: Any) -> list[Clock]:
    """Start a new case's clocks (first response and resolution from when it was opened)."""
    now = wall_clock.now()
    row = sla_settings()
    with transaction.atomic():
        return _ensure(case, at=now, settings_row=row, open_clocks=[])


def responded(case: Any, *, at: datetime) -> None:
    """We answered the customer: the first-response and next-response clocks are met."""
    with transaction.atomic():
        for clock in Clock.objects.open().filter(
            case_id=case.pk, kind__in=[ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE]
        ).select_related("calendar"):
            _meet(clock, at)


def customer_wrote(case: Any, *, at: datetime) -> None:
    """The customer wrote: paused clocks resume (if the case no longer waits on anyone who
    pauses them), and once we have answered before, a next-response clock starts."""
    row = sla_settings()
    with transaction.atomic():
        open_clocks = _open_clocks(case)
        _apply_pauses(case, open_clocks, at=at, settings_row=row)
        if case.stage == "closed" or case.first_response_at is None:
            return
        if any(c.kind in {ClockKind.NEXT_RESPONSE, ClockKind.FIRST_RESPONSE} for c in open_clocks):
            return
        choice = choose(case, ClockKind.NEXT_RESPONSE, settings_row=row)
        if choice is not None:
            _start(case, ClockKind.NEXT_RESPONSE, choice, at=at, settings_row=row)


def waiting_changed(case: Any) -> None:
    """The case started or stopped waiting on someone: pause or resume the clocks."""
    with transaction.atomic():
        _apply_pauses(case, _open_clocks(case), at=wall_clock.now(), settings_row=sla_settings())


def _apply_pauses(case: Any, open_clocks: list[Clock], *, at: datetime, settings_row: SlaSettings) -> None:
    paused = _paused_by(case, settings_row)
    for clock in open_clocks:
        if clock.kind not in PAUSABLE:
            continue
        if paused and clock.running_since is not None:
            consume_until(clock, at)
            clock.running_since = None
            clock.paused_at = at
            # A breached clock stops climbing while the ball is in the customer's court.
            clock.next_escalation_at = None
        elif not paused and clock.running_since is None:
            clock.paused_seconds += max(0.0, (at - (clock.paused_at or at)).total_seconds())
            clock.paused_at = None
            clock.running_since = at
            if clock.breached_at and clock.acknowledged_at is None and clock.escalation_level < Rung.EXECUTIVE:
                clock.next_escalation_at = at + timedelta(
                    minutes=ladder.delay_minutes(settings_row, clock.escalation_level + 1)
                )
        else:
            continue
        schedule(clock, settings_row.reminder_percent)
        clock.save()
        arm(clock)


def stage_changed(case: Any, *, before: str, after: str, close_reason: str = "") -> None:
    """Leaving a stage meets its clock; a closed case meets (or, closed as duplicate or spam,
    cancels) every clock; a reopened case gets fresh resolution and stage clocks."""
    now = wall_clock.now()
    row = sla_settings()
    with transaction.atomic():
        open_clocks = _open_clocks(case)
        for clock in open_clocks:
            if clock.kind == ClockKind.STAGE and clock.stage == before:
                _meet(clock, now)
            elif after == "closed":
                if close_reason and close_reason != "resolved":
                    _cancel(clock, now)
                elif clock.kind == ClockKind.RESOLUTION:
                    _meet(clock, now)
                else:
                    # Closed with a response clock still running: nobody answered, so it
                    # cannot count as met; it stops without a verdict.
                    _cancel(clock, now)
        if after != "closed":
            _ensure(case, at=now, settings_row=row, open_clocks=_open_clocks(case))


def case_changed(case: Any, changed: Iterable[str], *, by: Any | None) -> None:
    """Severity, channel, category, branch or safety changed: recompute the open clocks
    (audited with the old and new due times), start any that now apply, stop any that no
    longer do."""
    changed = set(changed)
    if not changed & TARGET_FIELDS:
        return
    recompute(case, by=by, why=", ".join(sorted(changed & TARGET_FIELDS)))


def recompute(case: Any, *, by: Any | None, why: str) -> list[dict[str, Any]]:
    now = wall_clock.now()
    row = sla_settings()
    targets = list(Target.objects.all())
    changes: list[dict[str, Any]] = []
    with transaction.atomic():
        open_clocks = _open_clocks(case)
        for clock in open_clocks:
            choice = choose(case, clock.kind, clock.stage, targets=targets, settings_row=row)
            if choice is None:
                _cancel(clock, now)
                changes.append({"clock": clock.pk, "kind": clock.kind, "before": iso(clock.due_at), "after": None})
                continue
            same = (
                choice.seconds == clock.target_seconds
                and choice.business_hours == clock.business_hours
                and (choice.calendar.pk if choice.calendar else None) == clock.calendar_id
            )
            if same:
                continue
            before = clock.due_at
            consume_until(clock, now)
            clock.target = choice.target
            clock.target_seconds = choice.seconds
            clock.business_hours = choice.business_hours
            clock.calendar = choice.calendar
            clock.version += 1
            schedule(clock, row.reminder_percent)
            clock.save()
            arm(clock)
            changes.append({"clock": clock.pk, "kind": clock.kind, "before": iso(before), "after": iso(clock.due_at)})
        started = _ensure(case, at=now, settings_row=row, open_clocks=[c for c in open_clocks if c.is_open])
        for clock in started:
            changes.append({"clock": clock.pk, "kind": clock.kind, "before": None, "after": iso(clock.due_at)})
        if changes:
            audit.record(
                "sla.recomputed", actor=by, object_type="case", object_id=case.pk,
                summary=f"{case.number}: SLA clocks recomputed ({why})",
                after={"clocks": changes}, reason=why,
            )
    return changes


def recompute_for_calendar(calendar_id: int) -> int:
    """A calendar changed (its hours, holidays, branches or the default): every open clock
    that counts its hours is computed again — on the calendar its case's branch follows now,
    which after a branch moved is another one. Time already used stays used."""
    forget_calendar(calendar_id)
    now = wall_clock.now()
    row = sla_settings()
    count = 0
    ids = list(Clock.objects.open().filter(calendar_id=calendar_id).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            for clock in Clock.objects.select_for_update(of=("self",)).select_related("calendar", "case").filter(
                pk__in=ids[start:start + 500]
            ):
                before = clock.due_at
                consume_until(clock, now)
                clock.calendar = calendar_for(clock.case)
                clock.business_hours = clock.calendar is not None
                clock.version += 1
                schedule(clock, row.reminder_percent)
                clock.save()
                arm(clock)
                audit.record(
                    "sla.recomputed", actor=None, object_type="case", object_id=clock.case_id,
                    summary=f"{clock.case.number}: SLA clock recomputed (a calendar changed)",
                    after={"clocks": [{"clock": clock.pk, "kind": clock.kind, "before": iso(before), "after": iso(clock.due_at)}]},
                    reason="calendar changed",
                )
                count += 1
    return count


def calendar_changed(calendar: BusinessCalendar) -> None:
    """Hook for ``calendars.on_calendar_changed``: recompute in a task, never in the
    editor's request (a calendar may be counted by many thousands of open clocks)."""
    from .tasks import recompute_calendar

    try:
        recompute_calendar.enqueue(calendar.pk)
    except Exception:
        logger.exception("could not enqueue the recomputation for calendar %s; running it now", calendar.pk)
        recompute_for_calendar(calendar.pk)


# ------------------------------------------------------------------------- the safety lane


def safety_flagged(case: Any, *, evidence: Iterable[str] = ()) -> list[Any]:
    """A case became a personal-safety case: tell the 品保/食安 head and the executives now.

    Once per case (the topic is the case), urgent (quiet hours do not apply) and needing an
    acknowledgement. The 15-minute first-response clock comes from ``recompute``.
    """
    row = sla_settings()
    topic = f"sla.safety:{case.pk}"
    if alert_selectors.topic_notifications(topic).exists():
        return []
    people = ladder.safety_recipients(case, row)
    return alerts.notify(
        people, kind="sla.safety", verb=SAFETY_VERB,
        params={
            "case": case.number, "subject": case.subject[:80],
            "evidence": "、".join(list(evidence)[:5]) or "—",
            "minutes": row.safety_first_response_minutes,
        },
        url=case_url(case), topic=topic, urgent=True, requires_ack=True,
    )

