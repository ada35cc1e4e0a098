"""SLA clocks, with time under the test's control: exact breaches, reminders, pauses, the
ladder, restarts and the safety lane."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from tingjian.alerts import services as alert_services
from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent
from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.org.models import Membership, Team
from tingjian.sla import timers
from tingjian.sla.models import BusinessCalendar, Clock, Holiday, OpeningHours, Rung, Target

# Monday 23 November 2026, 09:00 in Taipei.
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ladder(company: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    """agent handles; staff leads the team; manager heads customer service."""
    team = Team.objects.create(
        code="cs-a", department=company["cs"], lead=users["staff"],
        name_zh_hant="客服一組", name_zh_hans="客服一组", name_en="CS team A",
    )
    Membership.objects.filter(user=users["manager"], department=company["cs"]).update(is_head=True)
    return {"team": team}


def notes(user: Any, kind: str, case: Case | None = None, clock: str = "first_response") -> list[Notification]:
    """The user's alerts of one kind — about one clock of the case when a case is given
    (every case also has resolution and stage clocks, which alert on their own)."""
    qs = Notification.objects.filter(recipient=user, kind=kind)
    if case is not None:
        topics = [f"sla.clock:{pk}" for pk in Clock.objects.filter(case=case, kind=clock).values_list("pk", flat=True)]
        qs = qs.filter(topic__in=topics)
    return list(qs)


def clock_of(case: Case, kind: str) -> Clock:
    return Clock.objects.get(case=case, kind=kind, met_at__isnull=True, cancelled_at__isnull=True)


def at(traveller: Any, moment: datetime) -> dict[str, int]:
    """Move time and run what the worker would run then."""
    traveller.move_to(moment)
    return timers.sweep()


def test_first_response_breaches_at_the_exact_minute(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"])
    clock = clock_of(case, "first_response")
    assert clock.due_at == NOW + 60 * MINUTE  # S2 on the phone: one hour, around the clock

    at(traveller, NOW + 60 * MINUTE - timedelta(seconds=1))
    clock.refresh_from_db()
    assert clock.breached_at is None
    assert notes(users["agent"], "sla.breach") == []

    at(traveller, NOW + 60 * MINUTE)
    clock.refresh_from_db()
    assert clock.breached_at == NOW + 60 * MINUTE
    assert len(notes(users["agent"], "sla.breach")) == 1
    assert clock.escalation_level == Rung.HANDLER


def test_reminder_comes_at_75_percent_of_the_target_and_only_once(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"])
    at(traveller, NOW + 45 * MINUTE - timedelta(seconds=1))
    assert notes(users["agent"], "sla.reminder") == []
    at(traveller, NOW + 45 * MINUTE)
    at(traveller, NOW + 46 * MINUTE)
    reminders = notes(users["agent"], "sla.reminder")
    assert len(reminders) == 1
    assert case.number in reminders[0].text
    assert clock_of(case, "first_response").reminded_at == NOW + 45 * MINUTE


def test_a_reply_meets_the_clock_and_nothing_fires_afterwards(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"])
    traveller.move_to(NOW + 20 * MINUTE)
    case_services.record_reply(case, body="您好，已收到，正在處理。", by=users["agent"])
    clock = Clock.objects.get(case=case, kind="first_response")
    assert clock.met_at == NOW + 20 * MINUTE and clock.breached_at is None
    at(traveller, NOW + 3 * 60 * MINUTE)
    assert not Notification.objects.filter(topic=f"sla.clock:{clock.pk}").exists()


def test_a_reply_after_the_due_time_records_the_breach_at_the_due_minute(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"])
    # No worker ran (it was down): the reply still records the breach exactly.
    traveller.move_to(NOW + 90 * MINUTE)
    case_services.record_reply(case, body="抱歉久等了。", by=users["agent"])
    clock = Clock.objects.get(case=case, kind="first_response")
    assert clock.met_at == NOW + 90 * MINUTE
    assert clock.breached_at == NOW + 60 * MINUTE


@pytest.fixture
def office(company: dict[str, Any]) -> BusinessCalendar:
    """Mon–Fri 09:00–18:00 in Taipei; Monday 30 November 2026 is a holiday."""
    calendar = BusinessCalendar.objects.create(code="office", name="Office", time_zone="Asia/Taipei", is_default=True)
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=d, opens=time(9), closes=time(18)) for d in range(5)
    )
    Holiday.objects.create(calendar=calendar, year=2026, date=date(2026, 11, 30), name="Test holiday")
    Target.objects.create(kind="resolution", channel="email", minutes=16 * 60, business_hours=True)
    return calendar


def taipei(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


def test_business_hours_clock_skips_the_weekend_and_the_holiday(
    traveller: Any, office: BusinessCalendar, open_case: Callable[..., Case], company: dict[str, Any]
) -> None:
    traveller.move_to(taipei(27, 10))  # Friday 10:00
    case = open_case(severity=3, channel="email", department=company["cs"])
    # 16 office hours: Friday 10–18 (8 h), then Tuesday (Monday is the holiday) 09–17.
    assert clock_of(case, "resolution").due_at == taipei(1, 17, month=12)


def test_waiting_on_the_customer_pauses_over_a_weekend_and_a_holiday(
    traveller: Any, office: BusinessCalendar, open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any],
) -> None:
    traveller.move_to(taipei(27, 10))  # Friday 10:00
    case = open_case(severity=3, channel="email", department=company["cs"])
    traveller.move_to(taipei(27, 12))  # two office hours used
    case_services.update_case(case, by=users["agent"], fields={"waiting_on": "customer"})
    clock = clock_of(case, "resolution")
    assert clock.running_since is None and clock.due_at is None
    assert clock.consumed_seconds == 2 * 3600

    # Nothing fires while paused, however long the pause.
    at(traveller, taipei(2, 9, month=12))
    assert not Notification.objects.filter(topic=f"sla.clock:{clock.pk}").exists()

    traveller.move_to(taipei(2, 10, month=12))  # Wednesday 10:00: the customer answers
    case_services.record_customer_message(case, body="我補上發票照片了", by=None)
    case.refresh_from_db()
    assert case.waiting_on == ""
    clock.refresh_from_db()
    # 14 office hours left: Wednesday 10–18 (8 h) and Thursday 09–15.
    assert clock.due_at == taipei(3, 15, month=12)
    assert clock.paused_seconds == (taipei(2, 10, month=12) - taipei(27, 12)).total_seconds()


def test_clock_is_recomputed_and_audited_when_severity_rises(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=3, department=company["cs"])
    assert clock_of(case, "first_response").due_at == NOW + 240 * MINUTE

    traveller.move_to(NOW + 30 * MINUTE)
    case_services.update_case(case, by=users["agent"], fields={"severity": 2})
    clock = clock_of(case, "first_response")
    assert clock.due_at == NOW + 60 * MINUTE  # 30 minutes used of the new hour
    assert clock.version == 2
    event = AuditEvent.objects.filter(action="sla.recomputed", object_id=str(case.pk)).latest("id")
    changes = {c["kind"]: c for c in event.after["clocks"]}
    assert changes["first_response"]["before"] == (NOW + 240 * MINUTE).isoformat()
    assert changes["first_response"]["after"] == (NOW + 60 * MINUTE).isoformat()


def test_a_lower_target_that_is_already_used_up_breaches_at_once(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=3, assignee=users["agent"], department=company["cs"])
    traveller.move_to(NOW + 70 * MINUTE)
    case_services.update_case(case, by=users["agent"], fields={"severity": 2})
    at(traveller, NOW + 70 * MINUTE)
    assert len(notes(users["agent"], "sla.breach")) == 1


def test_ladder_climbs_while_nobody_acknowledges(
    traveller: Any, ladder: dict[str, Any], open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any],
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"], team=ladder["team"])
    breach = NOW + 60 * MINUTE
    at(traveller, breach)
    assert len(notes(users["agent"], "sla.breach", case)) == 1
    at(traveller, breach + 29 * MINUTE)
    assert notes(users["staff"], "sla.escalation", case) == []
    at(traveller, breach + 30 * MINUTE)
    assert len(notes(users["staff"], "sla.escalation", case)) == 1  # team lead
    at(traveller, breach + 90 * MINUTE)
    assert len(notes(users["manager"], "sla.escalation", case)) == 1  # department head
    assert notes(users["executive"], "sla.escalation", case) == []
    at(traveller, breach + 210 * MINUTE)
    assert len(notes(users["executive"], "sla.escalation", case)) == 1
    at(traveller, breach + 600 * MINUTE)
    escalations = [n for u in users.values() for n in notes(u, "sla.escalation", case)]
    assert len(escalations) == 3  # the top is the top
    assert clock_of(case, "first_response").escalation_level == Rung.EXECUTIVE


def test_after_an_outage_every_rung_that_is_due_is_told_at_once(
    traveller: Any, ladder: dict[str, Any], open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any],
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"], team=ladder["team"])
    at(traveller, NOW + 60 * MINUTE + 100 * MINUTE)  # no worker ran until now
    assert len(notes(users["agent"], "sla.breach", case)) == 1
    assert len(notes(users["staff"], "sla.escalation", case)) == 1
    assert len(notes(users["manager"], "sla.escalation", case)) == 1
    assert notes(users["executive"], "sla.escalation", case) == []  # due at breach + 210 min


def test_an_acknowledgement_stops_the_climb_but_not_the_clock(
    traveller: Any, ladder: dict[str, Any], open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any],
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"], team=ladder["team"])
    breach = NOW + 60 * MINUTE
    at(traveller, breach + 30 * MINUTE)
    lead_alert = notes(users["staff"], "sla.escalation", case)[0]
    traveller.move_to(breach + 40 * MINUTE)
    alert_services.acknowledge(lead_alert, by=users["staff"], via="app")

    at(traveller, breach + 300 * MINUTE)
    assert notes(users["manager"], "sla.escalation", case) == []
    assert notes(users["executive"], "sla.escalation", case) == []
    clock = clock_of(case, "first_response")  # still open: acknowledging is not answering
    assert clock.acknowledged_by == users["staff"]
    assert clock.acknowledged_at == breach + 40 * MINUTE
    assert clock.breached_at == breach


def test_a_rung_with_nobody_on_it_is_skipped(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    # No assignee and no team: the breach goes to the department head straight away.
    Membership.objects.filter(user=users["manager"], department=company["cs"]).update(is_head=True)
    open_case(severity=2, department=company["cs"])
    case = Case.objects.latest("pk")
    at(traveller, NOW + 60 * MINUTE)
    assert len(notes(users["manager"], "sla.breach", case)) == 1


def test_timer_survives_a_restart_and_fires_once(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(severity=2, assignee=users["agent"], department=company["cs"])
    clock = clock_of(case, "first_response")
    queued = DBTaskResult.objects.filter(task_path__endswith="fire_clock", args_kwargs__args=[clock.pk])
    assert not queued.exists()  # the reminder is 45 minutes away: beyond the horizon

    # The minute tick queues it once it comes within ten minutes, and only once.
    traveller.move_to(NOW + 36 * MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        timers.periodic_work()
    traveller.move_to(NOW + 37 * MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        timers.periodic_work()
    assert [t.run_after for t in queued] == [NOW + 45 * MINUTE]

    # The worker restarts; its queued task is a row and waits. At the reminder time a sweep
    # from cron and the queued task both wake: one reminder.
    traveller.move_to(NOW + 45 * MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        assert timers.sweep()["fired"] == 1
        assert timers.fire(clock.pk) == "nothing due"
    assert len(notes(users["agent"], "sla.reminder")) == 1
    # The breach is next, fifteen minutes on: queued by the tick when it comes near.
    traveller.move_to(NOW + 51 * MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        timers.periodic_work()
    assert DBTaskResult.objects.filter(args_kwargs__args=[clock.pk], run_after=NOW + 60 * MINUTE).exists()


def test_a_clock_due_within_minutes_is_queued_at_once(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(channel="line", body="我吃了之後食物中毒", assignee=users["agent"])
    clock = clock_of(case, "first_response")  # 15 minutes: the reminder is 11 min 15 s away
    traveller.move_to(NOW + 2 * MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        timers.periodic_work()
    assert DBTaskResult.objects.filter(args_kwargs__args=[clock.pk], run_after=clock.remind_at).count() == 1


def test_a_lost_timer_is_caught_by_the_sweep(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        open_case(severity=2, assignee=users["agent"], department=company["cs"])
    DBTaskResult.objects.all().delete()  # a Redis flush, a crashed worker: the timers are gone
    at(traveller, NOW + 61 * MINUTE)
    assert len(notes(users["agent"], "sla.breach")) == 1
    assert len(notes(users["agent"], "sla.reminder")) == 0  # the breach supersedes a late reminder


def test_closing_as_spam_cancels_the_clocks(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    from tingjian.cases.workflow import transition

    case = open_case(severity=3, department=company["cs"])
    transition(case, "closed", by=users["manager"], via="close_spam", reason="廣告訊息，不是客訴內容。")
    assert not Clock.objects.open().filter(case=case).exists()
    assert Clock.objects.filter(case=case, cancelled_at=NOW).count() >= 2


def test_a_stage_move_meets_the_stage_clock_and_starts_the_next(
    traveller: Any, ready_for_investigation: Case, users: dict[str, Any]
) -> None:
    from tingjian.cases.workflow import transition

    traveller.move_to(NOW + 10 * MINUTE)
    transition(ready_for_investigation, "investigation", by=users["agent"])
    intake = Clock.objects.get(case=ready_for_investigation, kind="stage", stage="intake")
    assert intake.met_at == NOW + 10 * MINUTE
    investigation = clock_of(ready_for_investigation, "stage")
    assert investigation.stage == "investigation"
    assert investigation.due_at == NOW + 10 * MINUTE + 48 * 60 * MINUTE


def test_customer_writing_after_our_answer_starts_a_next_response_clock(
    traveller: Any, ready_for_investigation: Case, users: dict[str, Any]
) -> None:
    traveller.move_to(NOW + 60 * MINUTE)
    case_services.record_customer_message(ready_for_investigation, body="請問進度如何？", by=None)
    clock = clock_of(ready_for_investigation, "next_response")
    assert clock.due_at == NOW + 60 * MINUTE + 240 * MINUTE
    traveller.move_to(NOW + 90 * MINUTE)
    case_services.record_reply(ready_for_investigation, body="正在調查中。", by=users["agent"])
    clock.refresh_from_db()
    assert clock.met_at == NOW + 90 * MINUTE


def test_a_holiday_added_later_moves_the_open_clocks_in_a_task(
    traveller: Any, office: BusinessCalendar, open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any], django_capture_on_commit_callbacks: Any,
) -> None:
    from tingjian.sla import calendars, services

    traveller.move_to(taipei(27, 10))  # Friday 10:00
    case = open_case(severity=3, channel="email", department=company["cs"])
    assert clock_of(case, "resolution").due_at == taipei(1, 17, month=12)

    with django_capture_on_commit_callbacks(execute=True):
        calendars.set_holidays(
            office, 2026, [(date(2026, 11, 30), "Test holiday", "closed", 4), (date(2026, 12, 1), "Typhoon day", "closed", 4)],
            by=users["admin"],
        )
    # The editor's request only enqueued the work; the worker recomputes.
    assert DBTaskResult.objects.filter(task_path__endswith="recompute_calendar", args_kwargs__args=[office.pk]).exists()
    assert clock_of(case, "resolution").due_at == taipei(1, 17, month=12)
    assert services.recompute_for_calendar(office.pk) >= 1
    assert clock_of(case, "resolution").due_at == taipei(2, 17, month=12)
    assert AuditEvent.objects.filter(action="sla.recomputed", object_id=str(case.pk)).exists()


def test_acknowledging_from_the_notification_list_marks_the_clock_at_once(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]
) -> None:
    case = open_case(severity=2, assignee=users["agent"], department=company["cs"])
    at(traveller, NOW + 60 * MINUTE)
    breach = notes(users["agent"], "sla.breach", case)[0]
    traveller.move_to(NOW + 65 * MINUTE)
    alert_services.acknowledge(breach, by=users["agent"], via="email")
    clock = clock_of(case, "first_response")
    assert clock.acknowledged_by == users["agent"] and clock.acknowledged_at == NOW + 65 * MINUTE
    assert clock.next_escalation_at is None
    assert clock.next_fire_at is None  # nothing left to fire: breached, acknowledged, still open


def test_an_unrouted_cases_breach_goes_to_the_managers_not_the_executives(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(severity=2)  # no department, no assignee: the intake queue's
    at(traveller, NOW + 60 * MINUTE)
    assert len(notes(users["manager"], "sla.breach", case)) == 1
    assert notes(users["executive"], "sla.breach", case) == []
    assert "Breached: no first response on case" in notes(users["manager"], "sla.breach", case)[0].text
