"""Calendar services: who may edit, what is validated, what is audited, and the demo seed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.audit.models import AuditEvent
from tingjian.sla import calendars
from tingjian.sla.calendar import WorkingTime
from tingjian.sla.calendars import HolidayRowsRejected
from tingjian.sla.holidays import CHINA_2026, TAIWAN_2026, seed_default_calendars
from tingjian.sla.models import BranchCalendar, BusinessCalendar, DayKind, Holiday, OpeningHours

MON_TO_FRI_9_TO_6 = [(weekday, time(9), time(18)) for weekday in range(5)]


@pytest.fixture
def admin(users: dict[str, Any]) -> Any:
    return users["admin"]


@pytest.fixture
def office(admin: Any) -> BusinessCalendar:
    calendar = calendars.create_calendar(code="office", name="Office", time_zone="Asia/Taipei", by=admin)
    calendars.set_opening_hours(calendar, MON_TO_FRI_9_TO_6, by=admin)
    return calendar


@pytest.fixture
def changed(monkeypatch: Any) -> Iterator[list[BusinessCalendar]]:
    """The calendars the clock engine would have been told about."""
    seen: list[BusinessCalendar] = []
    monkeypatch.setattr(calendars, "on_calendar_changed", [seen.append])
    yield seen


def hours_of(calendar: BusinessCalendar) -> list[tuple[int, time, time]]:
    return list(calendar.hours.values_list("weekday", "opens", "closes"))


def holidays_of(calendar: BusinessCalendar) -> list[tuple[date, str, str]]:
    return list(calendar.holidays.values_list("date", "name", "kind"))


def actions() -> list[str]:
    return list(AuditEvent.objects.filter(object_type="business_calendar").values_list("action", flat=True))


# --- permissions -----------------------------------------------------------------------------


SERVICES: dict[str, Callable[[BusinessCalendar, Any], object]] = {
    "create": lambda calendar, by: calendars.create_calendar(code="x", name="X", time_zone="UTC", by=by),
    "hours": lambda calendar, by: calendars.set_opening_hours(calendar, [], by=by),
    "holidays": lambda calendar, by: calendars.set_holidays(calendar, 2026, [], by=by),
    "csv": lambda calendar, by: calendars.import_holidays_csv(calendar, 2026, "", by=by),
}


@pytest.mark.parametrize("service", SERVICES)
def test_an_agent_may_not_change_calendars(service: str, office: BusinessCalendar, users: dict[str, Any]) -> None:
    before = (hours_of(office), holidays_of(office), BusinessCalendar.objects.count(), actions())
    with pytest.raises(PermissionDenied):
        SERVICES[service](office, users["agent"])
    assert (hours_of(office), holidays_of(office), BusinessCalendar.objects.count(), actions()) == before


def test_an_agent_may_not_assign_a_branch(office: BusinessCalendar, users: dict[str, Any], company: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        calendars.assign_branch(office, company["branch"], by=users["agent"])
    assert not BranchCalendar.objects.exists()


def test_every_human_role_may_view_clocks_and_only_admins_edit_calendars(users: dict[str, Any]) -> None:
    for role in ("agent", "staff", "qa", "manager", "executive", "admin"):
        assert users[role].has_perm("sla.view_clock"), role
    assert users["admin"].has_perm("sla.change_businesscalendar")
    assert not users["manager"].has_perm("sla.change_businesscalendar")


# --- create_calendar -------------------------------------------------------------------------


def test_creating_a_calendar_is_audited(admin: Any) -> None:
    calendar = calendars.create_calendar(code="hk", name="Hong Kong", time_zone="Asia/Hong_Kong", by=admin)
    event = AuditEvent.objects.get(action="calendar.created")
    assert (event.actor_id, event.object_id) == (admin.pk, str(calendar.pk))


def test_a_calendar_needs_a_real_time_zone(admin: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        calendars.create_calendar(code="mars", name="Mars", time_zone="Mars/Olympus_Mons", by=admin)
    assert caught.value.error_dict["time_zone"][0].code == "invalid_time_zone"
    assert not BusinessCalendar.objects.exists()


def test_a_new_default_calendar_takes_over_from_the_old_one(
    admin: Any, changed: list[BusinessCalendar], django_capture_on_commit_callbacks: Any
) -> None:
    first = calendars.create_calendar(code="a", name="A", time_zone="UTC", by=admin, is_default=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = calendars.create_calendar(code="b", name="B", time_zone="UTC", by=admin, is_default=True)
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [second]
    first.refresh_from_db()
    assert first.is_default is False
    # Branches without a calendar of their own moved from the first to the second.
    assert changed[-2:] == [second, first]


# --- set_opening_hours -----------------------------------------------------------------------


def test_opening_hours_are_replaced_and_audited(office: BusinessCalendar, admin: Any) -> None:
    split = [(0, time(9), time(12)), (0, time(13), time(18))]
    calendars.set_opening_hours(office, split, by=admin)
    assert hours_of(office) == split
    event = AuditEvent.objects.filter(action="calendar.hours_set").last()
    assert event is not None and event.after == ["Mon 09:00-12:00", "Mon 13:00-18:00"]


@pytest.mark.parametrize(
    ("intervals", "code"),
    [
        ([(0, time(9), time(12)), (0, time(11), time(14))], "overlap"),
        ([(0, time(9), time(9))], "empty_interval"),
    ],
    ids=["overlap", "zero-length"],
)
def test_wrong_opening_hours_change_nothing(
    office: BusinessCalendar, admin: Any, changed: list[BusinessCalendar],
    intervals: list[tuple[int, time, time]], code: str,
) -> None:
    before = (hours_of(office), actions())
    with pytest.raises(ValidationError) as caught:
        calendars.set_opening_hours(office, intervals, by=admin)
    assert caught.value.error_dict["hours"][0].code == code
    assert (hours_of(office), actions()) == before
    assert changed == []


# --- set_holidays ----------------------------------------------------------------------------


def test_a_years_holiday_list_is_replaced_and_other_years_are_kept(office: BusinessCalendar, admin: Any) -> None:
    calendars.set_holidays(office, 2025, [(date(2025, 12, 25), "行憲紀念日", "closed", 4)], by=admin)
    calendars.set_holidays(office, 2026, [(date(2026, 1, 1), "元旦", "closed", 4)], by=admin)
    calendars.set_holidays(
        office, 2026,
        [(date(2026, 2, 17), "春節", "closed", 4), (date(2026, 2, 14), "補班", "workday", 4)], by=admin,
    )
    assert holidays_of(office) == [
        (date(2025, 12, 25), "行憲紀念日", "closed"),
        (date(2026, 2, 14), "補班", "workday"),
        (date(2026, 2, 17), "春節", "closed"),
    ]
    assert actions().count("calendar.holidays_set") == 3


def test_every_wrong_holiday_is_reported_at_once_and_nothing_changes(office: BusinessCalendar, admin: Any) -> None:
    calendars.set_holidays(office, 2026, [(date(2026, 1, 1), "元旦", "closed", 4)], by=admin)
    before = (holidays_of(office), actions())
    with pytest.raises(HolidayRowsRejected) as caught:
        calendars.set_holidays(office, 2026, [
            (date(2025, 12, 31), "跨年", "closed", 4),  # row 1: outside the year
            (date(2026, 2, 17), "春節", "closed", 4),
            (date(2026, 2, 17), "春節", "closed", 4),  # row 3: duplicate
            (date(2026, 2, 18), "補班", "workday", 4),  # row 4: a Wednesday is open anyway
            (date(2026, 2, 19), " ", "closed", 4),  # row 5: no name
        ], by=admin)
    assert [(problem.row, problem.code) for problem in caught.value.problems] == [
        (1, "outside_year"), (3, "duplicate_date"), (4, "contradictory_workday"), (5, "name_required"),
    ]
    assert caught.value.messages[0] == "Row 1: 2025-12-31 is not in 2026."
    assert (holidays_of(office), actions()) == before


# --- import_holidays_csv ---------------------------------------------------------------------


def test_a_holiday_csv_is_imported_with_header_aliases_and_default_kind(office: BusinessCalendar, admin: Any) -> None:
    text = (
        "\ufeffdate,name,kind,hours_of\n"
        "2026-01-01,元旦\n"
        "# a comment\n"
        "\n"
        "2026/2/14,春节调休上班,补班,周五\n"
        "20260217,春節,closed,\n"
    )
    notices = calendars.import_holidays_csv(office, 2026, text, by=admin)
    assert holidays_of(office) == [
        (date(2026, 1, 1), "元旦", "closed"),
        (date(2026, 2, 14), "春节调休上班", "workday"),
        (date(2026, 2, 17), "春節", "closed"),
    ]
    assert office.holidays.get(date=date(2026, 2, 14)).hours_of == 4
    assert notices == [
        "Row 1 was read as the header.", "Imported 2 holidays and 1 make-up workdays for 2026.",
    ]
    assert "calendar.holidays_imported" in actions()


def test_a_broken_csv_row_is_named_by_row_number_and_nothing_is_saved(office: BusinessCalendar, admin: Any) -> None:
    calendars.set_holidays(office, 2026, [(date(2026, 1, 1), "元旦", "closed", 4)], by=admin)
    before = (holidays_of(office), actions())
    text = (
        "date,name,kind\n"
        "2026-02-17,春節,closed\n"
        "2026-02-30,不存在的日子\n"  # row 3
        "2026-02-18,春節,half-day\n"  # row 4
        "2026-02-19\n"  # row 5
        "2025-12-31,跨年\n"  # row 6
        "2026-02-17,春節\n"  # row 7
    )
    with pytest.raises(HolidayRowsRejected) as caught:
        calendars.import_holidays_csv(office, 2026, text, by=admin)
    assert [(problem.row, problem.code) for problem in caught.value.problems] == [
        (3, "invalid_date"), (4, "invalid_kind"), (5, "wrong_columns"), (6, "outside_year"), (7, "duplicate_date"),
    ]
    assert caught.value.messages[0] == "Row 3: “2026-02-30” is not a date (write 2026-02-17)."
    assert (holidays_of(office), actions()) == before


def test_an_unreadable_csv_is_refused_without_saving(office: BusinessCalendar, admin: Any) -> None:
    huge_field = "2026-01-01," + "x" * 200_000 + "\n"
    with pytest.raises(HolidayRowsRejected) as caught:
        calendars.import_holidays_csv(office, 2026, huge_field, by=admin)
    assert [problem.code for problem in caught.value.problems] == ["unreadable"]
    assert holidays_of(office) == []


# --- assign_branch and the clock engine's hook -----------------------------------------------


def test_assigning_a_branch_tells_the_engine_about_the_old_and_new_calendar(
    office: BusinessCalendar, admin: Any, company: dict[str, Any], changed: list[BusinessCalendar],
    django_capture_on_commit_callbacks: Any,
) -> None:
    branch = company["branch"]
    other = calendars.create_calendar(code="other", name="Other", time_zone="Asia/Taipei", by=admin)
    calendars.assign_branch(office, branch, by=admin)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = calendars.assign_branch(other, branch, by=admin)
    assert assignment.calendar == other
    assert BranchCalendar.objects.get(branch=branch).calendar == other
    assert changed[-2:] == [other, office]
    assert actions().count("calendar.branch_assigned") == 2


def test_the_engine_hears_of_a_change_only_after_commit(
    office: BusinessCalendar, admin: Any, changed: list[BusinessCalendar], django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        calendars.set_opening_hours(office, MON_TO_FRI_9_TO_6, by=admin)
    assert changed == []
    for callback in callbacks:
        callback()
    assert changed == [office]


def test_a_failing_hook_does_not_undo_the_change(
    office: BusinessCalendar, admin: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(calendar: BusinessCalendar) -> None:
        raise RuntimeError("engine down")

    monkeypatch.setattr(calendars, "on_calendar_changed", [broken])
    with django_capture_on_commit_callbacks(execute=True):
        calendars.set_opening_hours(office, [(0, time(9), time(12))], by=admin)
    assert hours_of(office) == [(0, time(9), time(12))]


# --- the demo calendars ----------------------------------------------------------------------


def test_seeding_creates_the_two_office_calendars_once(db: Any) -> None:
    first = seed_default_calendars()
    events = AuditEvent.objects.count()
    second = seed_default_calendars()
    assert first == second
    assert AuditEvent.objects.count() == events
    tw, cn = first["tw-office"], first["cn-office"]
    assert tw.is_default and not cn.is_default
    assert (tw.time_zone, cn.time_zone) == ("Asia/Taipei", "Asia/Shanghai")
    assert tw.hours.count() == 10 and cn.hours.count() == 5
    assert tw.holidays.count() == len(TAIWAN_2026) and cn.holidays.count() == len(CHINA_2026)
    assert AuditEvent.objects.filter(actor__isnull=True, action="calendar.created").count() == 2


def test_seeding_keeps_what_an_administrator_changed(db: Any, admin: Any) -> None:
    tw = seed_default_calendars()["tw-office"]
    calendars.set_opening_hours(tw, [(0, time(10), time(16))], by=admin)
    seed_default_calendars()
    assert hours_of(tw) == [(0, time(10), time(16))]


def test_seeding_does_not_take_the_default_from_an_existing_calendar(admin: Any) -> None:
    mine = calendars.create_calendar(code="mine", name="Mine", time_zone="UTC", by=admin, is_default=True)
    seeded = seed_default_calendars()
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [mine]
    assert seeded["tw-office"].is_default is False


def test_the_seeded_taiwan_calendar_has_no_working_time_over_lunar_new_year(db: Any) -> None:
    tw = WorkingTime.from_calendar(seed_default_calendars()["tw-office"])
    taipei = ZoneInfo("Asia/Taipei")
    # Friday 2026-02-13 17:00 + 2 h → Monday 02-23 10:00 (09:00–12:00 counts, lunch does not).
    assert tw.add(datetime(2026, 2, 13, 17, tzinfo=taipei), 2 * 3600) == datetime(2026, 2, 23, 10, tzinfo=taipei)


def test_the_seeded_china_calendar_works_on_its_make_up_saturdays(db: Any) -> None:
    cn = WorkingTime.from_calendar(seed_default_calendars()["cn-office"])
    workdays = sorted(cn.workdays)
    assert workdays == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
    ]
    assert all(day.weekday() >= 5 for day in workdays)
    assert Holiday.objects.filter(calendar__code="cn-office", kind=DayKind.CLOSED).count() == 33
    assert OpeningHours.objects.filter(calendar__code="cn-office").count() == 5
