"""Synthetic complaint history at scale, for benchmarks (issue 5) and KPI work (issue 6).

``tingjian demo`` walks every case through the real services and workflow engine, which is
right for a demo and far too slow for a million cases (each service call audits, starts SLA
clocks and notifies). This generator writes finished history instead: rows inserted in
bulk (``generator_store``), in batches of a few thousand, one transaction per batch, each
case's stage and timestamps simulated so they agree — opened, acknowledged, investigated,
answered, reviewed and closed in that order, none after "now", old cases mostly closed
and this week's mostly open.

It is a load of made-up past into a throw-away benchmark database, not a write path of the
product (ARCHITECTURE rule 2 is about live cases; the command refuses to run with DEBUG
off): no audit events or notifications are made; SLA clocks, QA sign-offs and overrides
come from ``generator_service``, simplified. What comes
after still works: the case number sequence is advanced under the row lock
``cases.services`` takes, so ``open_case`` goes on numbering after the generated cases.

What it makes, per case: a customer (new, or one who complained before), the case with
category, product, branch, department, team, severity (S1 only for personal safety, about
1 %), assignee and — when it got that far — findings, root cause, resolution and
compensation; one to six messages (the complaint, acknowledgements, questions and
answers, the resolution, a thank-you) and sometimes internal notes; duplicates link to the
customer's earlier case. Texts come from ``generator_text``: about 55 % 繁體, 30 % 简体,
15 % English. The same seed, end time and starting database give the same data.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from tingjian import clock
from tingjian.cases.models import Case, CaseLink, CaseNumberSequence, Message, Note
from tingjian.customers.models import Customer, Identity

from . import generator_store as store
from .generator_org import CategoryPlan, Labels, Org
from .generator_people import People, Person
from .generator_service import ServiceRecord
from .generator_text import Dice, Slots, TextComposer
from .generator_timeline import Arrival, Timeline

MAX_CASES = 20_000_000
SPAM = 0.02
DUPLICATE = 0.10  # of a repeat customer's complaints: the same thing again, closed as duplicate
REOPENED = 0.03
STAGES = ("intake", "investigation", "response", "qa", "closed")
# Messages on these channels carry the platform's id and are delivered (not just recorded).
PLATFORM_CHANNELS = frozenset({"line", "wechat", "messenger", "email", "instagram", "weibo"})
_DELIVERY_ERRORS = ("The user has blocked the official account.", "Mailbox full (552).", "Recipient unreachable.")

CASE_COLUMNS = (
    "id", "number", "customer_id", "subject", "origin_channel", "category_id", "product_id", "branch_id",
    "department_id", "team_id", "severity", "safety", "stage", "waiting_on", "close_reason", "assignee_id",
    "policy_id", "opened_at", "stage_entered_at", "investigation_at", "response_at", "qa_at", "closed_at",
    "first_response_at", "findings", "root_cause_id", "resolution_code", "compensation_amount",
    "compensation_approved_by_id", "compensation_approved_at", "reopen_count", "created_by_id", "updated_at",
)
MESSAGE_COLUMNS = (
    "id", "case_id", "direction", "channel", "author_user_id", "author_identity_id", "body", "is_public",
    "external_id", "sent_at", "created_at", "carries_resolution", "delivery_status", "delivery_error",
    "automatic", "subject", "author_reach",
)
_case_row = itemgetter(*CASE_COLUMNS)


@dataclass(frozen=True)
class BatchReport:
    """Sent to ``progress`` after each batch (written, or on PostgreSQL handed to the writer)."""

    cases_done: int
    cases_total: int
    rows_done: int
    batch_rows: int
    batch_seconds: float
    elapsed: float


@dataclass(frozen=True)
class GenerationResult:
    """What a run made; ``first_case_id`` is where indexing for search starts."""

    cases: int
    customers: int
    identities: int
    messages: int
    notes: int
    links: int
    rows: int
    seconds: float
    first_case_id: int | None
    handles_redrawn: int
    clocks: int = 0
    reviews: int = 0
    overrides: int = 0


@dataclass(slots=True)
class _Message:
    at: datetime
    direction: str
    body: str
    user: int | None = None
    identity: int | None = None
    resolution: bool = False
    automatic: bool = False
    subject: str = ""
    public: bool = False
    reach: int | None = None
    optional: bool = False  # dropped first when a case has more than six messages


class CaseNumbers:
    """Case numbers as ``cases.services`` makes them (C-<year>-<000001>).

    A batch's numbers are reserved up front under the sequence rows' lock, the lock
    ``open_case`` takes, so a case opened meanwhile gets the next free number and later
    cases never collide. A batch that fails leaves a gap, as a sequence would.
    """

    def __init__(self) -> None:
        self.last: dict[int, int] = {}

    def reserve(self, per_year: Counter[int]) -> None:
        with transaction.atomic():
            for year in sorted(per_year):
                seq, _created = CaseNumberSequence.objects.select_for_update().get_or_create(year=year)
                self.last[year] = seq.last
                seq.last += per_year[year]
                seq.save(update_fields=["last"])

    def next(self, year: int) -> str:
        self.last[year] += 1
        return f"C-{year}-{self.last[year]:06d}"


class Generator:
    def __init__(self, *, count: int, seed: int, days: int, batch: int, now: datetime) -> None:
        self.count, self.days, self.batch, self.now = count, days, batch, now
        self.rng = Dice(seed)
        self.text = TextComposer(self.rng)
        self.org = Org(self.rng)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.numbers = CaseNumbers()
        self.customers = store.Table(Customer, ("id", "display_name", "language", "created_at", "updated_at"), now=now)
        self.identities = store.Table(Identity, ("id", "customer_id", "kind", "external_id", "created_at", "source"), now=now)
        self.cases = store.Table(Case, CASE_COLUMNS, now=now)
        self.links = store.Table(CaseLink, ("id", "from_case_id", "to_case_id", "kind", "created_at", "created_by_id"), now=now)
        self.messages = store.Table(Message, MESSAGE_COLUMNS, now=now)
        self.notes = store.Table(Note, ("id", "case_id", "author_id", "body", "created_at"), now=now)
        self.service = ServiceRecord(self.rng, now=now, batch=batch, managers=self.org.managers, reviewers=self.org.reviewers)
        own = [self.customers, self.identities, self.cases, self.links, self.messages, self.notes]
        self.ids = {
            t.name: store.IdAllocator(t.model, block)
            for t, block in zip(own, (batch, 2 * batch, batch, 256, 4 * batch, batch), strict=True)
        }
        self.tables = own + self.service.tables
        self.people = People(
            self.rng, self.text, self.org, customers=self.customers, identities=self.identities,
            customer_ids=self.ids[self.customers.name], identity_ids=self.ids[self.identities.name],
        )
        self.timeline = Timeline(self.rng, count=count, days=days, now=now, tz=self.tz)
        self.incidents = [self._incident() for _ in self.timeline.incident_shares]
        self.counts = dict.fromkeys(("cases", "messages", "notes", "links"), 0)
        self.first_case_id: int | None = None
        self.redrawn = 0

    def _incident(self) -> tuple[CategoryPlan, Labels]:
        """What went wrong on one incident day: one kind of complaint at one branch (a bad
        supplier batch, a payment outage)."""
        likely = [c for c in self.org.categories if c.code in ("foreign-object", "food-poisoning", "payment-failed", "late-delivery", "app-error")]
        branch = self.rng.choices(self.org.branches["tw"], cum_weights=self.org.branch_cum["tw"])[0]
        return self.rng.pick(likely or self.org.categories), branch

    # -- the run ------------------------------------------------------------------------

    def run(self, progress: Callable[[BatchReport], None] | None = None) -> GenerationResult:
        """All batches. On PostgreSQL a second thread writes a batch while the next is made;
        elsewhere (SQLite: one writer at a time) each batch is made and written in one
        transaction, which also keeps its ``max(id)`` ids valid. Inside a caller's
        transaction (a test) batches are written inline too: the writer's own connection
        could not see the caller's uncommitted rows."""
        started = time.monotonic()
        arrivals = iter(self.timeline)
        threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        writer = store.BackgroundWriter() if threaded else None
        done = rows = 0
        try:
            while chunk := list(islice(arrivals, self.batch)):
                batch_started = time.monotonic()
                if writer is not None:
                    self._make(chunk)
                    batch = store.take_batch(self.tables)
                    writer.submit(batch)
                else:
                    with transaction.atomic():
                        self._make(chunk)
                        batch = store.take_batch(self.tables)
                        store.write(batch)
                made = sum(len(r) for _t, r in batch)
                done, rows = done + len(chunk), rows + made
                if progress:
                    now = time.monotonic()
                    progress(BatchReport(done, self.count, rows, made, now - batch_started, now - started))
        except BaseException:
            if writer is not None:
                writer.close(quiet=True)
            raise
        if writer is not None:
            writer.close()
        store.analyse(self.tables)
        return GenerationResult(
            cases=self.counts["cases"], customers=self.people.created, identities=self.people.identities_made,
            messages=self.counts["messages"], notes=self.counts["notes"], links=self.counts["links"],
            rows=rows, seconds=time.monotonic() - started, first_case_id=self.first_case_id,
            handles_redrawn=self.redrawn, **self.service.counts,
        )

    def _make(self, chunk: list[Arrival]) -> None:
        for allocator in self.ids.values():
            allocator.start_batch()
        self.service.start_batch()
        self.numbers.reserve(Counter(a.year for a in chunk))
        for arrival in chunk:
            self._case(arrival)
        self.redrawn += self.people.flush()

    # -- one case -----------------------------------------------------------------------

    def _after(self, at: datetime, median_minutes: float, sigma: float = 0.9) -> datetime:
        """``at`` plus a log-normal wait: most are near the median, a few take far longer."""
        return at + timedelta(minutes=median_minutes * math.exp(sigma * self.rng.normal()))

    def _case(self, a: Arrival) -> None:
        rng, org = self.rng, self.org
        if rng.random() < SPAM:
            self._spam(a)
            return
        person, new = self.people.for_case(a.at)
        if a.incident >= 0 and rng.random() < self.timeline.incident_shares[a.incident]:
            plan, branch = self.incidents[a.incident]
        else:
            plan = rng.choices(org.categories, cum_weights=org.category_cum)[0]
            group = "cn" if person.key == "hans" else "tw"
            branch = person.branch if rng.random() < 0.8 else rng.choices(org.branches[group], cum_weights=org.branch_cum[group])[0]
        product = rng.pick(plan.products) if plan.products else None
        channel, identity = self.people.channel(person)
        key = person.key
        dish = org.dish(product, key) if product is not None and rng.random() < 0.6 else None
        slots = self.text.slots(key, branch=branch.names[key], dish=dish, hour=a.local_hour)
        subject, body = self.text.complaint(key, plan.code, rng.pick(plan.profile.modes), slots)
        safety = rng.random() < plan.profile.safety
        severity = 1 if safety else 2 + rng.index(plan.severity_cum)
        case_id = self._case_id()
        number = self.numbers.next(a.year)
        owner = org.owner(rng, plan.department)
        opener = rng.pick(org.agents) if channel in ("phone", "walk_in") and org.agents else None
        row: dict[str, Any] = {
            "id": case_id, "number": number, "customer_id": person.id, "subject": subject, "origin_channel": channel,
            "category_id": plan.id, "product_id": product.id if product else None, "branch_id": branch.id,
            "department_id": plan.department, "team_id": None, "severity": severity, "safety": safety,
            "stage": "intake", "waiting_on": "", "close_reason": "", "assignee_id": None, "policy_id": org.policy_id,
            "opened_at": a.at, "stage_entered_at": a.at, "investigation_at": None, "response_at": None, "qa_at": None,
            "closed_at": None, "first_response_at": None, "findings": "", "root_cause_id": None, "resolution_code": "",
            "compensation_amount": None, "compensation_approved_by_id": None, "compensation_approved_at": None,
            "reopen_count": 0, "created_by_id": opener, "updated_at": a.at,
        }
        messages = [_Message(a.at, "in", body, identity=identity, subject=subject if channel == "email" else "",
                             public=channel == "weibo", reach=int(rng.lognormvariate(5.5, 1.5)) if channel == "weibo" else None)]
        if channel in PLATFORM_CHANNELS | {"webform"} and rng.random() < 0.5:
            messages.append(_Message(a.at + timedelta(seconds=rng.between(3, 90)), "out", self.text.auto_ack(key, number), automatic=True, optional=True))
        duplicate_of = person.last_case if not new and rng.random() < DUPLICATE else None
        person.last_case = case_id
        if duplicate_of is not None:
            self._duplicate(row, duplicate_of, owner)
        else:
            self._walk(row, messages, person, plan, slots, owner, safety, a.local_hour)
        self._emit(row, messages, channel, person)

    def _walk(self, row: dict[str, Any], messages: list[_Message], person: Person, plan: CategoryPlan,
              slots: Slots, owner: int | None, safety: bool, local_hour: int) -> None:
        """Where the case got to by now, with every timestamp and field that stage implies."""
        rng, org, now, key = self.rng, self.org, self.now, person.key
        t0: datetime = row["opened_at"]
        night = (9 - local_hour) % 24 if local_hour >= 22 or local_hour < 8 else 0  # the office opens at 9
        gaps = [
            (8 if safety else 90 + night * 60, 0.9),  # acknowledged
            (rng.uniform(1, 20), 0.0),  # triaged into investigation
            (360 if safety else 2 * 24 * 60, 1.0),  # investigated: findings ready
            (12 * 60, 0.9),  # answered, resolution sent: to QA
            (8 * 60, 0.9),  # QA signed: closed
        ]
        stall = rng.between(1, 5) if rng.random() < 0.04 else -1  # the backlog: one step took ages
        times, at = [], t0
        for i, (median, sigma) in enumerate(gaps):
            at = self._after(at, median * (rng.uniform(5, 30) if i == stall else 1), sigma)
            times.append(at)
        t_ack, t_inv, t_resp, t_qa, t_close = times
        reached = sum(1 for t in times[1:] if t <= now)
        row["stage"] = STAGES[reached]
        row["stage_entered_at"] = ([t0, *times[1:]])[reached]
        if reached == 0:
            # Still at intake: often nobody has filled in the department and severity yet.
            if not safety and rng.random() < 0.4:
                row.update(department_id=None, severity=None)
            row["assignee_id"] = owner if rng.random() < 0.3 else None
        else:
            row["assignee_id"] = owner
            teams = org.teams.get(plan.department or -1)
            row["team_id"] = rng.pick(teams) if teams and rng.random() < 0.7 else None
            row["investigation_at"] = t_inv
        if t_ack <= now:
            row["first_response_at"] = t_ack
            messages.append(_Message(t_ack, "out", self.text.ack(key, person.name, row["number"]), user=owner or row["created_by_id"]))
        if t_ack <= now and rng.random() < 0.2:
            asked = self._after(t_ack, 30)
            messages.append(_Message(asked, "out", self.text.ask(key, person.name), user=owner, optional=True))
            if rng.random() < 0.75:
                answer = self.text.answer(key, slots)
                messages.append(_Message(self._after(asked, 180), "in", answer, identity=messages[0].identity, optional=True))
        if rng.random() < 0.2:
            chase = self.text.follow_up(key)
            messages.append(_Message(self._after(t0, 36 * 60, 0.7), "in", chase, identity=messages[0].identity, optional=True))
        if reached >= 2:
            root = rng.pick(plan.root_causes) if plan.root_causes else None
            staff_key = "hans" if key == "hans" else "hant"
            row["response_at"] = t_resp
            row["findings"] = self.text.findings(staff_key, root.code, root.names[staff_key]) if root else ""
            row["root_cause_id"] = root.id if root else None
            code = plan.profile.resolutions[rng.index(plan.resolution_cum)]
            amount = None
            if code == "refund" or code == "compensation":
                amount = org.compensation(rng, safety=safety or code == "compensation" and rng.random() < 0.3, refund=slots["amount"])
            said = t_resp + (t_qa - t_resp) * 0.5
            if reached >= 3 or said <= now:
                findings = self.text.findings(key, root.code, root.names[key]) if root else ""
                messages.append(_Message(said, "out", self.text.resolution(key, person.name, findings, code, amount or ""), user=owner, resolution=True))
                if reached == 4 and rng.random() < 0.3:
                    thanks = self.text.thanks(key)
                    messages.append(_Message(said + (t_close - said) * rng.random(), "in", thanks, identity=messages[0].identity, optional=True))
            if reached >= 3:
                row.update(qa_at=t_qa, resolution_code=code, compensation_amount=amount)
                if amount is not None and amount > org.approval_threshold and org.managers:
                    row["compensation_approved_by_id"] = rng.pick(org.managers)
                    row["compensation_approved_at"] = t_resp + (t_qa - t_resp) * 0.8
        if reached == 4:
            row.update(closed_at=t_close, close_reason="resolved")
            if rng.random() < REOPENED:
                self._reopen(row, messages, key)
        elif reached in (1, 2):
            roll = rng.random()
            row["waiting_on"] = "customer" if roll < 0.12 else "third_party" if roll < 0.16 else ""
        if reached and (safety or rng.random() < 0.3):
            end = row["closed_at"] or now
            for _ in range(1 + (rng.random() < 0.25)):
                at = t_inv + (end - t_inv) * rng.random()
                author = owner or (rng.pick(org.reviewers) if org.reviewers else None)
                if author is not None:
                    self.notes.add((self.ids[self.notes.name].take(), row["id"], author, self.text.note(key, slots), at))
                    self.counts["notes"] += 1

    def _reopen(self, row: dict[str, Any], messages: list[_Message], key: str) -> None:
        """The customer came back about it: reopened into investigation, maybe closed again."""
        rng, now = self.rng, self.now
        reopened = row["closed_at"] + timedelta(days=rng.uniform(1, 10))
        if reopened > now:
            return
        row.update(reopen_count=1, investigation_at=reopened)
        messages.append(_Message(reopened, "in", self.text.follow_up(key), identity=messages[0].identity))
        again = self._after(reopened, 2 * 24 * 60, 0.7)
        if again <= now:
            span = again - reopened
            row.update(response_at=reopened + span * 0.5, qa_at=reopened + span * 0.8, closed_at=again, stage_entered_at=again)
        else:
            row.update(stage="investigation", stage_entered_at=reopened, closed_at=None, close_reason="")

    def _duplicate(self, row: dict[str, Any], master: int, owner: int | None) -> None:
        """The same complaint again on another channel: closed as a duplicate of the first."""
        closed = self._after(row["opened_at"], 45, 0.8)
        row.update(department_id=None, severity=None, safety=False)
        if closed <= self.now:
            row.update(stage="closed", close_reason="duplicate", closed_at=closed, stage_entered_at=closed)
            self.links.add((self.ids[self.links.name].take(), row["id"], master, "duplicate_of", closed, owner))
            self.counts["links"] += 1

    def _spam(self, a: Arrival) -> None:
        person = self.people.new(a.at, remember=False)
        channel, identity = self.people.channel(person)
        subject, body = self.text.spam()
        closed = self._after(a.at, 60, 0.8)
        done = closed <= self.now
        row = dict.fromkeys(CASE_COLUMNS)
        row.update(
            id=self._case_id(), number=self.numbers.next(a.year), customer_id=person.id, subject=subject,
            origin_channel=channel, safety=False, stage="closed" if done else "intake", waiting_on="",
            close_reason="spam" if done else "", policy_id=self.org.policy_id, opened_at=a.at,
            stage_entered_at=closed if done else a.at, closed_at=closed if done else None, findings="",
            resolution_code="", reopen_count=0, updated_at=a.at,
        )
        self._emit(row, [_Message(a.at, "in", body, identity=identity)], channel, person)

    def _case_id(self) -> int:
        case_id = self.ids[self.cases.name].take()
        if self.first_case_id is None or case_id < self.first_case_id:
            self.first_case_id = case_id
        return case_id

    def _emit(self, row: dict[str, Any], messages: list[_Message], channel: str, person: Person) -> None:
        """Queue the case and its messages: in time order, none after now or after the case
        closed (a message then would have reopened it), at most six (optional ones go first)."""
        rng = self.rng
        end = min(self.now, row["closed_at"]) if row["closed_at"] else self.now
        kept = sorted((m for m in messages if m.at <= end), key=lambda m: m.at)
        while len(kept) > 6:
            optional = [i for i, m in enumerate(kept) if m.optional]
            kept.pop(optional[-1] if optional else -1)
        last = max([row["updated_at"], *(row[c] for c in ("stage_entered_at", "closed_at") if row[c]), *(m.at for m in kept)])
        row["updated_at"] = last
        self.cases.add(_case_row(row))
        self.service.add(row)
        self.counts["cases"] += 1
        platform = channel in PLATFORM_CHANNELS
        take = self.ids[self.messages.name].take
        for m in kept:
            mid = take()
            status, error, external = "recorded", "", ""
            if m.direction == "in":
                if platform:
                    external = f"<{mid:x}.{person.id:x}@mail.example.net>" if channel == "email" else str(5 * 10**17 + mid)
            elif platform:
                roll = rng.random()
                status = "failed" if roll < 0.02 else "sent" if roll < 0.07 else "delivered"
                error = rng.pick(_DELIVERY_ERRORS) if status == "failed" else ""
            self.messages.add((
                mid, row["id"], m.direction, channel, m.user if m.direction == "out" else None, m.identity, m.body,
                m.public, external, m.at, m.at, m.resolution, status, error, m.automatic, m.subject[:300], m.reach,
            ))
        self.counts["messages"] += len(kept)


def generate(
    count: int, *, seed: int = 2026, days: int = 730, batch: int = 5000, now: datetime | None = None,
    progress: Callable[[BatchReport], None] | None = None,
) -> GenerationResult:
    """Write ``count`` synthetic cases spread over the last ``days`` days, ``batch`` per
    transaction; ``now`` (default: the clock) is the end of the history."""
    if count <= 0 or count > MAX_CASES:
        raise ValueError(f"count must be between 1 and {MAX_CASES}")
    if days <= 0 or batch <= 0:
        raise ValueError("days and batch must be positive")
    generator = Generator(count=count, seed=seed, days=days, batch=batch, now=now or clock.now())
    return generator.run(progress)
