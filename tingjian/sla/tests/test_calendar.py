"""Business-time arithmetic and the checks of the calendar editor (no database unless marked)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tingjian.sla.calendar import WorkingTime, validate_holiday, validate_hours
from tingjian.sla.holidays import CHINA_2026, TAIWAN_2026, HolidayEntry
from tingjian.sla.models import BusinessCalendar, DayKind, Holiday, OpeningHours

TAIPEI = ZoneInfo("Asia/Taipei")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0


def working_time(
    tz: ZoneInfo, hours: dict[int, tuple[tuple[time, time], ...]], holidays: Iterable[HolidayEntry] = ()
) -> WorkingTime:
    return WorkingTime(
        tz=tz,
        weekly=hours,
        closed_dates=frozenset(day for day, _name, kind, _of in holidays if kind == DayKind.CLOSED),
        workdays={day: hours_of for day, _name, kind, hours_of in holidays if kind == DayKind.WORKDAY},
    )


SPLIT_DAY = ((time(9), time(12)), (time(13), time(18)))
taiwan = working_time(TAIPEI, dict.fromkeys(range(5), SPLIT_DAY), TAIWAN_2026)
china = working_time(SHANGHAI, dict.fromkeys(range(5), ((time(9), time(18)),)), CHINA_2026)


def taipei(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TAIPEI)


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- add -------------------------------------------------------------------------------------


def test_due_time_skips_the_weekend() -> None:
    # Friday 17:00 + 2 working hours: one hour on Friday, one on Monday morning.
    assert taiwan.add(taipei(2026, 3, 6, 17), 2 * HOUR) == taipei(2026, 3, 9, 10)


def test_due_time_skips_the_lunch_break_of_a_split_day() -> None:
    assert taiwan.add(taipei(2026, 3, 9, 11), 2 * HOUR) == taipei(2026, 3, 9, 14)


def test_due_time_at_the_end_of_an_interval_is_that_end_not_the_next_opening() -> None:
    assert taiwan.add(taipei(2026, 3, 9, 9), 3 * HOUR) == taipei(2026, 3, 9, 12)


def test_due_time_skips_the_nine_days_of_lunar_new_year_in_taiwan() -> None:
    # 2026-02-14 (Sat) to 02-22 (Sun) closed; Monday 02-23 is the first day back.
    assert taiwan.add(taipei(2026, 2, 13, 17), 2 * HOUR) == taipei(2026, 2, 23, 10)


def test_due_time_uses_a_make_up_saturday_in_china() -> None:
    # Saturday 2026-02-14 is a 调休 workday before the Spring Festival break.
    assert china.add(shanghai(2026, 2, 13, 17), 2 * HOUR) == shanghai(2026, 2, 14, 10)


def test_due_time_from_a_make_up_saturday_skips_the_spring_festival() -> None:
    # Closed 02-15 to 02-23; Tuesday 02-24 is the next working day.
    assert china.add(shanghai(2026, 2, 14, 17), 2 * HOUR) == shanghai(2026, 2, 24, 10)


def test_make_up_workday_opens_with_the_hours_of_the_weekday_it_names() -> None:
    calendar = WorkingTime(
        tz=TAIPEI, weekly={0: ((time(9), time(18)),), 4: ((time(9), time(12)),)},
        workdays={date(2026, 3, 7): 4},
    )
    assert calendar.add(taipei(2026, 3, 7, 9), 4 * HOUR) == taipei(2026, 3, 9, 10)


def test_time_counts_from_the_next_opening_when_started_while_closed() -> None:
    assert taiwan.add(taipei(2026, 3, 7, 15), HOUR) == taipei(2026, 3, 9, 10)
    assert taiwan.add(taipei(2026, 3, 9, 12, 30), HOUR) == taipei(2026, 3, 9, 14)


def test_adding_nothing_returns_the_start_even_while_closed() -> None:
    saturday = taipei(2026, 3, 7, 15)
    assert taiwan.add(saturday, 0) == saturday
    assert taiwan.add(saturday, -60) == saturday


def test_results_are_in_utc() -> None:
    due = taiwan.add(taipei(2026, 3, 9, 9), HOUR)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 9, 2, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        taiwan.add(datetime(2026, 3, 9, 9), HOUR)


def test_a_closing_time_of_midnight_is_the_end_of_the_day() -> None:
    late = WorkingTime(tz=TAIPEI, weekly=dict.fromkeys(range(7), ((time(18), time(0)),)))
    assert late.add(taipei(2026, 3, 9, 23), 2 * HOUR) == taipei(2026, 3, 10, 19)
    assert late.elapsed(taipei(2026, 3, 9, 0), taipei(2026, 3, 10, 0)) == 6 * HOUR


def test_overlapping_weekly_intervals_are_not_counted_twice() -> None:
    overlapping = WorkingTime(tz=TAIPEI, weekly={0: ((time(9), time(12)), (time(11), time(13)))})
    assert overlapping.elapsed(taipei(2026, 3, 9, 0), taipei(2026, 3, 10, 0)) == 4 * HOUR


def test_thirty_days_of_target_time_visits_days_not_minutes(monkeypatch: Any) -> None:
    visited: list[date] = []
    spans = WorkingTime._spans

    def counting(self: WorkingTime, day: date) -> Any:
        visited.append(day)
        return spans(self, day)

    monkeypatch.setattr(WorkingTime, "_spans", counting)
    due = taiwan.add(taipei(2026, 1, 5, 9), 30 * 24 * HOUR)
    # 720 working hours at 8 a day: 90 working days, about 130 calendar days.
    assert len(visited) == len(set(visited)) < 140
    assert taiwan.elapsed(taipei(2026, 1, 5, 9), due) == pytest.approx(30 * 24 * HOUR)


# --- calendars that cannot be satisfied ------------------------------------------------------


def test_a_calendar_without_opening_hours_raises_instead_of_looping() -> None:
    closed = WorkingTime(tz=TAIPEI, weekly={})
    with pytest.raises(ValueError, match="the calendar has no opening hours"):
        closed.add(taipei(2026, 3, 9, 9), HOUR)
    with pytest.raises(ValueError, match="the calendar has no opening hours"):
        closed.next_opening(taipei(2026, 3, 9, 9))


def test_no_working_time_passes_on_a_calendar_without_opening_hours() -> None:
    closed = WorkingTime(tz=TAIPEI, weekly={})
    assert closed.elapsed(taipei(2026, 1, 1), taipei(2027, 1, 1)) == 0
    assert closed.is_open(taipei(2026, 3, 9, 10)) is False


def test_a_calendar_whose_every_open_day_is_a_holiday_gives_up_after_five_years() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=week) for week in range(6 * 53))
    never = WorkingTime(tz=TAIPEI, weekly={0: ((time(9), time(18)),)}, closed_dates=mondays)
    with pytest.raises(ValueError, match="fewer than"):
        never.add(taipei(2026, 1, 1), HOUR)
    with pytest.raises(ValueError, match="does not open"):
        never.next_opening(taipei(2026, 1, 1))


def test_an_interval_that_closes_before_it_opens_is_refused() -> None:
    with pytest.raises(ValueError, match="end before they start"):
        WorkingTime(tz=TAIPEI, weekly={0: ((time(18), time(9)),)})


# --- elapsed, is_open, next_opening ----------------------------------------------------------


def test_elapsed_counts_only_open_time() -> None:
    assert taiwan.elapsed(taipei(2026, 3, 9, 8), taipei(2026, 3, 9, 20)) == 8 * HOUR
    assert taiwan.elapsed(taipei(2026, 3, 6, 17), taipei(2026, 3, 9, 10)) == 2 * HOUR


def test_elapsed_is_zero_when_the_end_is_not_after_the_start() -> None:
    start = taipei(2026, 3, 9, 10)
    assert taiwan.elapsed(start, start) == 0
    assert taiwan.elapsed(start, start - timedelta(hours=1)) == 0


def test_elapsed_over_lunar_new_year_counts_only_the_working_days_around_it() -> None:
    assert taiwan.elapsed(taipei(2026, 2, 13, 17), taipei(2026, 2, 23, 10)) == 2 * HOUR


def test_is_open_follows_lunch_weekends_and_holidays() -> None:
    assert taiwan.is_open(taipei(2026, 3, 9, 9)) is True
    assert taiwan.is_open(taipei(2026, 3, 9, 12)) is False  # lunch
    assert taiwan.is_open(taipei(2026, 3, 9, 18)) is False  # closing time itself is closed
    assert taiwan.is_open(taipei(2026, 3, 7, 10)) is False  # Saturday
    assert taiwan.is_open(taipei(2026, 2, 17, 10)) is False  # 春節
    assert china.is_open(shanghai(2026, 2, 14, 10)) is True  # 调休 Saturday


def test_next_opening_is_the_moment_itself_when_open() -> None:
    assert taiwan.next_opening(taipei(2026, 3, 9, 10)) == taipei(2026, 3, 9, 10)
    assert taiwan.next_opening(taipei(2026, 3, 9, 12, 15)) == taipei(2026, 3, 9, 13)
    assert taiwan.next_opening(taipei(2026, 2, 13, 18)) == taipei(2026, 2, 23, 9)


# --- around the clock and daylight saving time -----------------------------------------------


def test_around_the_clock_counts_every_second() -> None:
    always = WorkingTime.around_the_clock("Asia/Taipei")
    start = taipei(2026, 2, 17, 3)  # a holiday at night
    assert always.add(start, 90) == start + timedelta(seconds=90)
    assert always.elapsed(start, start + timedelta(days=2)) == 2 * 24 * HOUR
    assert always.is_open(start) is True


def test_a_full_day_in_new_york_is_23_hours_when_clocks_go_forward() -> None:
    all_day = WorkingTime(tz=NEW_YORK, weekly=dict.fromkeys(range(7), ((time(0), time(0)),)))
    march_8 = datetime(2026, 3, 8, tzinfo=NEW_YORK)
    assert all_day.elapsed(march_8, datetime(2026, 3, 9, tzinfo=NEW_YORK)) == 23 * HOUR
    november_1 = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    assert all_day.elapsed(november_1, datetime(2026, 11, 2, tzinfo=NEW_YORK)) == 25 * HOUR


def test_office_hours_in_new_york_follow_local_time_across_the_dst_change() -> None:
    office = WorkingTime(tz=NEW_YORK, weekly=dict.fromkeys(range(5), ((time(9), time(17)),)))
    # Friday 16:00 EST + 2 h = Monday 10:00 EDT, which is 14:00 UTC (not 15:00).
    due = office.add(datetime(2026, 3, 6, 16, tzinfo=NEW_YORK), 2 * HOUR)
    assert due == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert due.astimezone(NEW_YORK).hour == 10


# --- the round trip, on a few hundred random cases -------------------------------------------


@pytest.mark.parametrize(
    "calendar",
    [
        taiwan,
        china,
        WorkingTime(tz=NEW_YORK, weekly={
            0: ((time(9), time(17)),), 2: ((time(0), time(0)),), 5: ((time(1), time(3)), (time(22), time(0))),
        }, closed_dates=frozenset({date(2026, 11, 2)}), workdays={date(2026, 3, 8): 2}),
    ],
    ids=["taiwan", "china", "new-york-with-dst"],
)
def test_elapsed_undoes_add_from_any_open_moment(calendar: WorkingTime) -> None:
    rng = random.Random(20260217)
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    for _case in range(300):
        start = calendar.next_opening(year_start + timedelta(seconds=rng.uniform(0, 365 * 86400)))
        amount = rng.choice([rng.uniform(1, 3600), rng.uniform(1, 5 * 86400), rng.uniform(1, 30 * 86400)])
        due = calendar.add(start, amount)
        assert due >= start
        assert calendar.elapsed(start, due) == pytest.approx(amount, abs=1e-3)


# --- reading a calendar from the database ----------------------------------------------------


@pytest.fixture
def stored_calendar(db: Any) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(code="tw", name="TW", time_zone="Asia/Taipei")
    for weekday in range(5):
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(12))
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, opens=time(13), closes=time(18))
    Holiday.objects.create(calendar=calendar, year=2026, date=date(2026, 2, 17), name="春節", kind=DayKind.CLOSED)
    Holiday.objects.create(
        calendar=calendar, year=2026, date=date(2026, 3, 7), name="補班", kind=DayKind.WORKDAY, hours_of=0
    )
    return calendar


def test_reading_a_calendar_takes_one_query_for_hours_and_one_for_holidays(
    stored_calendar: BusinessCalendar, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        calendar = WorkingTime.from_calendar(stored_calendar)
    assert calendar.weekly[0] == SPLIT_DAY
    assert calendar.closed_dates == {date(2026, 2, 17)}
    assert calendar.workdays == {date(2026, 3, 7): 0}


def test_a_prefetched_calendar_is_read_without_queries(
    stored_calendar: BusinessCalendar, django_assert_num_queries: Any
) -> None:
    prefetched = BusinessCalendar.objects.prefetch_related("hours", "holidays").get(pk=stored_calendar.pk)
    with django_assert_num_queries(0):
        calendar = WorkingTime.from_calendar(prefetched)
    assert calendar.is_open(taipei(2026, 3, 7, 10)) is True


# --- validate_hours --------------------------------------------------------------------------


def hours_error(intervals: list[tuple[int, time, time]]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_hours(intervals)
    return caught.value


def test_valid_hours_pass_including_touching_intervals_and_midnight() -> None:
    validate_hours([(0, time(9), time(12)), (0, time(12), time(18)), (1, time(18), time(0)), (6, time(0), time(0))])


def test_overlapping_hours_are_refused_naming_the_weekday_and_times() -> None:
    error = hours_error([(0, time(9), time(12)), (0, time(11), time(13)), (1, time(11), time(13))])
    [problem] = error.error_dict["hours"]
    assert problem.code == "overlap"
    assert problem.messages == ["Monday 09:00–12:00 overlaps 11:00–13:00."]


def test_zero_length_hours_are_refused() -> None:
    [problem] = hours_error([(2, time(9), time(9))]).error_dict["hours"]
    assert problem.code == "empty_interval"
    assert problem.messages == ["Wednesday 09:00–09:00: the opening time must be before the closing time."]


def test_hours_closing_before_they_open_are_refused() -> None:
    [problem] = hours_error([(4, time(18), time(9))]).error_dict["hours"]
    assert problem.code == "closes_before_opens"
    assert "Friday 18:00–09:00" in problem.messages[0]


def test_every_wrong_interval_is_reported_at_once() -> None:
    error = hours_error([(7, time(9), time(10)), (0, time(10), time(9)), (3, time(9), time(12)), (3, time(10), time(11))])
    assert [problem.code for problem in error.error_dict["hours"]] == ["invalid_weekday", "closes_before_opens", "overlap"]


# --- validate_holiday ------------------------------------------------------------------------


def holiday_error(*args: Any, **kwargs: Any) -> dict[str, list[ValidationError]]:
    with pytest.raises(ValidationError) as caught:
        validate_holiday(*args, **kwargs)
    return caught.value.error_dict


def test_a_holiday_outside_the_lists_year_is_refused() -> None:
    [problem] = holiday_error(2026, date(2025, 12, 31), "closed", [])["date"]
    assert problem.code == "outside_year"
    assert problem.messages == ["2025-12-31 is not in 2026."]


def test_the_same_date_twice_is_refused() -> None:
    [problem] = holiday_error(2026, date(2026, 2, 17), "closed", [date(2026, 2, 17)])["date"]
    assert problem.code == "duplicate_date"


def test_a_make_up_workday_on_a_day_that_is_open_anyway_is_contradictory() -> None:
    [problem] = holiday_error(2026, date(2026, 2, 18), "workday", [])["kind"]
    assert problem.code == "contradictory_workday"
    assert "Wednesday" in problem.messages[0]


def test_a_make_up_workday_with_the_hours_of_a_closed_weekday_is_refused() -> None:
    [problem] = holiday_error(2026, date(2026, 2, 14), "workday", [], hours_of=6)["hours_of"]
    assert problem.code == "workday_hours_closed"


def test_an_unknown_kind_of_day_is_refused() -> None:
    [problem] = holiday_error(2026, date(2026, 2, 14), "half-day", [])["kind"]
    assert problem.code == "invalid_kind"


def test_a_make_up_saturday_and_a_holiday_on_a_sunday_are_fine() -> None:
    validate_holiday(2026, date(2026, 2, 14), "workday", [date(2026, 2, 17)], hours_of=4)
    validate_holiday(2026, date(2026, 2, 15), "closed", [])


def test_a_saturday_is_contradictory_for_a_calendar_open_on_saturdays() -> None:
    errors = holiday_error(2026, date(2026, 2, 14), "workday", [], open_weekdays=range(6))
    assert errors["kind"][0].code == "contradictory_workday"
