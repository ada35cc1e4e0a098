"""The service record of generated cases: SLA clocks, QA sign-offs and overrides.

KPIs (issue 6) measure these, so a benchmark database without them would measure nothing:
SLA attainment reads the clocks, the override count reads ``Override``. The rows agree with
the case they belong to — a first-response clock is met when the case's first response was
sent, a resolution clock when it closed, and breached when that came after the target — but
they are simplified: every clock runs around the clock (24/7) from the case's opening with
the default target for its severity (``sla.defaults``), never paused, and no escalations or
reminders are recorded. Open clocks get no wake-up time, so a worker started on a
benchmark database does not fire a storm of reminders for history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tingjian.cases.models import Override, QAReview
from tingjian.sla.defaults import DEFAULT_TARGETS
from tingjian.sla.models import Clock

from . import generator_store as store
from .generator_text import Dice

CLOCK_COLUMNS = (
    "id", "case_id", "kind", "stage", "target_seconds", "business_hours", "started_at", "running_since",
    "consumed_seconds", "due_at", "breached_at", "met_at", "cancelled_at",
)
QA_COLUMNS = ("id", "case_id", "reviewer_id", "checklist", "passed", "comment", "signed_at")
OVERRIDE_COLUMNS = ("id", "case_id", "user_id", "transition", "from_stage", "to_stage", "failed_guards", "reason", "at")
OVERRIDDEN = 0.015  # of cases that reached QA: a manager forced the close past a guard
CHECKLIST = {"facts_verified": True, "every_point_answered": True, "tone": True, "corrective_action": True}
OVERRIDE_REASONS = (
    "顧客已於電話中確認接受處理結果，品保簽核補登。",
    "顾客已来电确认，品保签核稍后补登。",
    "Customer confirmed by phone; QA sign-off to follow.",
)


def _default_minutes(kind: str) -> dict[int | None, int]:
    """Minutes per severity for a 24/7 channel (the rows with no channel in the defaults)."""
    return {severity: minutes for k, stage, severity, channel, minutes, _bh in DEFAULT_TARGETS if k == kind and not stage and not channel}


FIRST_RESPONSE_MINUTES = _default_minutes("first_response")
RESOLUTION_MINUTES = _default_minutes("resolution")


class ServiceRecord:
    def __init__(self, rng: Dice, *, now: datetime, batch: int, managers: list[int], reviewers: list[int]) -> None:
        self.rng, self.now = rng, now
        self.managers, self.reviewers = managers, reviewers
        self.clocks = store.Table(Clock, CLOCK_COLUMNS, now=now)
        self.reviews = store.Table(QAReview, QA_COLUMNS, now=now)
        self.overrides = store.Table(Override, OVERRIDE_COLUMNS, now=now)
        self.tables = [self.clocks, self.reviews, self.overrides]
        self.ids = {
            self.clocks.name: store.IdAllocator(Clock, 2 * batch),
            self.reviews.name: store.IdAllocator(QAReview, batch),
            self.overrides.name: store.IdAllocator(Override, 256),
        }
        self.counts = dict.fromkeys(("clocks", "reviews", "overrides"), 0)

    def start_batch(self) -> None:
        for allocator in self.ids.values():
            allocator.start_batch()

    def add(self, row: dict[str, Any]) -> None:
        """The clocks, sign-off and override of one generated case (``row`` as written)."""
        if row["close_reason"] in ("spam", "duplicate"):
            return
        opened: datetime = row["opened_at"]
        severity = row["severity"]
        for kind, minutes, done in (
            ("first_response", FIRST_RESPONSE_MINUTES, row["first_response_at"]),
            ("resolution", RESOLUTION_MINUTES, row["closed_at"]),
        ):
            self._clock(row["id"], kind, minutes.get(severity, minutes[None]), opened, done)
        if row["stage"] == "closed" and row["qa_at"] and self.reviewers:
            signed = row["qa_at"] + (row["closed_at"] - row["qa_at"]) * 0.9
            self.reviews.add((self.ids[self.reviews.name].take(), row["id"], self.rng.pick(self.reviewers), CHECKLIST, True, "", signed))
            self.counts["reviews"] += 1
        if row["qa_at"] and self.managers and self.rng.random() < OVERRIDDEN:
            at = row["closed_at"] or row["qa_at"]
            self.overrides.add((
                self.ids[self.overrides.name].take(), row["id"], self.rng.pick(self.managers), "close", "qa", "closed",
                ["qa_signed"], self.rng.pick(OVERRIDE_REASONS), at,
            ))
            self.counts["overrides"] += 1

    def _clock(self, case_id: int, kind: str, minutes: int, started: datetime, done: datetime | None) -> None:
        target = timedelta(minutes=minutes)
        due = started + target
        end = done or self.now
        breached = due if (done is not None and done > due) or (done is None and due <= self.now) else None
        self.clocks.add((
            self.ids[self.clocks.name].take(), case_id, kind, "", int(target.total_seconds()), False, started,
            None if done else started, (end - started).total_seconds() if done else 0.0, due, breached, done, None,
        ))
        self.counts["clocks"] += 1
