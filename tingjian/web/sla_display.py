"""How an SLA clock looks: its badge (state colour, time left) and durations in words.

Presentation only. The state comes from ``Clock.state``; the wording here is the same the
countdown script uses (``static/web/sla-countdown.js`` reads it from the badge's data
attributes), so the page says the same thing before and after the script's first tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tingjian import clock as wall_clock
from tingjian.cases.models import Stage
from tingjian.sla import selectors as sla_selectors
from tingjian.sla.models import Clock

STATE_LABELS = {
    "green": gettext_lazy("On track"),
    "amber": gettext_lazy("Due soon"),
    "red": gettext_lazy("Nearly due"),
    "breached": gettext_lazy("Breached"),
    "paused": gettext_lazy("Paused"),
    "met": gettext_lazy("Met"),
    "met_late": gettext_lazy("Met late"),
    "cancelled": gettext_lazy("Stopped"),
}


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def span_text(seconds: float) -> str:
    """A span rounded up to the minute: "12 min", "3 h 05 min", "2 d 4 h" (as the script)."""
    minutes = max(1, math.ceil(abs(seconds) / 60))
    if minutes < 60:
        return _("{m} min").format(m=minutes)
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return _("{h} h {mm} min").format(h=hours, mm=f"{rest:02d}")
    days, rest = divmod(minutes, 24 * 60)
    return _("{d} d {h} h").format(d=days, h=rest // 60)


def minutes_text(minutes: int) -> str:
    """A target in hours and minutes: "45 min", "4 h", "1 h 30 min", "120 h"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(m)s min") % {"m": rest}
    if not rest:
        return _("%(h)s h") % {"h": hours}
    return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}


def _hhmm(moment: Any, *, closing: bool = False) -> str:
    return "24:00" if closing and moment.hour == 0 and moment.minute == 0 else f"{moment:%H:%M}"


def hours_summary(hours: Any) -> list[str]:
    """A week of opening hours in a few lines: "Mon–Fri 09:00–12:00, 13:00–18:00"."""
    per_day: dict[int, list[str]] = {}
    for row in hours:
        per_day.setdefault(row.weekday, []).append(f"{_hhmm(row.opens)}–{_hhmm(row.closes, closing=True)}")
    runs: list[tuple[int, int, str]] = []
    for weekday in sorted(per_day):
        text = ", ".join(per_day[weekday])
        if runs and runs[-1][1] == weekday - 1 and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], weekday, text)
        else:
            runs.append((weekday, weekday, text))
    return [
        f"{WEEKDAYS_ABBR[first]}{'–' + str(WEEKDAYS_ABBR[last]) if last != first else ''} {text}"
        for first, last, text in runs
    ]


def kind_label(clock: Clock) -> str:
    label = str(clock.get_kind_display())
    if clock.stage:
        stage = str(Stage(clock.stage).label) if clock.stage in Stage.values else clock.stage
        return f"{label}: {stage}"
    return label


@dataclass(frozen=True)
class ClockBadge:
    """One clock as a badge; ``counting`` badges are kept current by the countdown script."""

    clock: Clock
    state: str
    text: str

    @property
    def counting(self) -> bool:
        return self.clock.is_open and self.clock.running_since is not None and self.clock.due_at is not None

    @property
    def kind_label(self) -> str:
        return kind_label(self.clock)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def due_iso(self) -> str:
        return _iso(self.clock.due_at)

    @property
    def amber_iso(self) -> str:
        return _iso(self.clock.remind_at)

    @property
    def red_iso(self) -> str:
        return _iso(self.clock.red_at)


def clock_badge(clock: Clock, now: datetime | None = None) -> ClockBadge:
    now = now or wall_clock.now()
    state = clock.state(now)
    if clock.is_open and clock.due_at is not None and clock.running_since is not None:
        left = (clock.due_at - now).total_seconds()
        text = (_("{time} left") if left > 0 else _("overdue {time}")).format(time=span_text(left))
    else:
        text = str(STATE_LABELS.get(state, state))
    return ClockBadge(clock=clock, state=state, text=text)


def badges_by_case(case_ids: list[int]) -> dict[int, ClockBadge]:
    """The most urgent open clock of each case as a badge (one query for all)."""
    now = wall_clock.now()
    return {
        case_id: clock_badge(clock, now)
        for case_id, clock in sla_selectors.urgent_clock_by_case(case_ids).items()
    }


@dataclass(frozen=True)
class ClockRow:
    """A clock on the case page: its badge, pauses, and whether the reader should acknowledge."""

    badge: ClockBadge
    paused_seconds: float
    awaiting_ack: bool

    @property
    def clock(self) -> Clock:
        return self.badge.clock

    @property
    def target_text(self) -> str:
        return minutes_text(round(self.clock.target_seconds / 60))

    @property
    def paused_text(self) -> str:
        return span_text(self.paused_seconds) if self.paused_seconds >= 1 else ""


def clock_rows(case: Any, user: Any) -> list[ClockRow]:
    now = wall_clock.now()
    clocks = sla_selectors.case_clocks(case)
    awaiting = sla_selectors.clocks_awaiting_ack(clocks, user)
    return [
        ClockRow(
            badge=clock_badge(clock, now),
            paused_seconds=sla_selectors.paused_seconds(clock, now),
            awaiting_ack=clock.pk in awaiting,
        )
        for clock in clocks
    ]
