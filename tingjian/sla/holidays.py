"""The public holidays of 2026 in Taiwan and mainland China, and the demo calendars using them.

Sources (checked against reproductions of the official texts, not the government sites
themselves — compare with them before relying on this for a real customer):

* Taiwan: 中華民國115年（西元2026年）政府行政機關辦公日曆表, 行政院 114年6月13日
  院授人培字第1143024631號函 (人事行政總處). The first calendar under the 2025 紀念日及節日
  實施條例: a holiday on a Saturday is made up on the Friday before, on a Sunday on the
  Monday after, and there are no 補行上班 Saturdays in 2026 (120 days off in all). It binds
  government offices; private employers follow the Labor Standards Act, which mostly but
  not always gives the same days.
* Mainland China: 国务院办公厅关于2026年部分节假日安排的通知 (2025年11月4日).

Lunar-calendar dates were taken from those notices, which agree with the almanac: 除夕
2026-02-16, 春節/春节 (正月初一) 2026-02-17, 清明 2026-04-05, 端午 2026-06-19, 中秋
2026-09-25.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db import transaction

from . import calendars
from .models import BusinessCalendar, DayKind, Weekday

HolidayEntry = tuple[date, str, str, int]

CLOSED, WORKDAY = DayKind.CLOSED.value, DayKind.WORKDAY.value
FRIDAY = int(Weekday.FRIDAY)

# Weekend dates that are holidays are listed too (they are closed anyway) so the list reads
# like the official calendar, next to the weekday that makes them up (補假).
TAIWAN_2026: list[HolidayEntry] = [
    (date(2026, 1, 1), "中華民國開國紀念日", CLOSED, FRIDAY),
    (date(2026, 2, 15), "除夕前一日", CLOSED, FRIDAY),  # Sunday; made up on 2-20
    (date(2026, 2, 16), "除夕", CLOSED, FRIDAY),
    (date(2026, 2, 17), "春節", CLOSED, FRIDAY),
    (date(2026, 2, 18), "春節", CLOSED, FRIDAY),
    (date(2026, 2, 19), "春節", CLOSED, FRIDAY),
    (date(2026, 2, 20), "除夕前一日補假", CLOSED, FRIDAY),
    (date(2026, 2, 27), "和平紀念日補假", CLOSED, FRIDAY),
    (date(2026, 2, 28), "和平紀念日", CLOSED, FRIDAY),  # Saturday
    (date(2026, 4, 3), "兒童節補假", CLOSED, FRIDAY),
    (date(2026, 4, 4), "兒童節", CLOSED, FRIDAY),  # Saturday
    (date(2026, 4, 5), "民族掃墓節（清明節）", CLOSED, FRIDAY),  # Sunday
    (date(2026, 4, 6), "民族掃墓節補假", CLOSED, FRIDAY),
    (date(2026, 5, 1), "勞動節", CLOSED, FRIDAY),
    (date(2026, 6, 19), "端午節", CLOSED, FRIDAY),
    (date(2026, 9, 25), "中秋節", CLOSED, FRIDAY),
    (date(2026, 9, 28), "孔子誕辰紀念日（教師節）", CLOSED, FRIDAY),
    (date(2026, 10, 9), "國慶日補假", CLOSED, FRIDAY),
    (date(2026, 10, 10), "國慶日", CLOSED, FRIDAY),  # Saturday
    (date(2026, 10, 25), "臺灣光復暨金門古寧頭大捷紀念日", CLOSED, FRIDAY),  # Sunday
    (date(2026, 10, 26), "臺灣光復暨金門古寧頭大捷紀念日補假", CLOSED, FRIDAY),
    (date(2026, 12, 25), "行憲紀念日", CLOSED, FRIDAY),
]


def _days(first: date, last: date, name: str) -> list[HolidayEntry]:
    return [
        (date.fromordinal(ordinal), name, CLOSED, FRIDAY)
        for ordinal in range(first.toordinal(), last.toordinal() + 1)
    ]


# 调休 workdays open with Friday's hours: the notice does not say which weekday a make-up day
# stands for, and Monday to Friday have the same hours in the demo calendar anyway.
CHINA_2026: list[HolidayEntry] = sorted([
    *_days(date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 1, 4), "元旦调休上班", WORKDAY, FRIDAY),  # Sunday
    (date(2026, 2, 14), "春节调休上班", WORKDAY, FRIDAY),  # Saturday
    *_days(date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 2, 28), "春节调休上班", WORKDAY, FRIDAY),  # Saturday
    *_days(date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    *_days(date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 5, 9), "劳动节调休上班", WORKDAY, FRIDAY),  # Saturday
    *_days(date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 20), "国庆节调休上班", WORKDAY, FRIDAY),  # Sunday
    *_days(date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    *_days(date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    (date(2026, 10, 10), "国庆节调休上班", WORKDAY, FRIDAY),  # Saturday
])

WEEKDAYS = range(0, 5)
TW_OFFICE_HOURS = [
    (weekday, opens, closes)
    for weekday in WEEKDAYS
    for opens, closes in ((time(9), time(12)), (time(13), time(18)))
]
CN_OFFICE_HOURS = [(weekday, time(9), time(18)) for weekday in WEEKDAYS]

DEFAULT_CALENDARS: dict[str, dict[str, Any]] = {
    "tw-office": {
        "name": "台灣辦公室（週一至週五 09:00–12:00、13:00–18:00）",
        "time_zone": "Asia/Taipei",
        "hours": TW_OFFICE_HOURS,
        "holidays": {2026: TAIWAN_2026},
        "is_default": True,
    },
    "cn-office": {
        "name": "大陆办公室（周一至周五 09:00–18:00）",
        "time_zone": "Asia/Shanghai",
        "hours": CN_OFFICE_HOURS,
        "holidays": {2026: CHINA_2026},
        "is_default": False,
    },
}


def seed_default_calendars(*, by: Any | None = None) -> dict[str, BusinessCalendar]:
    """Create ``tw-office`` and ``cn-office`` with their hours and 2026 holidays, once.

    Idempotent and careful with edits: an existing calendar keeps its hours if it has any
    and its holiday list of a year if that list has entries, so running the seed again
    never undoes what an administrator changed. ``tw-office`` becomes the default only if
    no calendar is the default yet.
    """
    seeded: dict[str, BusinessCalendar] = {}
    with transaction.atomic():
        for code, spec in DEFAULT_CALENDARS.items():
            calendar = BusinessCalendar.objects.filter(code=code).first()
            if calendar is None:
                calendar = calendars.create_calendar(
                    code=code, name=spec["name"], time_zone=spec["time_zone"], by=by,
                    is_default=spec["is_default"] and not BusinessCalendar.objects.filter(is_default=True).exists(),
                )
            if not calendar.hours.exists():
                calendars.set_opening_hours(calendar, spec["hours"], by=by)
            for year, entries in spec["holidays"].items():
                if not calendar.holidays.filter(year=year).exists():
                    calendars.set_holidays(calendar, year, entries, by=by)
            seeded[code] = calendar
    return seeded
