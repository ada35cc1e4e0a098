"""`tingjian reports send`: a report made and emailed now, for the demo and for people."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tingjian.reports import services
from tingjian.reports.models import Report

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture(autouse=True)
def _wednesday(time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=TAIPEI))


def test_send_to_a_user_emails_last_weeks_report_with_its_pdf(users: dict[str, Any]) -> None:
    out = StringIO()
    call_command("reports", "send", "--cadence", "weekly", "--to", "manager", stdout=out)
    (sent,) = mail.outbox
    assert sent.to == [users["manager"].email]
    assert "2026-11-16" in sent.subject
    assert sent.attachments[0][2] == "application/pdf"
    assert "sent" in out.getvalue()


def test_send_to_an_address_for_a_branch_in_a_chosen_month(users: dict[str, Any], company: dict[str, Any]) -> None:
    call_command(
        "reports", "send", "--cadence", "monthly", "--period-start", "2026-10-15", "--scope", "branch:tpe-xinyi",
        "--to", "boss@example.com", stdout=StringIO(),
    )
    report = Report.objects.get()
    assert (report.period_start.isoformat(), report.scope_key) == ("2026-10-01", f"branch:{company['branch'].pk}")
    assert mail.outbox[0].to == ["boss@example.com"]


def test_send_without_to_goes_to_the_schedules_once(users: dict[str, Any]) -> None:
    services.save_schedule(by=users["manager"], recipient_user=users["executive"], cadence="weekly")
    call_command("reports", "send", "--cadence", "weekly", stdout=StringIO())
    call_command("reports", "send", "--cadence", "weekly", stdout=StringIO())
    assert [m.to for m in mail.outbox] == [[users["executive"].email]]


def test_an_unknown_scope_is_a_clear_error(db: Any) -> None:
    with pytest.raises(CommandError, match="There is no active branch “nowhere”"):
        call_command("reports", "send", "--cadence", "weekly", "--scope", "branch:nowhere", "--to", "x@example.com")


def test_a_future_period_is_a_clear_error(db: Any) -> None:
    with pytest.raises(CommandError, match="has not started yet"):
        call_command("reports", "send", "--cadence", "weekly", "--period-start", "2027-03-01", "--to", "x@example.com")


def test_no_schedule_and_no_recipient_is_a_clear_error(db: Any) -> None:
    with pytest.raises(CommandError, match="No active schedule gets this report"):
        call_command("reports", "send", "--cadence", "weekly")
