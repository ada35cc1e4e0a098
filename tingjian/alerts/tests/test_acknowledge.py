"""Acknowledging an alert: the recipient only, once, audited; and what the SLA ladder reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tingjian.alerts import selectors, services
from tingjian.alerts.errors import AlreadyAcknowledged, NothingToAcknowledge, NotYours
from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Taipei"))


def alert(*people: Any, requires_ack: bool = True, topic: str = "sla.clock:7") -> list[Notification]:
    return services.notify(
        people, kind="sla.breach", verb="Case %(case)s missed its deadline", params={"case": "C-7"},
        topic=topic, requires_ack=requires_ack,
    )


def test_the_recipient_acknowledges_and_it_is_read_and_audited(users: dict[str, Any]) -> None:
    (note,) = alert(users["manager"])
    with time_machine.travel(NOON, tick=False):
        services.acknowledge(note, by=users["manager"], via="email")
    note.refresh_from_db()
    assert (note.acknowledged_at, note.acknowledged_via, note.read_at) == (NOON, "email", NOON)
    event = AuditEvent.objects.get(action="alert.acknowledged")
    assert (event.actor_id, event.object_id, event.after["via"]) == (users["manager"].pk, str(note.pk), "email")


def test_acknowledging_keeps_the_time_it_was_first_read(users: dict[str, Any]) -> None:
    (note,) = alert(users["manager"])
    with time_machine.travel(NOON, tick=False):
        services.mark_read(users["manager"])
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        services.acknowledge(note, by=users["manager"], via="app")
    note.refresh_from_db()
    assert note.read_at == NOON


def test_nobody_else_may_acknowledge(users: dict[str, Any]) -> None:
    (note,) = alert(users["manager"])
    with pytest.raises(NotYours):
        services.acknowledge(note, by=users["executive"], via="app")
    note.refresh_from_db()
    assert note.acknowledged_at is None
    assert not AuditEvent.objects.filter(action="alert.acknowledged").exists()


def test_a_notification_that_asks_for_none_cannot_be_acknowledged(users: dict[str, Any]) -> None:
    (note,) = alert(users["manager"], requires_ack=False)
    with pytest.raises(NothingToAcknowledge):
        services.acknowledge(note, by=users["manager"], via="app")
    note.refresh_from_db()
    assert note.acknowledged_at is None


def test_a_second_acknowledgement_says_who_and_when_and_changes_nothing(users: dict[str, Any]) -> None:
    (note,) = alert(users["manager"])
    with time_machine.travel(NOON, tick=False):
        services.acknowledge(note, by=users["manager"], via="email")
    stale = Notification.objects.get(pk=note.pk)
    stale.acknowledged_at = None  # as a page opened before the first click holds it
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False), pytest.raises(AlreadyAcknowledged) as twice:
        services.acknowledge(stale, by=users["manager"], via="app")
    assert (twice.value.at, twice.value.by, twice.value.via) == (NOON, users["manager"], "email")
    note.refresh_from_db()
    assert (note.acknowledged_at, note.acknowledged_via) == (NOON, "email")
    assert AuditEvent.objects.filter(action="alert.acknowledged").count() == 1


def test_the_topic_acknowledgement_is_the_first_one_taken(users: dict[str, Any]) -> None:
    manager_note, executive_note = alert(users["manager"], users["executive"])
    alert(users["manager"], topic="sla.clock:8")
    assert selectors.topic_acknowledgement("sla.clock:7") is None
    with time_machine.travel(NOON, tick=False):
        services.acknowledge(executive_note, by=users["executive"], via="app")
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        services.acknowledge(manager_note, by=users["manager"], via="app")
    first = selectors.topic_acknowledgement("sla.clock:7")
    assert first is not None
    assert (first.pk, first.recipient, first.acknowledged_at) == (executive_note.pk, users["executive"], NOON)
    assert selectors.topic_acknowledgement("sla.clock:8") is None


def test_topic_notifications_are_all_of_the_topic(users: dict[str, Any]) -> None:
    alert(users["manager"], users["executive"])
    alert(users["manager"], topic="other")
    assert sorted(n.recipient.username for n in selectors.topic_notifications("sla.clock:7")) == ["executive", "manager"]


def test_awaiting_acknowledgement_lists_only_the_open_ones(users: dict[str, Any]) -> None:
    taken, waiting = alert(users["manager"], users["executive"])
    alert(users["agent"], requires_ack=False)
    services.acknowledge(taken, by=users["manager"], via="app")
    assert [n.pk for n in selectors.awaiting_acknowledgement()] == [waiting.pk]
