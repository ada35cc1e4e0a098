"""notify(): one in-app notification per person, then email and webhooks after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from tingjian.alerts import services
from tingjian.alerts.models import (
    EmailStatus,
    Notification,
    NotificationPreference,
    WebhookDelivery,
)
from tingjian.org.tests.factories import make_user

from .conftest import Enqueued

pytestmark = pytest.mark.django_db

TAIPEI = ZoneInfo("Asia/Taipei")
VERB = "%(actor)s assigned case %(case)s to you: %(subject)s"
PARAMS = {"actor": "agent", "case": "C-1", "subject": "湯冷了"}


def tell(people: list[Any], kind: str = "case.assigned", **extra: Any) -> list[Notification]:
    return services.notify(people, kind=kind, verb=VERB, params=PARAMS, url="/cases/C-1/", **extra)


def test_one_notification_per_distinct_active_person(users: dict[str, Any]) -> None:
    gone = make_user("gone", "agent")
    gone.is_active = False
    gone.save()
    created = tell([users["agent"], users["agent"], None, gone, users["staff"]])
    assert sorted(n.recipient.username for n in created) == ["agent", "staff"]
    assert Notification.objects.count() == 2


def test_nobody_to_tell_creates_nothing(users: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert tell([None]) == []
    assert callbacks == []


def test_topic_urgency_and_acknowledgement_are_kept(users: dict[str, Any]) -> None:
    (note,) = tell([users["manager"]], kind="sla.breach", topic="sla.clock:42", urgent=True, requires_ack=True)
    note.refresh_from_db()
    assert (note.topic, note.urgent, note.requires_ack) == ("sla.clock:42", True, True)
    assert note.awaiting_acknowledgement


def test_emails_are_enqueued_only_after_commit(
    users: dict[str, Any], enqueued: Enqueued, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (note,) = tell([users["agent"]])
    assert enqueued("send_notification_email") == []
    for callback in callbacks:
        callback()
    assert enqueued("send_notification_email") == [(note.pk, None)]
    assert note.email_status == EmailStatus.QUEUED


def test_a_rolled_back_change_tells_nobody_by_email(
    users: dict[str, Any], enqueued: Enqueued, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                tell([users["agent"]])
                raise RuntimeError("the caller's change failed")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()
    assert enqueued("send_notification_email") == []


def test_email_follows_the_kinds_default_and_the_persons_choice(users: dict[str, Any]) -> None:
    NotificationPreference.objects.create(user=users["staff"], email={"case.assigned": False, "sla.recomputed": True})
    assigned = {n.recipient.username: n.email_status for n in tell([users["agent"], users["staff"]])}
    recomputed = {n.recipient.username: n.email_status for n in tell([users["agent"], users["staff"]], kind="sla.recomputed")}
    assert assigned == {"agent": EmailStatus.QUEUED, "staff": EmailStatus.OFF}
    assert recomputed == {"agent": EmailStatus.OFF, "staff": EmailStatus.QUEUED}


def test_an_unknown_kind_is_shown_in_the_app_but_not_emailed(users: dict[str, Any]) -> None:
    (note,) = tell([users["agent"]], kind="surveys.answered")
    assert Notification.objects.filter(pk=note.pk, kind="surveys.answered").exists()
    assert note.email_status == EmailStatus.OFF


def test_a_person_without_an_email_address_is_not_emailed(users: dict[str, Any]) -> None:
    users["agent"].email = ""
    users["agent"].save()
    (note,) = tell([users["agent"]])
    assert note.email_status == EmailStatus.OFF


def test_during_quiet_hours_the_email_is_held_until_they_end(users: dict[str, Any]) -> None:
    NotificationPreference.objects.create(user=users["agent"], quiet_start="22:00", quiet_end="07:00")
    with time_machine.travel(datetime(2026, 11, 23, 23, 30, tzinfo=TAIPEI), tick=False):
        (note,) = tell([users["agent"]])
    end = datetime(2026, 11, 24, 7, 0, tzinfo=TAIPEI)
    assert (note.email_status, note.email_due_at) == (EmailStatus.HELD, end)


def test_urgent_alerts_are_emailed_through_quiet_hours(users: dict[str, Any]) -> None:
    NotificationPreference.objects.create(user=users["manager"], quiet_start="22:00", quiet_end="07:00")
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=TAIPEI), tick=False):
        (note,) = tell([users["manager"]], kind="sla.safety", urgent=True)
    assert note.email_status == EmailStatus.QUEUED


def test_held_email_is_enqueued_to_run_when_quiet_hours_end(
    users: dict[str, Any], enqueued: Enqueued, django_capture_on_commit_callbacks: Any
) -> None:
    NotificationPreference.objects.create(user=users["agent"], quiet_start="22:00", quiet_end="07:00")
    with time_machine.travel(datetime(2026, 11, 23, 23, 30, tzinfo=TAIPEI), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        (note,) = tell([users["agent"]])
    assert enqueued("send_notification_email") == [(note.pk, datetime(2026, 11, 24, 7, 0, tzinfo=TAIPEI))]


def test_one_webhook_delivery_per_call_and_endpoint_not_per_person(
    users: dict[str, Any], settings: Any, enqueued: Enqueued, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://tingjian.example.com"
    everything, _ = services.create_webhook(name="all", url="https://relay.example.com/a", by=users["admin"])
    services.create_webhook(name="safety only", url="https://relay.example.com/b", kinds=["sla.safety"], by=users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        created = tell([users["agent"], users["staff"], users["manager"]], topic="case:1")
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.endpoint == everything
    assert delivery.payload == {
        "id": str(delivery.event_id), "kind": "case.assigned", "topic": "case:1", "urgent": False,
        "text": "agent assigned case C-1 to you: 湯冷了", "url": "https://tingjian.example.com/cases/C-1/",
        "created_at": created[0].created_at.isoformat(), "recipients": ["agent", "staff", "manager"],
    }
    assert enqueued("deliver_webhook") == [(delivery.pk, None)]


def test_webhook_text_is_in_the_company_language(users: dict[str, Any], settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hant"
    services.create_webhook(name="all", url="https://relay.example.com/a", by=users["admin"])
    tell([users["agent"]])
    assert WebhookDelivery.objects.get().payload["text"] == "agent 將案件 C-1 指派給您：湯冷了"


def test_a_deactivated_endpoint_is_not_told(users: dict[str, Any]) -> None:
    endpoint, _ = services.create_webhook(name="all", url="https://relay.example.com/a", by=users["admin"])
    services.deactivate_webhook(endpoint, by=users["admin"])
    tell([users["agent"]])
    assert not WebhookDelivery.objects.exists()
