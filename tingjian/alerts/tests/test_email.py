"""Emailing a notification: in the person's language, once, retried, never logged."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from tingjian import clock
from tingjian.alerts import links, mailing, services, tasks
from tingjian.alerts.models import EmailStatus, Notification, NotificationPreference
from tingjian.org.services import ensure_profile

from .conftest import Enqueued

pytestmark = pytest.mark.django_db

TAIPEI = ZoneInfo("Asia/Taipei")
VERB = "%(actor)s assigned case %(case)s to you: %(subject)s"


def assigned(user: Any, **extra: Any) -> Notification:
    (note,) = services.notify(
        [user], kind=extra.pop("kind", "case.assigned"), verb=VERB,
        params={"actor": "agent", "case": "C-9", "subject": "湯冷了"}, url="/cases/C-9/", **extra,
    )
    return note


def test_the_email_is_in_the_recipients_language_with_a_link_to_the_item(users: dict[str, Any], settings: Any) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://tingjian.example.com"
    ensure_profile(users["staff"], language="zh-hant")
    note = assigned(users["staff"])
    assert tasks.send_notification_email.call(note.pk) == "sent"
    (sent,) = mail.outbox
    assert sent.to == ["staff@example.com"]
    assert "agent 將案件 C-9 指派給您：湯冷了" in sent.subject
    assert "agent 將案件 C-9 指派給您：湯冷了" in sent.body
    assert "https://tingjian.example.com/cases/C-9/" in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="https://tingjian.example.com/cases/C-9/"' in html
    assert "/notifications/ack/" not in sent.body + html
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT
    assert note.email_sent_at is not None


def test_an_alert_that_asks_for_acknowledgement_carries_a_signed_link(users: dict[str, Any]) -> None:
    note = assigned(users["manager"], kind="sla.breach", requires_ack=True)
    mailing.send(note.pk)
    (sent,) = mail.outbox
    link = links.ack_url(note)
    assert link in sent.body
    assert link in sent.alternatives[0][0]


def test_a_second_run_sends_nothing(users: dict[str, Any]) -> None:
    note = assigned(users["agent"])
    assert mailing.send(note.pk) == "sent"
    assert mailing.send(note.pk).startswith("nothing to send")
    assert len(mail.outbox) == 1


def test_a_claimed_email_is_left_to_the_worker_that_claimed_it(users: dict[str, Any]) -> None:
    note = assigned(users["agent"])
    Notification.objects.filter(pk=note.pk).update(email_claimed_at=clock.now())
    assert mailing.send(note.pk).startswith("nothing to send")
    assert mail.outbox == []


def test_a_claim_left_by_a_crashed_worker_expires(users: dict[str, Any]) -> None:
    note = assigned(users["agent"])
    Notification.objects.filter(pk=note.pk).update(email_claimed_at=clock.now() - timedelta(minutes=11))
    assert mailing.send(note.pk) == "sent"
    assert len(mail.outbox) == 1


def test_an_email_turned_off_after_it_was_queued_is_not_sent(users: dict[str, Any]) -> None:
    note = assigned(users["agent"])
    services.save_preferences(users["agent"], email={"case.assigned": False}, quiet_start=None, quiet_end=None)
    assert mailing.send(note.pk) == "off"
    assert mail.outbox == []
    note.refresh_from_db()
    assert note.email_status == EmailStatus.OFF


def test_a_held_email_waits_for_the_end_of_quiet_hours_then_goes(users: dict[str, Any], enqueued: Enqueued) -> None:
    NotificationPreference.objects.create(user=users["agent"], quiet_start="22:00", quiet_end="07:00")
    with time_machine.travel(datetime(2026, 11, 23, 23, 0, tzinfo=TAIPEI), tick=False):
        note = assigned(users["agent"])
    with time_machine.travel(datetime(2026, 11, 24, 3, 0, tzinfo=TAIPEI), tick=False):
        assert mailing.send(note.pk) == "held until the end of quiet hours"
    assert mail.outbox == []
    assert enqueued("send_notification_email")[-1] == (note.pk, datetime(2026, 11, 24, 7, 0, tzinfo=TAIPEI))
    with time_machine.travel(datetime(2026, 11, 24, 7, 0, 5, tzinfo=TAIPEI), tick=False):
        assert mailing.send(note.pk) == "sent"
    assert len(mail.outbox) == 1


def test_failures_are_retried_with_backoff_then_recorded(
    users: dict[str, Any], enqueued: Enqueued, caplog: pytest.LogCaptureFixture
) -> None:
    start = datetime(2026, 11, 23, 10, 0, tzinfo=TAIPEI)
    with time_machine.travel(start, tick=False):
        note = assigned(users["agent"])
    refused = smtplib.SMTPRecipientsRefused({"agent@example.com": (550, b"no such user agent@example.com")})
    now = start
    caplog.set_level(logging.DEBUG)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        outcomes = []
        for _ in range(4):
            with time_machine.travel(now, tick=False):
                outcomes.append(mailing.send(note.pk))
            note.refresh_from_db()
            if note.email_due_at:
                now = note.email_due_at
    assert outcomes == ["will retry", "will retry", "will retry", "failed"]
    assert [run_after - start for _, run_after in enqueued("send_notification_email") if run_after] == [
        timedelta(minutes=1), timedelta(minutes=1 + 5), timedelta(minutes=1 + 5 + 30),
    ]
    assert (note.email_status, note.email_attempts, note.email_error) == (EmailStatus.FAILED, 4, "SMTPRecipientsRefused")
    assert "agent@example.com" not in caplog.text
    assert "C-9" not in caplog.text
    assert f"notification {note.pk}" in caplog.text


def test_users_without_an_address_get_off_even_if_queued_earlier(users: dict[str, Any]) -> None:
    note = assigned(users["agent"])
    users["agent"].email = ""
    users["agent"].save()
    assert mailing.send(note.pk) == "off"
    assert mail.outbox == []


def test_the_sweep_enqueues_emails_whose_task_was_lost(users: dict[str, Any], enqueued: Enqueued) -> None:
    start = datetime(2026, 11, 23, 10, 0, tzinfo=TAIPEI)
    with time_machine.travel(start, tick=False):
        lost = assigned(users["agent"])
        fresh_soon = assigned(users["staff"])
    Notification.objects.filter(pk=fresh_soon.pk).update(email_due_at=start + timedelta(minutes=5))
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        services.periodic_work()
    assert enqueued("send_notification_email") == [(lost.pk, None)]
