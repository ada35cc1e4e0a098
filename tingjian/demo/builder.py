"""Builds the demo company and its cases through the real services and workflow engine.

Nothing is inserted behind the engine's back: every case is opened with
``cases.services.open_case`` and moved with ``cases.workflow.transition``, with the clock
moved back in time so the history looks lived-in. A fixed seed makes it repeatable.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from tingjian import clock
from tingjian.cases import services as cases
from tingjian.cases.models import Case
from tingjian.cases.permissions import can_view
from tingjian.cases.workflow import policy_document, transition
from tingjian.customers import services as customers
from tingjian.customers.models import Customer
from tingjian.org import services as org
from tingjian.org.models import Branch, Category, Department, Product, RootCause, Team

from . import data


@contextmanager
def clock_at(start: datetime) -> Iterator[Callable[[timedelta], None]]:
    """Freeze ``clock.now`` at ``start``; the yielded function moves it forward."""
    current = [start]
    real = clock.now
    clock.now = lambda: current[0]  # type: ignore[method-assign]

    def advance(by: timedelta) -> None:
        current[0] = current[0] + by

    try:
        yield advance
    finally:
        clock.now = real  # type: ignore[method-assign]


def build_structure() -> dict[str, Any]:
    """The company's structure and people (idempotent); returns the users by name."""
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
        for username, role, departments, is_head, display in data.USERS:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model.objects.create_user(
                    username=username, password=data.demo_password(username), email=f"{username}@demo.tingjian.local"
                )
                org.set_roles(user, [role])
                if role == "admin":
                    user.is_staff = user.is_superuser = True
                    user.save(update_fields=["is_staff", "is_superuser"])
                for n, code in enumerate(departments):
                    member_of = Department.objects.get(code=code)
                    org.join_department(user, member_of, is_head=is_head and n == 0, team=member_of.teams.first())
                org.ensure_profile(user, display_name=display)
            users[username] = user_model.objects.get(pk=user.pk)
    return users


def _customers(rng: random.Random, n: int) -> list[tuple[Customer, str]]:
    """n customers with their writing language; some reachable on two channels."""
    made = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.15:
            lang, name = "zh-hans", rng.choice(data.SH_SURNAMES) + rng.choice(data.SH_GIVEN) + rng.choice(["", "先生", "女士"])
        elif roll < 0.22:
            lang, name = "en", rng.choice(data.EN_NAMES)
        else:
            lang, name = "zh-hant", rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)
        identities = [("phone", f"09{rng.randrange(10_000_000, 99_999_999)}")]
        if i % 3 == 0:
            identities.append(("line", f"U{rng.getrandbits(128):032x}"))
        if i % 5 == 0:
            identities.append(("email", f"customer{i}@example.com"))
        if lang == "zh-hans" and i % 2 == 0:
            identities.append(("wechat_openid", f"o{rng.getrandbits(110):028x}"))
        made.append((customers.create_customer(display_name=name, by=None, language=lang, identities=identities), lang))
    return made


_TARGETS = [("intake", 14), ("investigation", 12), ("response", 9), ("qa", 8), ("closed", 50), ("duplicate", 3), ("spam", 2), ("reopened", 2)]
_CHANNEL_FOR_LANG = {
    "zh-hant": ["phone", "line", "line", "messenger", "email", "webform", "phone"],
    "zh-hans": ["wechat", "wechat", "phone", "email", "webform"],
    "en": ["email", "webform", "messenger", "phone"],
}
_CHECKLIST: dict[str, bool] = {}


def build_cases(users: dict[str, Any], *, count: int, seed: int = 2026, days: int = 90) -> Counter[str]:
    rng = random.Random(seed)
    people = _customers(rng, max(10, count * 2 // 3))
    branches = {b.code: b for b in Branch.objects.all()}
    stages: Counter[str] = Counter()
    start = clock.now()
    opened_list = sorted(start - timedelta(minutes=rng.randrange(30, days * 24 * 60)) for _ in range(count))
    masters: list[Case] = []
    for opened in opened_list:
        customer, lang = rng.choice(people)
        # Personal-safety complaints are a small share of the real mix.
        scenario = rng.choices(data.SCENARIOS, weights=[0.2 if s.safety else 1.0 for s in data.SCENARIOS])[0]
        branch = branches["sha-jingan"] if lang == "zh-hans" else branches[rng.choice([c for c in branches if c != "sha-jingan"])]
        target = rng.choices([t for t, _ in _TARGETS], weights=[w for _, w in _TARGETS])[0]
        age = start - opened
        if age < timedelta(days=2) and target not in ("intake", "investigation"):
            target = "intake"
        with clock_at(opened) as advance:
            case = _walk(rng, users, customer, lang, scenario, branch, target, masters, advance)
        masters.append(case)
        stages[case.stage] += 1
    return stages


def _text(lang: str, pair: Any, scenario: data.Scenario, rng: random.Random) -> tuple[str, str]:
    hant, hans, en = data.DISHES[scenario.product]
    values = {"dish": hans if lang == "zh-hans" else hant, "dish_en": en, "hour": rng.choice([11, 12, 18, 19, 20]), "amount": rng.choice([280, 450, 620, 1290])}
    subject, body = pair
    return subject, body.format(**values)


def _walk(
    rng: random.Random, users: dict[str, Any], customer: Customer, lang: str, scenario: data.Scenario,
    branch: Branch, target: str, masters: list[Case], advance: Callable[[timedelta], None],
) -> Case:
    key = {"zh-hans": "hans", "en": "en"}.get(lang, "hant")
    subject, body = _text(lang, getattr(scenario, key), scenario, rng)
    channel = rng.choice(_CHANNEL_FOR_LANG[lang])
    owner = {"logistics": users["agent2"], "store-ops": users["staff"], "qa-food-safety": users["staff"]}.get(scenario.department, users["agent"])
    opener = users["agent2"] if scenario.department == "logistics" else users["agent"]
    fields: dict[str, Any] = {"branch": branch, "product": scenario.product, "category": scenario.category}
    if target != "intake" or rng.random() < 0.5:
        fields.update(severity=scenario.severity, department=scenario.department)
    if scenario.safety:
        fields.update(safety=True, severity=1, department=scenario.department)
    case = cases.open_case(customer=customer, subject=subject, channel=channel, body=body, by=opener, fields=fields)
    if target == "intake":
        return case
    visible = [m for m in masters[-30:] if can_view(opener, m)]
    if target == "duplicate" and visible:
        master = rng.choice(visible)
        advance(timedelta(minutes=rng.randrange(10, 90)))
        return transition(case, "closed", by=opener, via="close_duplicate", fields={"duplicate_of": master.number})
    if target == "spam":
        advance(timedelta(minutes=rng.randrange(10, 120)))
        return transition(case, "closed", by=users["manager"], via="close_spam", reason="廣告推銷訊息，與服務無關，依規定結案。")

    advance(timedelta(minutes=rng.randrange(5, 15) if scenario.safety else rng.randrange(20, 240)))
    cases.update_case(case, by=opener, fields={"assignee": owner, "department": scenario.department})
    cases.record_reply(case, body=data.ACKS[key].format(name=customer.display_name, number=case.number), by=owner)
    case = transition(case, "investigation", by=owner, fields={"severity": scenario.severity})
    if target == "investigation":
        return case

    advance(timedelta(hours=rng.randrange(2, 48)))
    findings = data.FINDINGS[scenario.root_cause]
    case = transition(case, "response", by=owner, fields={"findings": findings, "root_cause": scenario.root_cause})
    if target == "response":
        return case

    advance(timedelta(hours=rng.randrange(1, 24)))
    resolution = dict(Case._meta.get_field("resolution_code").flatchoices)[scenario.resolution]
    reply = data.RESOLUTIONS[key].format(name=customer.display_name, findings=findings, resolution=resolution)
    cases.record_reply(case, body=reply, by=owner, carries_resolution=True)
    fields = {"resolution_code": scenario.resolution}
    if scenario.compensation:
        fields["compensation_amount"] = scenario.compensation
    cases.update_case(case, by=owner, fields=fields)
    if scenario.compensation and scenario.compensation > policy_document(case.policy).compensation_approval_threshold:
        advance(timedelta(hours=rng.randrange(1, 6)))
        cases.approve_compensation(case, by=users["manager"])
    case = transition(case, "qa", by=owner)
    if target == "qa":
        return case

    advance(timedelta(hours=rng.randrange(1, 24)))
    checklist = {item.id: True for item in policy_document(case.policy).qa_checklist}
    if rng.random() < 0.08:
        case = transition(case, "investigation", by=users["qa"], reason="回覆未說明後續改善措施，請補充矯正行動。")
        advance(timedelta(hours=rng.randrange(2, 24)))
        case = transition(case, "response", by=owner)
        cases.record_reply(case, body=reply + "（已補充改善措施）", by=owner, carries_resolution=True)
        case = transition(case, "qa", by=owner)
        advance(timedelta(hours=rng.randrange(1, 12)))
    case = transition(case, "closed", by=users["qa"], checklist=checklist)
    if target == "reopened":
        advance(timedelta(days=rng.randrange(1, 10)))
        case = transition(case, "investigation", by=owner, reason="顧客再次來電，表示同樣問題又發生了。")
    return case
