"""SLA timers: reminders, breaches and the escalation ladder, fired once each.

A clock's next event is a task enqueued with ``run_after`` (``schedule.arm``); ``sweep``
fires whatever a crash or a restart dropped. Both call ``fire``, which re-reads the clock
under a lock and acts only on what is due *now*; each alert is claimed first with a
conditional UPDATE, so a clock never alerts twice whoever wakes up first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_noop

from tingjian import clock as wall_clock
from tingjian.alerts import selectors as alert_selectors
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit

from . import ladder
from .models import Clock, ClockKind, Rung, SlaSettings
from .schedule import ARM_HORIZON, arm, case_url, iso, local_time, schedule, sla_settings

logger = logging.getLogger(__name__)

VERBS = {
    ("reminder", ClockKind.FIRST_RESPONSE): gettext_noop("Reminder: the first response on case %(case)s is due at %(due)s — %(subject)s"),
    ("reminder", ClockKind.NEXT_RESPONSE): gettext_noop("Reminder: the customer of case %(case)s awaits an answer by %(due)s — %(subject)s"),
    ("reminder", ClockKind.RESOLUTION): gettext_noop("Reminder: case %(case)s must be resolved by %(due)s — %(subject)s"),
    ("breach", ClockKind.FIRST_RESPONSE): gettext_noop("Breached: no first response on case %(case)s since %(due)s — %(subject)s"),
    ("breach", ClockKind.NEXT_RESPONSE): gettext_noop("Breached: the customer of case %(case)s has waited for an answer since %(due)s — %(subject)s"),
    ("breach", ClockKind.RESOLUTION): gettext_noop("Breached: case %(case)s was due to be resolved at %(due)s — %(subject)s"),
}
# Stage names are in the message itself, not a parameter: parameters are shown as stored,
# and a stage must read 調查, not "investigation", to a reader in 繁體中文.
STAGE_VERBS = {
    ("reminder", "intake"): gettext_noop("Reminder: case %(case)s must leave intake by %(due)s — %(subject)s"),
    ("reminder", "investigation"): gettext_noop("Reminder: case %(case)s must leave investigation by %(due)s — %(subject)s"),
    ("reminder", "response"): gettext_noop("Reminder: case %(case)s must leave response by %(due)s — %(subject)s"),
    ("reminder", "qa"): gettext_noop("Reminder: case %(case)s must leave QA by %(due)s — %(subject)s"),
    ("breach", "intake"): gettext_noop("Breached: case %(case)s overstayed intake since %(due)s — %(subject)s"),
    ("breach", "investigation"): gettext_noop("Breached: case %(case)s overstayed investigation since %(due)s — %(subject)s"),
    ("breach", "response"): gettext_noop("Breached: case %(case)s overstayed response since %(due)s — %(subject)s"),
    ("breach", "qa"): gettext_noop("Breached: case %(case)s overstayed QA since %(due)s — %(subject)s"),
}
ESCALATION_VERBS = {
    Rung.HANDLER: gettext_noop(
        "Escalated to you as the handler: case %(case)s breached its target at %(due)s and nobody has acknowledged — %(subject)s"
    ),
    Rung.TEAM_LEAD: gettext_noop(
        "Escalated to you as team lead: case %(case)s breached its target at %(due)s and nobody has acknowledged — %(subject)s"
    ),
    Rung.DEPARTMENT_HEAD: gettext_noop(
        "Escalated to you as department head: case %(case)s breached its target at %(due)s and nobody has acknowledged — %(subject)s"
    ),
    Rung.EXECUTIVE: gettext_noop(
        "Escalated to you as an executive: case %(case)s breached its target at %(due)s and nobody has acknowledged — %(subject)s"
    ),
}
RUNG_NAMES = {
    Rung.HANDLER: "handler", Rung.TEAM_LEAD: "team lead",
    Rung.DEPARTMENT_HEAD: "department head", Rung.EXECUTIVE: "executive",
}


def _verb(event: str, clock: Clock) -> str:
    if clock.kind == ClockKind.STAGE:
        return STAGE_VERBS.get((event, clock.stage), STAGE_VERBS[(event, "intake")])
    return VERBS[(event, ClockKind(clock.kind))]


def _claim(clock: Clock, **stamp: Any) -> bool:
    """Set a once-only timestamp if nobody set it before: the one caller that wins alerts."""
    field = next(iter(stamp))
    return bool(Clock.objects.filter(pk=clock.pk, **{f"{field}__isnull": True}).update(**stamp))


def fire(clock_id: int) -> str:
    """Do what is due on one clock now: reminder, breach, the next rung. Idempotent."""
    now = wall_clock.now()
    row = sla_settings()
    done: list[str] = []
    with transaction.atomic():
        clock = (
            Clock.objects.select_for_update(of=("self",)).filter(pk=clock_id)
            .select_related("case", "case__assignee", "calendar").first()
        )
        if clock is None:
            return "no such clock"
        if not clock.is_open or clock.next_fire_at is None or clock.next_fire_at > now:
            return "nothing due"
        case = clock.case
        topic = f"sla.clock:{clock.pk}"
        params = {
            "case": case.number, "subject": case.subject[:80], "due": local_time(clock.due_at),
        }
        if clock.due_at is not None and clock.due_at <= now and clock.breached_at is None:
            if _claim(clock, breached_at=clock.due_at):
                clock.breached_at = clock.due_at
                if clock.reminded_at is None:
                    _claim(clock, reminded_at=now)
                    clock.reminded_at = now
                done.append(_breach(clock, case, params, topic, row, now))
        elif (
            clock.remind_at is not None and clock.remind_at <= now and clock.reminded_at is None
            and clock.breached_at is None and _claim(clock, reminded_at=now)
        ):
            clock.reminded_at = now
            people = ladder.recipients(case, Rung.HANDLER) or _first_rung_with_people(case, Rung.TEAM_LEAD)[1]
            alerts.notify(
                people, kind="sla.reminder", verb=_verb("reminder", clock),
                params=params, url=case_url(case), topic=topic, urgent=bool(case.safety),
            )
            done.append("reminded")
        # Rungs are timed from the breach, not from when a worker got round to it: after an
        # outage every rung that is due is told now, in order.
        for _rung in range(Rung.EXECUTIVE):
            if clock.next_escalation_at is None or clock.next_escalation_at > now:
                break
            done.append(_climb(clock, case, params, topic, row, now))
        schedule(clock, row.reminder_percent)
        clock.save(update_fields=[
            "breached_at", "reminded_at", "escalation_level", "next_escalation_at",
            "acknowledged_at", "acknowledged_by", "next_fire_at", "due_at", "remind_at", "red_at",
        ])
        arm(clock)
    return ", ".join(done) or "nothing due"


def _first_rung_with_people(case: Any, start: int) -> tuple[int, list[Any]]:
    for rung in range(start, Rung.EXECUTIVE + 1):
        people = ladder.recipients(case, rung)
        if people:
            return rung, people
    return Rung.NONE, []


def _breach(clock: Clock, case: Any, params: dict[str, Any], topic: str, row: SlaSettings, now: datetime) -> str:
    verb = _verb("breach", clock)
    if case.safety:
        # The safety lane skips the lower rungs: everyone who must act is told at once.
        alerts.notify(
            ladder.safety_recipients(case, row), kind="sla.breach", verb=verb, params=params,
            url=case_url(case), topic=topic, urgent=True, requires_ack=True,
        )
        clock.escalation_level = Rung.EXECUTIVE
        clock.next_escalation_at = None
        return "breached (safety: executives told)"
    rung, people = _first_rung_with_people(case, Rung.HANDLER)
    alerts.notify(people, kind="sla.breach", verb=verb, params=params, url=case_url(case), topic=topic,
                  requires_ack=True)
    clock.escalation_level = rung
    Clock.objects.filter(pk=clock.pk).update(escalation_level=rung)  # the next rung claims from here
    base = clock.breached_at or now
    clock.next_escalation_at = (
        base + timedelta(minutes=ladder.delay_minutes(row, rung + 1)) if Rung.NONE < rung < Rung.EXECUTIVE else None
    )
    audit.record(
        "sla.breached", actor=None, object_type="case", object_id=case.pk,
        summary=f"{case.number}: {clock.kind} breached",
        after={"clock": clock.pk, "kind": clock.kind, "due": iso(clock.due_at), "told": rung},
    )
    return "breached"


def _climb(clock: Clock, case: Any, params: dict[str, Any], topic: str, row: SlaSettings, now: datetime) -> str:
    ack = alert_selectors.topic_acknowledgement(topic)
    if ack is not None:
        clock.acknowledged_at = ack.acknowledged_at
        clock.acknowledged_by_id = ack.recipient_id
        clock.next_escalation_at = None
        return "acknowledged: stops climbing"
    scheduled = clock.next_escalation_at or now
    rung, people = _first_rung_with_people(case, clock.escalation_level + 1)
    if rung == Rung.NONE:
        clock.next_escalation_at = None
        return "top of the ladder"
    # Claim the rung: only the caller that moves the level from where it was alerts.
    moved = Clock.objects.filter(pk=clock.pk, escalation_level=clock.escalation_level).update(escalation_level=rung)
    if not moved:
        clock.next_escalation_at = None
        return "already climbed"
    clock.escalation_level = rung
    alerts.notify(
        people, kind="sla.escalation", verb=ESCALATION_VERBS[Rung(rung)],
        params=params, url=case_url(case), topic=topic, requires_ack=True,
    )
    clock.next_escalation_at = (
        scheduled + timedelta(minutes=ladder.delay_minutes(row, rung + 1)) if rung < Rung.EXECUTIVE else None
    )
    audit.record(
        "sla.escalated", actor=None, object_type="case", object_id=case.pk,
        summary=f"{case.number}: {clock.kind} escalated to {RUNG_NAMES[Rung(rung)]}",
        after={"clock": clock.pk, "rung": rung, "told": sorted(u.get_username() for u in people)},
    )
    return f"escalated to {RUNG_NAMES[Rung(rung)]}"


def sweep(*, limit: int = 5000) -> dict[str, int]:
    """Fire every clock whose next event is due: what a crash or a restart dropped.

    Reads ids only (one indexed range scan), then fires each in its own transaction, so a
    sweep over many clocks holds no long lock and one bad clock does not stop the rest.
    """
    now = wall_clock.now()
    ids = list(
        Clock.objects.filter(next_fire_at__lte=now).order_by("next_fire_at").values_list("pk", flat=True)[:limit]
    )
    fired = failed = 0
    for clock_id in ids:
        try:
            result = fire(clock_id)
        except Exception:
            logger.exception("SLA clock %s could not fire; the next sweep tries again", clock_id)
            failed += 1
            continue
        if result != "nothing due":
            fired += 1
    return {"due": len(ids), "fired": fired, "failed": failed}


def arm_upcoming(*, limit: int = 5000) -> int:
    """Queue the wake-ups that came within the horizon since the last tick (one indexed
    range scan on next_fire_at); each clock once per moment."""
    now = wall_clock.now()
    upcoming = (
        Clock.objects.filter(next_fire_at__gt=now, next_fire_at__lte=now + ARM_HORIZON)
        .filter(Q(armed_for__isnull=True) | ~Q(armed_for=F("next_fire_at")))
        .only("pk", "next_fire_at", "armed_for")
        .order_by("next_fire_at")[:limit]
    )
    count = 0
    for clock in upcoming:
        arm(clock)
        count += 1
    return count


# Clocks the minute tick fires at most. The tick runs in a worker, and a webhook's ingest
# waits behind it: bench/sla.py measured 8 ms (SQLite) to 20 ms (PostgreSQL) per fired
# clock, so 500 keep a tick under about ten seconds; a larger backlog (after an outage) is
# worked off over the next ticks, while each clock's own queued wake-up fires it too.
TICK_LIMIT = 500


def periodic_work() -> str:
    result = sweep(limit=TICK_LIMIT)
    armed = arm_upcoming()
    return (
        f"sla: {result['fired']} fired of {result['due']} due, {armed} armed"
        + (f", {result['failed']} failed" if result["failed"] else "")
    )


def alert_acknowledged(notification: Any, by: Any, at: datetime) -> None:
    """Hook for ``alerts.services.on_acknowledged``: someone took a clock's alert (from the
    list, the email link, the API): the clock records who and stops climbing at once."""
    topic = getattr(notification, "topic", "") or ""
    if not topic.startswith("sla.clock:") or not topic.removeprefix("sla.clock:").isdigit():
        return
    clock = Clock.objects.select_for_update().filter(pk=int(topic.removeprefix("sla.clock:"))).first()
    if clock is None or clock.acknowledged_at is not None:
        return
    clock.acknowledged_at = at
    clock.acknowledged_by = by
    clock.next_escalation_at = None
    schedule(clock, sla_settings().reminder_percent)
    clock.save(update_fields=["acknowledged_at", "acknowledged_by", "next_escalation_at", "next_fire_at"])


def acknowledge_clock_alerts(clock: Clock, *, by: Any) -> int:
    """Acknowledge every alert of this clock addressed to ``by`` (from the case page)."""
    topic = f"sla.clock:{clock.pk}"
    count = 0
    for note in alert_selectors.topic_notifications(topic).filter(
        recipient=by, requires_ack=True, acknowledged_at__isnull=True
    ):
        alerts.acknowledge(note, by=by, via="app")
        count += 1
    return count




def settle_history(*, before: datetime) -> int:
    """Record what is already past without telling anyone: reminders and breaches due
    before ``before`` are stamped at their exact times and no ladder climbs.

    For history brought in from elsewhere (the demo's back-dated cases, an import from
    another helpdesk): a breach from last month is a fact for the reports, not an alarm to
    wake an executive tonight. Later events keep their timers.
    """
    row = sla_settings()
    count = 0
    ids = list(Clock.objects.filter(next_fire_at__lt=before).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            for clock in Clock.objects.select_for_update(of=("self",)).filter(pk__in=ids[start:start + 500]).select_related("calendar"):
                if clock.remind_at and clock.remind_at < before and clock.reminded_at is None:
                    clock.reminded_at = clock.remind_at
                if clock.due_at and clock.due_at < before and clock.breached_at is None:
                    clock.breached_at = clock.due_at
                clock.next_escalation_at = None
                schedule(clock, row.reminder_percent)
                clock.save()
                arm(clock)
                count += 1
    if count:
        audit.record(
            "sla.history_settled", actor=None, object_type="sla", object_id="clocks",
            summary=f"{count} past SLA events recorded without alerts (before {before.isoformat()})",
        )
    return count
