"""Business-time arithmetic: how many seconds of opening hours lie between two instants.

SLA clocks that count business hours ask two questions of a calendar: "when will ``n``
working seconds have passed after ``start``?" (:meth:`WorkingTime.add`, for due and reminder
times) and "how many working seconds passed between two instants?" (:meth:`WorkingTime.elapsed`,
for pauses and reports). Both walk the calendar one day and one open interval at a time,
never minute by minute, and each open interval is converted from local time to UTC on its
own day, so a day on which daylight saving time starts or ends is counted with its real
length.

This module reads no database apart from :meth:`WorkingTime.from_calendar`, which turns a
:class:`~tingjian.sla.models.BusinessCalendar` into a plain value; everything else is pure
arithmetic on that value. The checks the calendar editor shares with the services
(:func:`validate_hours`, :func:`validate_holiday`) live here too, next to the rules they protect.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import DayKind, Weekday

if TYPE_CHECKING:
    from .models import BusinessCalendar

MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)
SECONDS_PER_DAY = 86_400
# How far ahead ``add`` and ``next_opening`` look before giving up. A calendar that opens
# only on dates that are all holidays would otherwise be searched forever; five years is far
# beyond any SLA target, so reaching it means the calendar is wrong, not the target long.
MAX_DAYS = 5 * 366
MON_TO_FRI = (0, 1, 2, 3, 4)

Interval = tuple[time, time]


def _seconds_of_day(moment: time, *, closing: bool) -> int:
    """Seconds since midnight; a closing time of 00:00 is the end of the day (24:00)."""
    if closing and moment == MIDNIGHT:
        return SECONDS_PER_DAY
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _time_of_day(seconds: int) -> time:
    if seconds >= SECONDS_PER_DAY:
        return MIDNIGHT
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _merged(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sort the intervals of one weekday and join those that touch or overlap.

    Rows entered through the services never overlap, but rows edited in the Django admin
    might; joining them keeps a second from being counted twice.
    """
    spans: list[list[int]] = []
    for opens, closes in intervals:
        start = _seconds_of_day(opens, closing=False)
        end = _seconds_of_day(closes, closing=True)
        if end <= start:
            raise ValueError(f"opening hours {opens:%H:%M}–{closes:%H:%M} end before they start")
        spans.append([start, end])
    spans.sort()
    joined: list[list[int]] = []
    for start, end in spans:
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return tuple((_time_of_day(start), _time_of_day(end)) for start, end in joined)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


@dataclass(frozen=True)
class WorkingTime:
    """The opening hours of one calendar as a value: weekly hours, holidays, make-up workdays.

    ``weekly`` maps a weekday (0 = Monday) to its open intervals in local time; a closing
    time of 00:00 means midnight at the end of the day. A date in ``workdays`` is open with
    the hours of the weekday it maps to, whatever else is true of it; a date in
    ``closed_dates`` is closed. ``always_open`` counts every second and ignores the rest (the
    24/7 clocks of targets without ``business_hours``).

    Every method takes timezone-aware datetimes and returns them in UTC.
    """

    tz: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]]
    closed_dates: frozenset[date] = field(default_factory=frozenset)
    workdays: Mapping[date, int] = field(default_factory=dict)
    always_open: bool = False

    def __post_init__(self) -> None:
        for weekday in list(self.weekly) + list(self.workdays.values()):
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        # Normalised once here so the per-day arithmetic can trust sorted, disjoint intervals.
        normalised = {
            weekday: merged for weekday, intervals in self.weekly.items() if (merged := _merged(intervals))
        }
        object.__setattr__(self, "weekly", normalised)

    @classmethod
    def around_the_clock(cls, tz: str = "UTC") -> WorkingTime:
        """Every second counts: the calendar of clocks that do not follow business hours."""
        return cls(tz=ZoneInfo(tz), weekly={}, always_open=True)

    @classmethod
    def from_calendar(cls, calendar: BusinessCalendar) -> WorkingTime:
        """Read one calendar: one query for its hours and one for its holidays.

        ``calendar.hours.all()`` and ``calendar.holidays.all()`` use the rows of a
        ``prefetch_related("hours", "holidays")`` when the caller made one, so a sweep over
        many clocks can load every calendar up front and query nothing here.
        """
        try:
            tz = ZoneInfo(calendar.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"calendar {calendar.code!r} has an unknown time zone {calendar.time_zone!r}"
            ) from error
        weekly: dict[int, list[Interval]] = {}
        for row in calendar.hours.all():
            weekly.setdefault(row.weekday, []).append((row.opens, row.closes))
        closed: set[date] = set()
        workdays: dict[date, int] = {}
        for holiday in calendar.holidays.all():
            if holiday.kind == DayKind.WORKDAY:
                workdays[holiday.date] = holiday.hours_of
            else:
                closed.add(holiday.date)
        return cls(
            tz=tz,
            weekly={weekday: tuple(intervals) for weekday, intervals in weekly.items()},
            closed_dates=frozenset(closed),
            workdays=workdays,
        )

    # --- the arithmetic ---------------------------------------------------------------------

    @property
    def has_hours(self) -> bool:
        return self.always_open or bool(self.weekly)

    def _require_hours(self) -> None:
        if not self.has_hours:
            raise ValueError("the calendar has no opening hours")

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The local open intervals of one date, after holidays and make-up workdays."""
        weekday = self.workdays.get(day)
        if weekday is None:
            if day in self.closed_dates:
                return ()
            weekday = day.weekday()
        return self.weekly.get(weekday, ())

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of one local date as UTC instants, in order.

        Each end is converted on its own, so 00:00–24:00 on the day clocks go forward is 23
        real hours. A wall time that does not exist (inside the spring gap) is read with the
        offset before the change, as zoneinfo does for ``fold=0``.
        """
        spans = []
        for opens, closes in self.hours_on(day):
            start = datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC)
            end_day = day + ONE_DAY if closes == MIDNIGHT else day
            end = datetime.combine(end_day, closes, tzinfo=self.tz).astimezone(UTC)
            if end > start:
                spans.append((start, end))
        return spans

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant (UTC) at which ``seconds`` of working time after ``start`` have passed.

        ``seconds <= 0`` returns ``start`` itself, even when the calendar is closed then: a
        reminder at 0 % of a target, or a clock whose target is already used up, is due
        now, not at the next opening. A positive amount starting while closed begins to
        count at the next opening, and a result that lands exactly on the end of an open
        interval is that end (17:59:59.999 is not rounded up to the next morning).
        """
        _require_aware(start, "start")
        start = start.astimezone(UTC)
        if seconds <= 0:
            return start
        if self.always_open:
            return start + timedelta(seconds=seconds)
        self._require_hours()
        remaining = float(seconds)
        day = self._local_date(start)
        for _day_number in range(MAX_DAYS):
            for span_start, span_end in self._spans(day):
                if span_end <= start:
                    continue
                counted_from = max(span_start, start)
                available = (span_end - counted_from).total_seconds()
                if remaining <= available:
                    return counted_from + timedelta(seconds=remaining)
                remaining -= available
            day += ONE_DAY
        raise ValueError(
            f"the calendar has fewer than {seconds:g} seconds of opening hours in the "
            f"{MAX_DAYS} days after {start.isoformat()}"
        )

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Working seconds in ``[start, end)``; 0 when ``end`` is not after ``start``.

        A calendar without opening hours has had no working time pass, so this returns 0
        rather than raising; it visits each date between the two instants once.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        if not self.has_hours:
            return 0.0
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = 0.0
        day, last = self._local_date(start), self._local_date(end)
        while day <= last:
            for span_start, span_end in self._spans(day):
                counted_from, counted_to = max(span_start, start), min(span_end, end)
                if counted_to > counted_from:
                    total += (counted_to - counted_from).total_seconds()
            day += ONE_DAY
        return total

    def is_open(self, at: datetime) -> bool:
        _require_aware(at, "at")
        if self.always_open:
            return True
        at = at.astimezone(UTC)
        return any(start <= at < end for start, end in self._spans(self._local_date(at)))

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself (in UTC) when open then, otherwise the start of the next open interval."""
        _require_aware(at, "at")
        at = at.astimezone(UTC)
        if self.always_open:
            return at
        self._require_hours()
        day = self._local_date(at)
        for _day_number in range(MAX_DAYS):
            for span_start, span_end in self._spans(day):
                if span_start <= at < span_end:
                    return at
                if span_start > at:
                    return span_start
            day += ONE_DAY
        raise ValueError(f"the calendar does not open in the {MAX_DAYS} days after {at.isoformat()}")


# --- checks shared by the calendar editor and the services ---------------------------------


def _hhmm(moment: time, *, closing: bool = False) -> str:
    return "24:00" if closing and moment == MIDNIGHT else f"{moment:%H:%M}"


def _weekday_label(weekday: int) -> str:
    return str(Weekday(weekday).label)


def validate_hours(intervals: Iterable[tuple[int, time, time]]) -> None:
    """Raise ``ValidationError({"hours": [...]})`` listing every malformed or overlapping interval.

    An interval must open before it closes (closing at 00:00 means 24:00, so 09:00–00:00 is
    fine and 00:00–00:00 is the whole day). Intervals of one weekday may touch (12:00–13:00
    then 13:00–18:00) but not overlap.
    """
    errors: list[ValidationError] = []
    by_weekday: dict[int, list[tuple[int, int, time, time]]] = {}
    for weekday, opens, closes in intervals:
        if weekday not in range(7):
            errors.append(ValidationError(
                _("%(weekday)s is not a weekday (use 0 for Monday to 6 for Sunday)."),
                code="invalid_weekday", params={"weekday": weekday},
            ))
            continue
        start = _seconds_of_day(opens, closing=False)
        end = _seconds_of_day(closes, closing=True)
        if end <= start:
            errors.append(ValidationError(
                _("%(weekday)s %(opens)s–%(closes)s: the opening time must be before the closing time."),
                code="empty_interval" if end == start else "closes_before_opens",
                params={"weekday": _weekday_label(weekday), "opens": _hhmm(opens), "closes": _hhmm(closes, closing=True)},
            ))
            continue
        by_weekday.setdefault(weekday, []).append((start, end, opens, closes))
    for weekday in sorted(by_weekday):
        rows = sorted(by_weekday[weekday])
        for earlier, later in zip(rows, rows[1:], strict=False):
            if later[0] < earlier[1]:
                errors.append(ValidationError(
                    _("%(weekday)s %(first)s overlaps %(second)s."),
                    code="overlap",
                    params={
                        "weekday": _weekday_label(weekday),
                        "first": f"{_hhmm(earlier[2])}–{_hhmm(earlier[3], closing=True)}",
                        "second": f"{_hhmm(later[2])}–{_hhmm(later[3], closing=True)}",
                    },
                ))
    if errors:
        raise ValidationError({"hours": errors})


def validate_holiday(
    year: int,
    day: date,
    kind: str,
    existing: Iterable[date],
    *,
    open_weekdays: Collection[int] = MON_TO_FRI,
    hours_of: int | None = None,
) -> None:
    """Check one entry of a year's holiday list; raise every problem at once, keyed by field.

    ``existing`` holds the dates already in the list. ``open_weekdays`` are the weekdays the
    calendar has hours on (Monday to Friday unless told): a make-up workday on one of them
    would change nothing, which means the date or the kind was entered wrong. ``hours_of``,
    when given, is the weekday whose hours a make-up workday opens with; it must itself be
    open, or the "workday" would stay closed.
    """
    errors: dict[str, list[ValidationError]] = {}
    if day.year != year:
        errors.setdefault("date", []).append(ValidationError(
            _("%(date)s is not in %(year)s."), code="outside_year",
            params={"date": day.isoformat(), "year": year},
        ))
    if day in set(existing):
        errors.setdefault("date", []).append(ValidationError(
            _("%(date)s is already in the list."), code="duplicate_date",
            params={"date": day.isoformat()},
        ))
    if kind not in DayKind.values:
        errors.setdefault("kind", []).append(ValidationError(
            _("“%(kind)s” is not a kind of day (use “closed” or “workday”)."), code="invalid_kind",
            params={"kind": kind},
        ))
    elif kind == DayKind.WORKDAY:
        if day.weekday() in open_weekdays:
            errors.setdefault("kind", []).append(ValidationError(
                _("%(date)s is a %(weekday)s, which is open anyway: a make-up workday falls on a day that is normally closed."),
                code="contradictory_workday",
                params={"date": day.isoformat(), "weekday": _weekday_label(day.weekday())},
            ))
        if hours_of is not None:
            if hours_of not in range(7):
                errors.setdefault("hours_of", []).append(ValidationError(
                    _("%(value)s is not a weekday (use 0 for Monday to 6 for Sunday)."),
                    code="invalid_weekday", params={"value": hours_of},
                ))
            elif hours_of not in open_weekdays:
                errors.setdefault("hours_of", []).append(ValidationError(
                    _("%(date)s would open with the hours of %(weekday)s, which has no opening hours."),
                    code="workday_hours_closed",
                    params={"date": day.isoformat(), "weekday": _weekday_label(hours_of)},
                ))
    if errors:
        raise ValidationError(errors)
