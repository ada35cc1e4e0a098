"""Scheduled reports: made once, emailed once — across repeated sweeps and worker restarts."""

from __future__ import annotations

import io
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult, get_date_max
from pypdf import PdfReader

from tingjian import clock
from tingjian.org.services import ensure_profile
from tingjian.reports import delivery, generation, services
from tingjian.reports.models import Delivery, DeliveryStatus, Report, ReportStatus, Schedule

TAIPEI = ZoneInfo("Asia/Taipei")
MONDAY_0800 = datetime(2026, 11, 23, 8, 0, tzinfo=TAIPEI)


@pytest.fixture(autouse=True)
def _database_task_queue(settings: Any) -> None:
    # Enqueued tasks stay rows until the test runs them: a "worker" the test controls.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def run_queued(django_capture_on_commit_callbacks: Any) -> Callable[[], list[str]]:
    """Run the reports tasks waiting in the queue (and those they queue), like a worker."""

    def run() -> list[str]:
        results = []
        while True:
            rows = [
                row for row in DBTaskResult.objects.filter(task_path__startswith="tingjian.reports.tasks.")
                .order_by("enqueued_at", "id")
                if row.run_after == get_date_max() or row.run_after <= clock.now()
            ]
            if not rows:
                return results
            for row in rows:
                row.delete()
                with django_capture_on_commit_callbacks(execute=True):
                    results.append(import_string(row.task_path).call(*row.args_kwargs["args"]))

    return run


@pytest.fixture
def weekly(users: dict[str, Any], time_machine: Any) -> Schedule:
    time_machine.move_to(datetime(2026, 11, 2, 10, 0, tzinfo=TAIPEI))
    ensure_profile(users["manager"], language="zh-hant")
    return services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="weekly")


def test_nothing_is_sent_before_monday_0800(weekly: Schedule, run_queued: Any, time_machine: Any) -> None:
    time_machine.move_to(MONDAY_0800 - timedelta(minutes=1))
    services.periodic_work()
    run_queued()
    # Last week's report (11-16 – 11-22) is not made yet; the latest due is the week before.
    assert not Report.objects.filter(period_start="2026-11-16").exists()
    assert Report.objects.filter(period_start="2026-11-09").exists()


def test_weekly_report_is_emailed_on_monday_with_the_pdf_in_the_recipients_language(
    weekly: Schedule, run_queued: Any, time_machine: Any, users: dict[str, Any],
) -> None:
    time_machine.move_to(MONDAY_0800)
    services.periodic_work()
    run_queued()
    (sent,) = mail.outbox
    report = Report.objects.get(period_start="2026-11-16")
    assert report.status == ReportStatus.READY and report.language == "zh-hant"
    assert sent.to == [users["manager"].email]
    assert "2026-11-16" in sent.subject
    assert sent.alternatives[0][1] == "text/html"
    (name, content, kind) = sent.attachments[0]
    assert kind == "application/pdf" and name.endswith(".pdf")
    assert len(PdfReader(io.BytesIO(content)).pages) >= 1
    assert Delivery.objects.get(report=report).status == DeliveryStatus.SENT


def test_sweeping_again_sends_nothing_more(weekly: Schedule, run_queued: Any, time_machine: Any) -> None:
    time_machine.move_to(MONDAY_0800)
    services.periodic_work()
    run_queued()
    for minutes in (1, 2, 30, 60 * 24):
        time_machine.move_to(MONDAY_0800 + timedelta(minutes=minutes))
        services.periodic_work()
        run_queued()
    assert len(mail.outbox) == 1
    assert Report.objects.filter(period_start="2026-11-16").count() == 1


def test_report_is_sent_once_across_a_worker_restart_between_making_and_sending(
    weekly: Schedule, run_queued: Any, time_machine: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    time_machine.move_to(MONDAY_0800)
    services.periodic_work()
    report = Report.objects.get(period_start="2026-11-16")
    # The worker makes the report (which queues its delivery) and dies before sending it.
    with django_capture_on_commit_callbacks(execute=True):
        assert generation.generate(report.pk) == "made"
    assert mail.outbox == []
    # The restarted worker finds the queued send; the sweeps queue it again, twice.
    time_machine.move_to(MONDAY_0800 + timedelta(minutes=11))
    services.periodic_work()
    time_machine.move_to(MONDAY_0800 + timedelta(minutes=22))
    services.periodic_work()
    results = run_queued()
    assert results.count("sent") == 1
    assert len(mail.outbox) == 1


def test_a_crash_while_sending_is_not_resent_automatically(
    weekly: Schedule, run_queued: Any, time_machine: Any,
) -> None:
    time_machine.move_to(MONDAY_0800)
    services.periodic_work()
    report = Report.objects.get(period_start="2026-11-16")
    generation.generate(report.pk)
    (item,) = Delivery.objects.filter(report=report)
    assert delivery.claim(item.pk)  # the worker claimed it, then died: did the mail leave? unknown.
    time_machine.move_to(MONDAY_0800 + timedelta(minutes=20))
    services.periodic_work()
    run_queued()
    item.refresh_from_db()
    assert mail.outbox == []
    assert item.status == DeliveryStatus.FAILED
    assert "not sent again automatically" in item.error


def test_two_recipients_of_one_scope_and_language_share_one_report(
    weekly: Schedule, users: dict[str, Any], run_queued: Any, time_machine: Any,
) -> None:
    services.save_schedule(
        by=users["manager"], recipient_email="boss@example.com", cadence="weekly", language="zh-hant",
    )
    time_machine.move_to(MONDAY_0800)
    services.periodic_work()
    run_queued()
    assert Report.objects.count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@example.com", users["manager"].email]


def test_a_schedule_made_after_monday_0800_waits_for_the_next_week(
    users: dict[str, Any], run_queued: Any, time_machine: Any,
) -> None:
    time_machine.move_to(MONDAY_0800 + timedelta(hours=2))
    services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="weekly")
    services.periodic_work()
    run_queued()
    assert mail.outbox == []
    time_machine.move_to(MONDAY_0800 + timedelta(days=7))
    services.periodic_work()
    run_queued()
    assert len(mail.outbox) == 1
    assert "2026-11-23" in mail.outbox[0].subject


def test_monthly_report_goes_out_on_the_first_at_0800(users: dict[str, Any], run_queued: Any, time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 11, 20, 10, 0, tzinfo=TAIPEI))
    services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="monthly")
    time_machine.move_to(datetime(2026, 12, 1, 7, 59, tzinfo=TAIPEI))
    services.periodic_work()
    run_queued()
    assert mail.outbox == []
    time_machine.move_to(datetime(2026, 12, 1, 8, 0, tzinfo=TAIPEI))
    services.periodic_work()
    run_queued()
    (sent,) = mail.outbox
    assert "2026-11-01" in sent.subject and "2026-11-30" in sent.subject


def test_a_refused_address_is_retried_and_the_error_names_no_address(
    users: dict[str, Any], run_queued: Any, time_machine: Any,
) -> None:
    time_machine.move_to(datetime(2026, 11, 2, 10, 0, tzinfo=TAIPEI))
    services.save_schedule(by=users["manager"], recipient_email="gone@example.com", cadence="weekly")
    time_machine.move_to(MONDAY_0800)
    refused = smtplib.SMTPRecipientsRefused({"gone@example.com": (550, b"gone@example.com: no such user")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        services.periodic_work()
        run_queued()
    item = Delivery.objects.get()
    assert item.status == DeliveryStatus.PENDING and item.attempts == 1
    assert item.error == "The mail server refused the recipient's address."
    assert "gone@" not in item.error
    time_machine.move_to(MONDAY_0800 + timedelta(minutes=2))
    run_queued()
    assert len(mail.outbox) == 1


def test_a_stopped_schedule_does_not_send_a_waiting_delivery(
    weekly: Schedule, users: dict[str, Any], run_queued: Any, time_machine: Any,
) -> None:
    time_machine.move_to(MONDAY_0800)
    services.periodic_work()
    services.deactivate_schedule(weekly, by=users["manager"])
    run_queued()
    assert mail.outbox == []
    # Recorded in the report's language (the schedule's: 繁體中文 here).
    with translation.override(weekly.language or "zh-hant"):
        expected = gettext("The schedule was stopped before the report was sent.")
    assert Delivery.objects.get().error == expected
