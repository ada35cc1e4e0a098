"""Which days a report covers and when it falls due, in Asia/Taipei."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tingjian.reports.periods import Period, containing, last_due


def test_weekly_report_falls_due_monday_0800_taipei_for_the_week_before() -> None:
    # Monday 2026-11-23 08:00 in Taipei is 00:00 UTC.
    at_eight = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert last_due("weekly", at_eight) == Period("weekly", date(2026, 11, 16), date(2026, 11, 22))


def test_one_minute_before_monday_0800_the_week_before_last_is_the_latest_due() -> None:
    just_before = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)  # Monday 07:59 in Taipei
    assert last_due("weekly", just_before) == Period("weekly", date(2026, 11, 9), date(2026, 11, 15))


def test_sunday_evening_utc_is_already_monday_in_taipei() -> None:
    # Sunday 2026-11-22 16:30 UTC = Monday 00:30 Taipei: the week has ended but is not due.
    moment = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    assert last_due("weekly", moment).end == date(2026, 11, 15)


def test_monthly_report_falls_due_on_the_first_at_0800_taipei() -> None:
    assert last_due("monthly", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == Period(
        "monthly", date(2026, 11, 1), date(2026, 11, 30),
    )
    assert last_due("monthly", datetime(2026, 11, 30, 23, 59, tzinfo=UTC)).start == date(2026, 10, 1)


def test_monthly_period_of_february_in_a_leap_year() -> None:
    assert containing("monthly", date(2028, 2, 10)) == Period("monthly", date(2028, 2, 1), date(2028, 2, 29))


def test_january_report_covers_december_of_the_year_before() -> None:
    assert last_due("monthly", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == Period(
        "monthly", date(2026, 12, 1), date(2026, 12, 31),
    )


def test_period_bounds_are_local_midnights() -> None:
    period = Period("weekly", date(2026, 11, 16), date(2026, 11, 22))
    assert period.starts_at.astimezone(UTC) == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert period.ends_at.astimezone(UTC) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert period.due_at.astimezone(UTC) == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
