"""Preferences: which kinds are emailed, and quiet hours in the person's own time zone."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tingjian.alerts import selectors, services
from tingjian.alerts.models import EmailStatus, Notification, NotificationPreference

from .conftest import Enqueued

TAIPEI = ZoneInfo("Asia/Taipei")


def quiet(start: str, end: str, zone: str = "") -> NotificationPreference:
    return NotificationPreference(quiet_start=time.fromisoformat(start), quiet_end=time.fromisoformat(end), time_zone=zone)


def at(hour: int, minute: int = 0, day: int = 23, zone: ZoneInfo = TAIPEI) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


def test_a_window_within_one_day() -> None:
    lunch = quiet("12:00", "14:00")
    assert lunch.quiet_until(at(12, 30)) == at(14)
    assert lunch.quiet_until(at(11, 59)) is None
    assert lunch.quiet_until(at(14)) is None


def test_a_window_that_wraps_midnight() -> None:
    night = quiet("22:00", "07:00")
    assert night.quiet_until(at(23, 30)) == at(7, day=24)
    assert night.quiet_until(at(6, 59)) == at(7)
    assert night.quiet_until(at(22)) == at(7, day=24)
    assert night.quiet_until(at(7)) is None
    assert night.quiet_until(at(21, 59)) is None


def test_quiet_hours_are_the_persons_wall_clock_times() -> None:
    london = ZoneInfo("Europe/London")
    night_in_london = quiet("22:00", "07:00", "Europe/London")
    # 23:30 in Taipei is 15:30 in London: not quiet there.
    assert night_in_london.quiet_until(at(23, 30)) is None
    assert night_in_london.quiet_until(at(23, 30, zone=london)) == at(7, day=24, zone=london)


def test_no_window_means_never_quiet() -> None:
    assert NotificationPreference().quiet_until(at(3)) is None


@pytest.mark.django_db
def test_preferences_are_the_defaults_until_first_saved(users: dict[str, Any]) -> None:
    preference = selectors.preference_for(users["agent"])
    assert preference.pk is None
    assert preference.wants_email("case.assigned") is True
    assert preference.wants_email("sla.recomputed") is False
    assert not NotificationPreference.objects.exists()


@pytest.mark.django_db
def test_saving_keeps_only_the_choices_that_differ_from_the_defaults(users: dict[str, Any]) -> None:
    services.save_preferences(
        users["agent"], email={"case.assigned": True, "case.mention": False, "sla.recomputed": True},
        quiet_start=time(22), quiet_end=time(7), time_zone="Asia/Taipei",
    )
    stored = NotificationPreference.objects.get(user=users["agent"])
    assert stored.email == {"case.mention": False, "sla.recomputed": True}
    assert (stored.quiet_start, stored.quiet_end, stored.time_zone) == (time(22), time(7), "Asia/Taipei")


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), [(time(22), time(22)), (time(22), None), (None, time(7))])
def test_a_quiet_window_needs_a_start_and_an_end_that_differ(users: dict[str, Any], start: Any, end: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.save_preferences(users["agent"], email={}, quiet_start=start, quiet_end=end)
    assert "start and an end that differ" in str(refused.value.message_dict["quiet_end"])
    assert not NotificationPreference.objects.exists()


@pytest.mark.django_db
def test_the_time_zone_must_be_a_real_one(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.save_preferences(users["agent"], email={}, quiet_start=None, quiet_end=None, time_zone="Mars/Olympus")
    assert "time_zone" in refused.value.message_dict


@pytest.mark.django_db
def test_held_emails_are_looked_at_again_when_quiet_hours_change(
    users: dict[str, Any], enqueued: Enqueued, django_capture_on_commit_callbacks: Any
) -> None:
    held = Notification.objects.create(
        recipient=users["agent"], kind="case.assigned", verb="x", created_at=at(23),
        email_status=EmailStatus.HELD, email_due_at=at(7, day=24),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.save_preferences(users["agent"], email={}, quiet_start=None, quiet_end=None)
    assert enqueued("send_notification_email") == [(held.pk, None)]
