"""Builds the demo company and its cases through the real services and workflow engine.

Nothing is inserted behind the engine's back: every customer is created with
``customers.services``, every case opened with ``cases.services.open_case`` and moved with
``cases.workflow.transition`` by the user whose role allows it, so the demo shows what the
product really does and its audit chain verifies. ``tingjian.clock.now`` is set back in time
while a case is walked, so opening, reply and transition times look lived-in; a fixed seed
makes the result the same on every machine.

The company's reference data (branches, departments, taxonomies) has no write service in
``org`` yet, so it is upserted by code here; it is configuration, not case history.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from tingjian import clock
from tingjian.alerts import services as alert_services
from tingjian.alerts.models import Notification
from tingjian.cases import services as cases
from tingjian.cases.models import Case, ResolutionCode
from tingjian.cases.permissions import can_view
from tingjian.cases.workflow import policy_document, transition
from tingjian.customers import services as customers
from tingjian.customers.models import Customer, Identity
from tingjian.org import services as org
from tingjian.org.models import Branch, Category, Department, Membership, Product, RootCause, Team
from tingjian.sla import calendars as sla_calendars
from tingjian.sla import holidays
from tingjian.sla import services as sla_services
from tingjian.sla import timers as sla_timers
from tingjian.sla.models import BranchCalendar

from . import data

# Where a case ends up. "reopened" is a case closed, then reopened (it sits in investigation).
TARGETS = ["intake", "investigation", "response", "qa", "closed", "duplicate", "spam", "reopened"]
# Older complaints are mostly closed, this week's mostly open: weights by the case's age.
_WEIGHTS_BY_AGE = [
    (timedelta(days=30), [3, 5, 3, 3, 76, 4, 2, 4]),
    (timedelta(days=7), [10, 15, 12, 12, 40, 4, 2, 5]),
    (timedelta(days=2), [30, 25, 20, 15, 5, 3, 2, 0]),
    (timedelta(0), [70, 25, 0, 0, 0, 3, 2, 0]),
]
# Identity kind → the channel a message from it arrives on.
_CHANNEL_OF = {"phone": "phone", "line": "line", "email": "email", "wechat_openid": "wechat", "messenger": "messenger"}
_LANG_KEY = {"zh-hant": "hant", "zh-hans": "hans", "en": "en"}


class BackDatedClock:
    """A clock set in the past that only moves forward and never passes the real now."""

    def __init__(self, limit: datetime) -> None:
        self.limit = limit
        self.at = limit

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = min(at, self.limit)

    def advance(self, by: timedelta) -> None:
        self.at = min(self.at + by, self.limit)


@contextmanager
def clock_replaced_by(fake: BackDatedClock) -> Iterator[BackDatedClock]:
    """Every service reads time from ``tingjian.clock.now`` (ARCHITECTURE rule 6)."""
    real = clock.now
    clock.now = fake  # type: ignore[assignment]
    try:
        yield fake
    finally:
        clock.now = real  # type: ignore[method-assign]


def build_structure() -> dict[str, Any]:
    """The company's structure and people (idempotent); returns the users by username."""
    with transaction.atomic():
        for code, hant, hans, en, region, tz in data.BRANCHES:
            Branch.objects.update_or_create(code=code, defaults={"name_zh_hant": hant, "name_zh_hans": hans, "name_en": en, "region": region, "time_zone": tz})
        for code, hant, hans, en in data.DEPARTMENTS:
            Department.objects.update_or_create(code=code, defaults={"name_zh_hant": hant, "name_zh_hans": hans, "name_en": en})
        for code, dept, hant, hans, en in data.TEAMS:
            Team.objects.update_or_create(code=code, defaults={"department": Department.objects.get(code=dept), "name_zh_hant": hant, "name_zh_hans": hans, "name_en": en})
        for code, hant, hans, en in data.PRODUCTS:
            Product.objects.update_or_create(code=code, defaults={"name_zh_hant": hant, "name_zh_hans": hans, "name_en": en})
        for code, hant, hans, en, children in data.CATEGORY_GROUPS:
            group, _ = Category.objects.update_or_create(code=code, defaults={"name_zh_hant": hant, "name_zh_hans": hans, "name_en": en, "parent": None})
            for ccode, chant, chans, cen in children:
                Category.objects.update_or_create(code=ccode, defaults={"name_zh_hant": chant, "name_zh_hans": chans, "name_en": cen, "parent": group})
        for code, hant, hans, en in data.ROOT_CAUSES:
            RootCause.objects.update_or_create(code=code, defaults={"name_zh_hant": hant, "name_zh_hans": hans, "name_en": en})

        org.sync_roles()
        user_model = get_user_model()
        users = {}
        for username, roles, departments, heads, display in data.USERS:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model.objects.create_user(
                    username=username, password=data.demo_password(username),
                    email=f"{username}@demo.tingjian.invalid",
                )
                org.set_roles(user, roles)
                if "admin" in roles:
                    # Also the Django admin's superuser, where cases are read-only.
                    user.is_staff = user.is_superuser = True
                    user.save(update_fields=["is_staff", "is_superuser"])
                for code in departments:
                    member_of = Department.objects.get(code=code)
                    org.join_department(user, member_of, is_head=code in heads, team=member_of.teams.order_by("code").first())
                org.ensure_profile(user, display_name=display)
            users[username] = user_model.objects.get(pk=user.pk)
    return users


@dataclass
class _Walk:
    """What one demo case is made of before it is opened."""

    scenario: data.Scenario
    customer: Customer
    lang: str
    channel: str
    identity: Identity | None
    branch: Branch
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return _LANG_KEY[self.lang]


class CaseBuilder:
    def __init__(self, users: dict[str, Any], *, seed: int, clock: BackDatedClock) -> None:
        self.rng = random.Random(seed)
        self.users = users
        self.clock = clock
        self.branches = {b.code: b for b in Branch.objects.all()}
        self.customers: list[tuple[Customer, str, list[tuple[str, Identity | None]]]] = []
        self.opened: list[tuple[Case, _Walk, Any]] = []  # (case, walk, opener) for duplicates

    # -- people -------------------------------------------------------------------------

    def _new_customer(self) -> tuple[Customer, str, list[tuple[str, Identity | None]]]:
        rng, i = self.rng, len(self.customers)
        roll = rng.random()
        if roll < 0.15:
            lang = "zh-hans"
            name = rng.choice(data.SH_SURNAMES) + rng.choice(data.SH_GIVEN) + rng.choice(["", "", "先生", "女士"])
            identities = [("phone", f"+86 13{rng.randrange(0, 10)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}")]
            identities.append(("wechat_openid", f"o{rng.getrandbits(120):030x}"))
        elif roll < 0.24:
            lang, name = "en", rng.choice(data.EN_NAMES)
            identities = [("email", f"{name.split()[0].lower()}.{i}@example.com")]
            if rng.random() < 0.5:
                identities.append(("messenger", str(rng.randrange(10**15, 10**16))))
        else:
            lang, name = "zh-hant", rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)
            identities = [("phone", f"09{rng.randrange(10, 99)}-{rng.randrange(100, 999)}-{rng.randrange(100, 999)}")]
            if rng.random() < 0.5:
                identities.append(("line", f"U{rng.getrandbits(128):032x}"))
            if rng.random() < 0.25:
                identities.append(("email", f"customer{i}@example.com.tw"))
            if rng.random() < 0.15:
                identities.append(("messenger", str(rng.randrange(10**15, 10**16))))
        customer = customers.create_customer(display_name=name, by=None, language=lang, identities=identities)
        handles: list[tuple[str, Identity | None]] = [
            (_CHANNEL_OF[i.kind], i) for i in customer.identities.all() if i.kind in _CHANNEL_OF
        ]
        made = (customer, lang, handles)
        self.customers.append(made)
        return made

    def _customer(self) -> tuple[Customer, str, list[tuple[str, Identity | None]]]:
        # About one complaint in four comes from someone who has complained before.
        if self.customers and self.rng.random() < 0.25:
            return self.rng.choice(self.customers)
        return self._new_customer()

    # -- the plan -----------------------------------------------------------------------

    def plan(self, count: int, days: int) -> list[tuple[datetime, str, data.Scenario]]:
        rng, now = self.rng, self.clock.limit
        times = sorted(now - timedelta(minutes=rng.randrange(20, days * 24 * 60)) for _ in range(count))
        targets = []
        for opened in times:
            weights = next(w for age, w in _WEIGHTS_BY_AGE if now - opened >= age)
            targets.append(rng.choices(TARGETS, weights=weights)[0])
        # Every stage and outcome is shown, however few cases are asked for: missing ones
        # replace a closed case old enough to have got there.
        counts = Counter(targets)
        for wanted in TARGETS:
            if counts[wanted]:
                continue
            spare = [i for i, t in enumerate(targets) if t == "closed" and counts["closed"] > 1 and now - times[i] > timedelta(days=12)]
            if spare:
                i = rng.choice(spare)
                targets[i] = wanted
                counts["closed"] -= 1
                counts[wanted] += 1
        odds = [s.weight * (0.25 if s.safety else 1.0) for s in data.SCENARIOS]
        scenarios = [rng.choices(data.SCENARIOS, weights=odds)[0] for _ in range(count)]
        # A few personal-safety (S1) cases, always.
        safety = [s for s in data.SCENARIOS if s.safety]
        needed = min(3, count // 10) - sum(1 for s in scenarios if s.safety)
        for i in rng.sample(range(count), max(0, needed)):
            scenarios[i] = rng.choice(safety)
        return list(zip(times, targets, scenarios, strict=True))

    def build(self, count: int, days: int) -> None:
        for opened, target, scenario in self.plan(count, days):
            self.clock.set(opened)
            self.walk(target, scenario)

    # -- one case -----------------------------------------------------------------------

    def _channel(self, handles: list[tuple[str, Identity | None]]) -> tuple[str, Identity | None]:
        """One of the customer's own handles, or now and then the web form (no handle)."""
        return ("webform", None) if self.rng.random() < 0.12 else self.rng.choice(handles)

    def _prepare(self, scenario: data.Scenario) -> _Walk:
        rng = self.rng
        customer, lang, handles = self._customer()
        channel, identity = self._channel(handles)
        if lang == "zh-hans":
            branch = self.branches[data.SHANGHAI]
        else:
            branch = self.branches[rng.choice([c for c in self.branches if c != data.SHANGHAI])]
        walk = _Walk(scenario, customer, lang, channel, identity, branch)
        hant, hans, en = data.DISHES[scenario.product]
        walk.values = {
            "dish": {"hant": hant, "hans": hans, "en": en}[walk.key], "dish_en": en,
            "hour": rng.choice([11, 12, 13, 18, 19, 20, 21]),
            "amount": rng.choice([180, 280, 450, 620, 890, 1290, 1580]),
            "minutes": rng.choice([50, 65, 80, 95, 110]),
            "order": f"{'SH' if lang == 'zh-hans' else 'TW'}{rng.randrange(10**7, 10**8)}",
            "branch": {"hant": branch.name_zh_hant, "hans": branch.name_zh_hans, "en": branch.name_en}[walk.key],
        }
        return walk

    def _text(self, walk: _Walk) -> tuple[str, str]:
        rng = self.rng
        subject, body = rng.choice(getattr(walk.scenario, walk.key))
        body = rng.choice(data.OPENINGS[walk.key]) + body + rng.choice(data.CLOSINGS[walk.key])
        return subject.format(**walk.values), body.format(**walk.values)

    def _people(self, scenario: data.Scenario) -> tuple[Any, Any]:
        """Who opens the case and who owns the work, by the department the complaint is for."""
        u = self.users
        opener = u["agent2"] if scenario.department == "logistics" else u["agent"]
        owner = {"logistics": u["agent2"], "store-ops": u["staff"], "qa-food-safety": u["staff"]}.get(scenario.department, u["agent"])
        return opener, owner

    def _wait(self, low_minutes: int, high_minutes: int) -> None:
        self.clock.advance(timedelta(minutes=self.rng.randrange(low_minutes, high_minutes)))

    def walk(self, target: str, scenario: data.Scenario) -> Case:
        if target == "spam":
            return self._spam()
        if target == "duplicate":
            duplicate = self._duplicate()
            if duplicate is not None:
                return duplicate
            target = "intake"
        rng, u = self.rng, self.users
        walk = self._prepare(scenario)
        opener, owner = self._people(scenario)
        subject, body = self._text(walk)
        fields: dict[str, Any] = {"branch": walk.branch, "product": scenario.product, "category": scenario.category}
        if target != "intake" or rng.random() < 0.5:
            fields.update(severity=scenario.severity, department=scenario.department)
        if scenario.safety:
            fields.update(safety=True, department=scenario.department)
        case = cases.open_case(
            customer=walk.customer, subject=subject, channel=walk.channel, body=body, by=opener,
            fields=fields, author_identity=walk.identity,
        )
        self.opened.append((case, walk, opener))
        if target == "intake":
            return case

        self._wait(5, 15) if scenario.safety else self._wait(20, 240)
        cases.update_case(case, by=opener, fields={"assignee": owner, "department": scenario.department})
        acks = data.SAFETY_ACKS if scenario.safety else data.ACKS
        cases.record_reply(case, body=acks[walk.key].format(name=walk.customer.display_name, number=case.number), by=owner)
        if scenario.safety:
            cases.add_note(case, body=rng.choice(data.SAFETY_NOTES), by=owner)
        # The safety classifier may have made the case S1 from the customer's words; an
        # agent does not lower that (only a manager may, with a reason).
        severity = {} if case.safety else {"severity": scenario.severity}
        case = transition(case, "investigation", by=owner, fields=severity)
        if rng.random() < 0.2:
            self._wait(60, 72 * 60)
            cases.record_customer_message(
                case, body=rng.choice(data.FOLLOW_UPS[walk.key]), by=None, channel=walk.channel,
                author_identity=walk.identity,
            )
        if target == "investigation":
            return case

        self._wait(120, 48 * 60)
        findings = data.FINDINGS[scenario.root_cause]
        case = transition(case, "response", by=owner, fields={"findings": findings, "root_cause": scenario.root_cause})
        if target == "response":
            return case

        self._wait(60, 24 * 60)
        reply = data.RESOLUTIONS[walk.key].format(
            name=walk.customer.display_name, findings=findings,
            resolution=ResolutionCode(scenario.resolution).label,
        )
        cases.record_reply(case, body=reply, by=owner, carries_resolution=True)
        resolution: dict[str, Any] = {"resolution_code": scenario.resolution}
        if scenario.compensation:
            resolution["compensation_amount"] = scenario.compensation
        elif scenario.resolution == "refund":
            resolution["compensation_amount"] = walk.values["amount"]
        cases.update_case(case, by=owner, fields=resolution)
        amount = resolution.get("compensation_amount")
        if amount and amount > policy_document(case.policy).compensation_approval_threshold:
            self._wait(30, 6 * 60)
            cases.approve_compensation(case, by=u["manager"])
        case = transition(case, "qa", by=owner)
        if target == "qa":
            return case

        self._wait(60, 24 * 60)
        checklist = {item.id: True for item in policy_document(case.policy).qa_checklist}
        if rng.random() < 0.1:
            case = transition(case, "investigation", by=u["qa"], reason=rng.choice(data.QA_REJECT_REASONS))
            self._wait(120, 24 * 60)
            cases.add_note(case, body="已補充改善措施與佐證資料，重新送審。", by=owner)
            case = transition(case, "response", by=owner)
            cases.record_reply(case, body=reply + "\n（補充：門市已完成教育訓練並加強稽核。）", by=owner, carries_resolution=True)
            case = transition(case, "qa", by=owner)
            self._wait(60, 12 * 60)
        case = transition(case, "closed", by=u["qa"], checklist=checklist)
        if target == "reopened":
            self._wait(24 * 60, 10 * 24 * 60)
            case = transition(case, "investigation", by=owner, reason=rng.choice(data.REOPEN_REASONS))
        return case

    def _spam(self) -> Case:
        rng, u = self.rng, self.users
        customer, _lang, handles = self._new_customer()
        channel, identity = self._channel(handles)
        subject, body = rng.choice(data.SPAM_TEXTS)
        case = cases.open_case(customer=customer, subject=subject, channel=channel, body=body, by=u["agent"], author_identity=identity)
        self._wait(10, 180)
        return transition(case, "closed", by=u["manager"], via="close_spam", reason=rng.choice(data.SPAM_REASONS))

    def _duplicate(self) -> Case | None:
        """The same customer writes again about the same thing, on another channel."""
        rng = self.rng
        if not self.opened:
            return None
        master, walk, opener = rng.choice(self.opened[-40:])
        if not can_view(opener, master):
            return None
        others = [h for h in self.customers if h[0].pk == walk.customer.pk][0][2]
        channel, identity = self._channel(others)
        subject, body = self._text(walk)
        case = cases.open_case(
            customer=walk.customer, subject=subject, channel=channel, body=body, by=opener,
            fields={"branch": walk.branch, "category": walk.scenario.category, "product": walk.scenario.product},
            author_identity=identity,
        )
        self._wait(10, 120)
        return transition(case, "closed", by=opener, via="close_duplicate", fields={"duplicate_of": master.number})


def build_knowledge(users: dict[str, Any]) -> None:
    """Knowledge articles and reply templates, and the company's branches and products in
    the domain dictionary (so 台中公益店 or 紅燒牛肉麵 is read as one word). Idempotent."""
    from django.core.exceptions import ValidationError

    from tingjian.knowledge.demo import load_demo_content
    from tingjian.textintel import dictionary
    from tingjian.textintel.models import DomainWord, WordKind
    from tingjian.textintel.script import normalise

    load_demo_content(users["manager"])
    known = set(DomainWord.objects.values_list("normalised", flat=True))
    for model, kind in ((Branch, WordKind.BRANCH), (Product, WordKind.PRODUCT)):
        for obj in model.objects.all():
            try:
                if normalise(obj.name_zh_hant) not in known:
                    dictionary.add_word(obj.name_zh_hant, kind, obj.name_en, by=users["admin"])
            except ValidationError:
                continue  # a name the dictionary cannot hold as one word (spaces, punctuation)


def build_service_levels() -> None:
    """Calendars (Taiwan and mainland China, with their 2026 holidays), the Shanghai branch on
    the mainland calendar, 品保/食安 as the safety department with a head, and team leads for
    the ladder. Idempotent; an administrator's later edits are kept."""
    with transaction.atomic():
        calendars = holidays.seed_default_calendars()
        for branch in Branch.objects.all():
            code = "cn-office" if branch.code == data.SHANGHAI else "tw-office"
            if not BranchCalendar.objects.filter(branch=branch).exists():
                sla_calendars.assign_branch(calendars[code], branch, by=None)
        safety = Department.objects.get(code=data.SAFETY_DEPARTMENT)
        row = sla_services.sla_settings()
        if row.safety_department_id is None:
            row.safety_department = safety
            row.save(update_fields=["safety_department", "updated_at"])
        for username, _roles, _departments, heads, _display in data.USERS:
            # Also for a demo database made before the ladder existed.
            Membership.objects.filter(user__username=username, department__code__in=heads).update(is_head=True)
        for team, username in data.TEAM_LEADS:
            Team.objects.filter(code=team, lead__isnull=True).update(
                lead=get_user_model().objects.filter(username=username).first()
            )


def build_cases(users: dict[str, Any], *, count: int, seed: int = 2026, days: int = 90) -> None:
    """``count`` cases over the last ``days`` days, all or none (one transaction).

    The cases' SLA events older than two days are recorded as history without alerts; the
    recent ones alert as they would have (reminders, breaches, the ladder), so the at-risk
    and escalations boards have something true to show.
    """
    real_now = clock.now()
    fake = BackDatedClock(limit=real_now - timedelta(minutes=5))
    with transaction.atomic(), clock_replaced_by(fake):
        CaseBuilder(users, seed=seed, clock=fake).build(count, days)
        recent = real_now - timedelta(days=2)
        sla_timers.settle_history(before=recent)
        _acknowledge_past_alerts(before=recent, fake=fake, rng=random.Random(seed))
    sla_timers.sweep()


def _acknowledge_past_alerts(*, before: datetime, fake: BackDatedClock, rng: random.Random) -> None:
    """The people of the demo took the alerts of the past within minutes, as staff do; the
    last two days' alerts are left for the visitor to see and acknowledge."""
    pending = Notification.objects.filter(
        requires_ack=True, acknowledged_at__isnull=True, created_at__lt=before
    ).select_related("recipient").order_by("created_at", "pk")
    for note in pending:
        fake.set(note.created_at + timedelta(minutes=rng.randrange(2, 25)))
        alert_services.acknowledge(note, by=note.recipient, via="app")
