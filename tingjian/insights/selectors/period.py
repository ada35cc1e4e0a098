"""A slice of the rollup: a period of local days and optional filters, and its errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tingjian import clock

# A longer period is refused: even a year of trends reads a few hundred rows per grouping.
MAX_DAYS = 731
PRESETS = ("this_week", "last_week", "this_month", "last_month", "last_30_days", "custom")


class PeriodError(ValueError):
    """A period that cannot be shown; ``str()`` is the message for people."""


class PeriodInFuture(PeriodError):
    pass


def local_tz() -> Any:
    return timezone.get_default_timezone()


def today() -> date:
    return timezone.localtime(clock.now(), local_tz()).date()


def day_start(day: date) -> datetime:
    """The UTC-aware start of a local day (settings.TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min), local_tz())


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start of ``start``, start of the day after ``end``) as aware datetimes."""
    return day_start(start), day_start(end + timedelta(days=1))


def _one_year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Slice:
    """A period of local days (inclusive) and optional filters; None/"" means all.

    ``branch`` / ``department`` are ids; -1 means "cases with none". ``channel`` is a
    ChannelKind value.
    """

    start: date
    end: date
    branch: int | None = None
    department: int | None = None
    channel: str = ""

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(_("The period starts after it ends."))
        if self.days() > MAX_DAYS:
            raise PeriodError(_("The period is too long: at most %(days)d days.") % {"days": MAX_DAYS})

    def previous(self) -> Slice:
        """The same number of days just before."""
        n = self.days()
        return replace(self, start=self.start - timedelta(days=n), end=self.start - timedelta(days=1))

    def last_year(self) -> Slice:
        """The same dates one year earlier."""
        return replace(self, start=_one_year_earlier(self.start), end=_one_year_earlier(self.end))

    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        """GET parameters (start, end, branch, department, channel) for links."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.branch is not None:
            params["branch"] = str(self.branch)
        if self.department is not None:
            params["department"] = str(self.department)
        if self.channel:
            params["channel"] = self.channel
        return params

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days())]

    def bounds(self) -> tuple[datetime, datetime]:
        return day_bounds(self.start, self.end)

    def ensure_not_future(self) -> None:
        if self.start > today():
            raise PeriodInFuture(
                _("The period %(start)s – %(end)s has not started yet; choose a period up to today.")
                % {"start": self.start.isoformat(), "end": self.end.isoformat()}
            )


def preset(name: str, *, on: date | None = None) -> tuple[date, date]:
    """The days of a named period relative to ``on`` (today by default)."""
    day = on or today()
    if name == "this_week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if name == "last_week":
        start = day - timedelta(days=day.weekday() + 7)
        return start, start + timedelta(days=6)
    if name == "this_month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if name == "last_month":
        end = day.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if name == "last_30_days":
        return day - timedelta(days=29), day
    raise PeriodError(_("Unknown period “%(name)s”.") % {"name": name})


def _int_param(params: Mapping[str, Any], key: str, label: str) -> int | None:
    raw = str(params.get(key) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise PeriodError(_("The %(what)s “%(value)s” is not valid.") % {"what": label, "value": raw}) from None
    if value == 0 or value < -1:
        raise PeriodError(_("The %(what)s “%(value)s” is not valid.") % {"what": label, "value": raw})
    return value


def _date_param(params: Mapping[str, Any], key: str) -> date | None:
    raw = str(params.get(key) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw}) from None


def slice_from_params(params: Mapping[str, Any], *, default: str = "this_week") -> Slice:
    """Read a Slice from GET parameters: ``period`` (a preset) or ``start``/``end``, and
    ``branch``, ``department``, ``channel``. Raises PeriodError with a message for people."""
    from tingjian.cases.models import ChannelKind

    period = str(params.get("period") or "").strip()
    start, end = _date_param(params, "start"), _date_param(params, "end")
    if period and period != "custom":
        start, end = preset(period)
    elif start is None and end is None:
        if period == "custom":
            raise PeriodError(_("Choose the first and last day of the period."))
        start, end = preset(default)
    elif start is None or end is None:
        raise PeriodError(_("Choose both the first and the last day of the period."))
    channel = str(params.get("channel") or "").strip()
    if channel and channel not in ChannelKind.values:
        raise PeriodError(_("Unknown channel “%(value)s”.") % {"value": channel})
    assert start is not None and end is not None
    return Slice(
        start=start, end=end,
        branch=_int_param(params, "branch", _("branch")),
        department=_int_param(params, "department", _("department")),
        channel=channel,
    )

