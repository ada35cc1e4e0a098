"""Writing business calendars: creating them, their opening hours, holidays and branches.

Responsible for: checking that the acting user may edit calendars, validating every change
before anything is written (a rejected change leaves the calendar as it was), one
transaction and one audit event per service, and telling the clock engine after commit
that a calendar changed. Must never: recompute clocks itself (the engine owns clocks and
registers in :data:`on_calendar_changed`), or save half of a holiday list.

``by=None`` means Tingjian itself (seeding the demo calendars, a migration): no permission
is checked and the audit event has no actor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tingjian.audit import services as audit

from .calendar import validate_holiday, validate_hours
from .models import BranchCalendar, BusinessCalendar, DayKind, Holiday, OpeningHours, Weekday

# Called after commit with each calendar whose working time changed. The clock engine
# appends itself here when its app starts: it imports this module to read calendars, so
# this module importing the engine would be circular, and a Django signal would hide who
# reacts to a calendar change (the house style keeps business logic out of signals). A hook
# that raises is logged and does not undo the change; the engine's sweep catches up.
on_calendar_changed: list[Callable[[BusinessCalendar], None]] = []

PERMISSION = "sla.change_businesscalendar"
# A year has at most 366 dates; a longer upload is the wrong file, and reading it whole
# would only produce thousands of "duplicate date" lines.
MAX_CSV_ROWS = 1000
NAME_MAX_LENGTH = 120  # Holiday.name


@dataclass(frozen=True)
class RowProblem:
    """One reason one row of a holiday list was refused; ``row`` counts from 1."""

    row: int
    code: str
    message: str


class HolidayRowsRejected(ValidationError):
    """A holiday list had wrong rows, all listed in ``problems``; nothing was saved."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__([
            ValidationError(
                _("Row %(row)s: %(problem)s"), code=problem.code,
                params={"row": problem.row, "problem": problem.message},
            )
            for problem in problems
        ])


def _check_permission(by: Any | None) -> None:
    if by is not None and not by.has_perm(PERMISSION):
        raise PermissionDenied(_("You may not change business calendars."))


def _notify_after_commit(*calendars: BusinessCalendar) -> None:
    """Call every hook with every calendar once the outermost transaction commits.

    Nothing is called if it rolls back; ``robust`` logs a failing hook and goes on with the
    next, since the calendar change itself is already committed.
    """
    for calendar in dict.fromkeys(calendars):
        for hook in on_calendar_changed:
            transaction.on_commit(partial(hook, calendar), robust=True)


def _locked(calendar: BusinessCalendar) -> BusinessCalendar:
    """Lock the calendar row so two editors' changes apply one after the other."""
    return BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)


def _touch(calendar: BusinessCalendar) -> None:
    # ``updated_at`` tells caches and the clock engine which calendars changed.
    calendar.save(update_fields=["updated_at"])


def _describe_hours(rows: list[tuple[int, time, time]]) -> list[str]:
    return [
        f"{Weekday(weekday).name[:3].title()} {opens:%H:%M}-{'24:00' if closes == time(0) else f'{closes:%H:%M}'}"
        for weekday, opens, closes in sorted(rows)
    ]


def create_calendar(
    *, code: str, name: str, time_zone: str, by: Any | None, is_default: bool = False
) -> BusinessCalendar:
    """A new calendar without hours (closed until :func:`set_opening_hours` gives it some).

    Making it the default takes that role from the calendar that had it (there is one), and
    that calendar is announced as changed: branches without a calendar of their own switch.
    """
    _check_permission(by)
    if time_zone not in available_timezones():
        raise ValidationError({"time_zone": ValidationError(
            _("“%(value)s” is not a time zone; use an IANA name such as Asia/Taipei."),
            code="invalid_time_zone", params={"value": time_zone},
        )})
    with transaction.atomic():
        calendar = BusinessCalendar(code=code.strip(), name=name.strip(), time_zone=time_zone, is_default=is_default)
        previous = list(BusinessCalendar.objects.select_for_update().filter(is_default=True)) if is_default else []
        if previous:
            # Before validating, or the one-default constraint fails; rolled back on error.
            BusinessCalendar.objects.filter(pk__in=[old.pk for old in previous]).update(is_default=False)
        calendar.full_clean()
        calendar.save()
        audit.record(
            "calendar.created", actor=by, object_type="business_calendar", object_id=calendar.pk,
            summary=f"calendar {calendar.code} created ({time_zone}{', default' if is_default else ''})",
        )
        _notify_after_commit(calendar, *previous)
    return calendar


def set_opening_hours(
    calendar: BusinessCalendar, intervals: list[tuple[int, time, time]], *, by: Any | None
) -> None:
    """Replace all the weekly opening hours of ``calendar``; an empty list closes it."""
    _check_permission(by)
    validate_hours(intervals)
    with transaction.atomic():
        locked = _locked(calendar)
        before = list(locked.hours.values_list("weekday", "opens", "closes"))
        locked.hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=locked, weekday=weekday, opens=opens, closes=closes)
            for weekday, opens, closes in sorted(intervals)
        )
        _touch(locked)
        audit.record(
            "calendar.hours_set", actor=by, object_type="business_calendar", object_id=locked.pk,
            summary=f"calendar {locked.code}: {len(intervals)} opening intervals",
            before=_describe_hours(before), after=_describe_hours(intervals),
        )
        _notify_after_commit(calendar)


@dataclass(frozen=True)
class _Entry:
    row: int
    day: date
    name: str
    kind: str
    hours_of: int


def _open_weekdays(calendar: BusinessCalendar) -> set[int]:
    return set(calendar.hours.values_list("weekday", flat=True))


def _problems_in(entries: list[_Entry], year: int, open_weekdays: set[int]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    seen: set[date] = set()
    for entry in entries:
        if not entry.name.strip():
            problems.append(RowProblem(entry.row, "name_required", _("a holiday needs a name.")))
        elif len(entry.name.strip()) > NAME_MAX_LENGTH:
            problems.append(RowProblem(entry.row, "name_too_long", _("the name is longer than 120 characters.")))
        try:
            validate_holiday(
                year, entry.day, entry.kind, seen, open_weekdays=open_weekdays,
                hours_of=entry.hours_of if entry.kind == DayKind.WORKDAY else None,
            )
        except ValidationError as error:
            for field_errors in error.error_dict.values():
                problems.extend(
                    RowProblem(entry.row, field_error.code or "invalid", " ".join(field_error.messages))
                    for field_error in field_errors
                )
        seen.add(entry.day)
    return problems


def _replace_holidays(
    calendar: BusinessCalendar, year: int, entries: list[_Entry], *, by: Any | None, action: str,
    problems: list[RowProblem],
) -> None:
    """Check ``entries`` (adding to the ``problems`` found before) and save them, or raise.

    The check runs with the calendar locked, so opening hours changed by someone else in
    the meantime cannot make a make-up workday contradictory after it was accepted.
    """
    with transaction.atomic():
        locked = _locked(calendar)
        problems = problems + _problems_in(entries, year, _open_weekdays(locked))
        if problems:
            raise HolidayRowsRejected(sorted(problems, key=lambda problem: problem.row))
        before = locked.holidays.filter(year=year).count()
        locked.holidays.filter(year=year).delete()
        entries = sorted(entries, key=lambda entry: entry.day)
        Holiday.objects.bulk_create(
            Holiday(
                calendar=locked, year=year, date=entry.day, name=entry.name.strip(), kind=entry.kind,
                hours_of=entry.hours_of,
            )
            for entry in entries
        )
        _touch(locked)
        workdays = sum(entry.kind == DayKind.WORKDAY for entry in entries)
        audit.record(
            action, actor=by, object_type="business_calendar", object_id=locked.pk,
            summary=(
                f"calendar {locked.code}: {year} list replaced, "
                f"{len(entries) - workdays} holidays and {workdays} make-up workdays"
            ),
            before={"year": year, "entries": before},
            after={"year": year, "entries": [f"{entry.day.isoformat()} {entry.kind}" for entry in entries]},
        )
        _notify_after_commit(calendar)


def set_holidays(
    calendar: BusinessCalendar, year: int, entries: list[tuple[date, str, str, int]], *, by: Any | None
) -> None:
    """Replace the holiday list of one year: ``(date, name, kind, hours_of)`` per entry.

    Every wrong entry is reported at once in :class:`HolidayRowsRejected` (rows counted from
    1) and nothing changes. Make-up workdays are checked against the calendar's current
    opening hours, so set the hours first.
    """
    _check_permission(by)
    rows = [
        _Entry(row=number, day=day, name=name, kind=kind, hours_of=hours_of)
        for number, (day, name, kind, hours_of) in enumerate(entries, start=1)
    ]
    _replace_holidays(calendar, year, rows, by=by, action="calendar.holidays_set", problems=[])


_KINDS = {
    "": DayKind.CLOSED, "closed": DayKind.CLOSED, "holiday": DayKind.CLOSED,
    "放假": DayKind.CLOSED, "休假": DayKind.CLOSED, "假日": DayKind.CLOSED,
    "workday": DayKind.WORKDAY, "補班": DayKind.WORKDAY, "补班": DayKind.WORKDAY,
    "補行上班": DayKind.WORKDAY, "补行上班": DayKind.WORKDAY, "上班": DayKind.WORKDAY,
}
_WEEKDAY_NAMES = {
    name: number
    for number, names in enumerate([
        ("mon", "monday", "週一", "周一", "星期一"), ("tue", "tuesday", "週二", "周二", "星期二"),
        ("wed", "wednesday", "週三", "周三", "星期三"), ("thu", "thursday", "週四", "周四", "星期四"),
        ("fri", "friday", "週五", "周五", "星期五"), ("sat", "saturday", "週六", "周六", "星期六"),
        ("sun", "sunday", "週日", "周日", "星期日"),
    ])
    for name in names
}


def _read_date(value: str) -> date | None:
    value = value.strip()
    try:
        return date.fromisoformat(value)  # 2026-02-17 and 20260217
    except ValueError:
        pass
    for layout in ("%Y/%m/%d", "%Y-%m-%d", "%Y.%m.%d"):  # 2026/2/17, as spreadsheets write it
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    return None


def _read_weekday(value: str) -> int | None:
    value = value.strip().lower()
    if value.isdigit():
        number = int(value)
        return number if number in range(7) else None
    return _WEEKDAY_NAMES.get(value)


def _is_header(cells: list[str]) -> bool:
    return cells[0].strip().lower() in {"date", "日期"}


def _parse_csv(text: str) -> tuple[list[_Entry], list[RowProblem], list[str]]:
    entries: list[_Entry] = []
    problems: list[RowProblem] = []
    notices: list[str] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # a runaway quote, a field over csv's size limit
            problems.append(RowProblem(reader.line_num, "unreadable", _("not readable as CSV (%(error)s).") % {"error": error}))
            break
        row = reader.line_num
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        count += 1
        if count > MAX_CSV_ROWS:
            problems.append(RowProblem(row, "too_many_rows", _("more than %(limit)s rows; a year has at most 366 dates.") % {"limit": MAX_CSV_ROWS}))
            break
        if count == 1 and _is_header(cells):
            notices.append(_("Row %(row)s was read as the header.") % {"row": row})
            continue
        if not 2 <= len(cells) <= 4:
            problems.append(RowProblem(row, "wrong_columns", _("expected date,name[,kind][,hours_of], found %(count)s columns.") % {"count": len(cells)}))
            continue
        day_text, name, kind_text, hours_text = (cells + ["", ""])[:4]
        day = _read_date(day_text)
        kind = _KINDS.get(kind_text.strip().lower())
        hours_of = _read_weekday(hours_text) if hours_text.strip() else int(Weekday.FRIDAY)
        if day is None:
            problems.append(RowProblem(row, "invalid_date", _("“%(value)s” is not a date (write 2026-02-17).") % {"value": day_text.strip()}))
        if kind is None:
            problems.append(RowProblem(row, "invalid_kind", _("“%(value)s” is not a kind of day (use “closed” or “workday”).") % {"value": kind_text.strip()}))
        if hours_of is None:
            problems.append(RowProblem(row, "invalid_weekday", _("“%(value)s” is not a weekday (use 0 for Monday to 6 for Sunday).") % {"value": hours_text.strip()}))
        if day is not None and kind is not None and hours_of is not None:
            entries.append(_Entry(row=row, day=day, name=name, kind=kind, hours_of=hours_of))
    return entries, problems, notices


def import_holidays_csv(calendar: BusinessCalendar, year: int, text: str, *, by: Any | None) -> list[str]:
    """Replace the holiday list of ``year`` with the rows of a CSV text.

    Columns: ``date,name[,kind][,hours_of]``; kind is ``closed`` (the default) or
    ``workday`` (補班 / 调休 are understood too), hours_of a weekday 0–6 or its name (Friday
    unless given). A first row starting with ``date`` or ``日期`` is a header; blank rows and
    rows starting with ``#`` are skipped. Any wrong row raises :class:`HolidayRowsRejected`
    listing every wrong row by its line number, and nothing is saved. Returns notices to
    show the user (the header that was skipped, how many rows were imported).
    """
    _check_permission(by)
    entries, problems, notices = _parse_csv(text)
    _replace_holidays(calendar, year, entries, by=by, action="calendar.holidays_imported", problems=problems)
    workdays = sum(entry.kind == DayKind.WORKDAY for entry in entries)
    notices.append(
        _("Imported %(holidays)s holidays and %(workdays)s make-up workdays for %(year)s.")
        % {"holidays": len(entries) - workdays, "workdays": workdays, "year": year}
    )
    return notices


def assign_branch(calendar: BusinessCalendar, branch: Any, *, by: Any | None) -> BranchCalendar:
    """Make ``branch`` follow ``calendar``'s business hours.

    The calendar the branch followed until now (its own, or the default one) is announced as
    changed too: the clocks of the branch's cases point at it and must be recomputed.
    """
    _check_permission(by)
    with transaction.atomic():
        locked = _locked(calendar)
        current = BranchCalendar.objects.select_for_update(of=("self",)).select_related("calendar").filter(branch=branch).first()
        previous = current.calendar if current else BusinessCalendar.objects.filter(is_default=True).first()
        assignment, _created = BranchCalendar.objects.update_or_create(branch=branch, defaults={"calendar": locked})
        audit.record(
            "calendar.branch_assigned", actor=by, object_type="business_calendar", object_id=locked.pk,
            summary=f"branch {branch.pk} follows calendar {locked.code}",
            before={"branch": branch.pk, "calendar": previous.code if previous else None},
            after={"branch": branch.pk, "calendar": locked.code},
        )
        _notify_after_commit(calendar, *([previous] if previous else []))
    return assignment
