"""The company the synthetic cases belong to, read once from the org tables.

Each category of the demo taxonomy has a profile: how common it is, which department owns
it, which products, root causes and resolutions go with it, how severe it tends to be,
where it happens (dine-in, delivery, payment, app) and how often it is a personal-safety
case. Categories another company defined get a plain profile with a skewed weight by
their order, so the generator works on any org data; on an empty database the demo's
structure is created first (``builder.build_structure``, idempotent).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth import get_user_model

from tingjian.cases.workflow import active_policy, policy_document
from tingjian.org.models import Branch, Category, Department, Membership, Product, RootCause, Team
from tingjian.org.roles import Role

from . import builder, data
from .generator_text import Dice


@dataclass(frozen=True)
class Profile:
    weight: float
    department: str
    products: tuple[str, ...]
    root_causes: tuple[str, ...]
    resolutions: tuple[str, ...]  # most usual first
    severity: tuple[float, float, float]  # odds of S2, S3, S4 (S1 is for safety cases)
    modes: tuple[str, ...]  # dine, takeout, delivery, pay, app: which context sentences fit
    safety: float = 0.0


_FOOD = ("dine", "takeout", "delivery")
PROFILES = {
    "late-delivery": Profile(14, "logistics", ("delivery", "bento", "beef-noodles"), ("courier", "staffing"), ("apology", "refund", "compensation"), (2, 45, 53), ("delivery",)),
    "rude-staff": Profile(10, "store-ops", ("bento", "beef-noodles", "bubble-tea"), ("training", "staffing"), ("apology", "corrective_action"), (10, 60, 30), ("dine", "takeout")),
    "long-wait": Profile(8, "store-ops", ("beef-noodles", "bento", "dumplings"), ("staffing", "procedure"), ("apology", "explained"), (0, 30, 70), ("dine", "takeout")),
    "wrong-order": Profile(8, "store-ops", ("bento", "bubble-tea", "beef-noodles", "dumplings"), ("procedure", "training"), ("replacement", "refund", "apology"), (0, 35, 65), ("takeout", "delivery", "dine")),
    "missing-item": Profile(7, "logistics", ("delivery", "bubble-tea", "bento"), ("courier", "procedure"), ("refund", "replacement"), (0, 30, 70), ("delivery",)),
    "temperature": Profile(6, "store-ops", ("beef-noodles", "bento", "dumplings"), ("procedure", "packaging", "courier"), ("replacement", "apology", "refund"), (0, 30, 70), ("dine", "delivery")),
    "invoice-error": Profile(6, "cs", ("membership", "app"), ("system", "procedure", "misunderstanding"), ("explained", "corrective_action"), (0, 30, 70), ("pay",)),
    "refund": Profile(6, "cs", ("delivery", "app"), ("procedure", "system"), ("refund", "explained"), (5, 60, 35), ("pay", "delivery")),
    "portion": Profile(5, "store-ops", ("bento", "beef-noodles", "bubble-tea"), ("training", "procedure", "misunderstanding"), ("explained", "apology"), (0, 20, 80), ("dine", "takeout")),
    "app-error": Profile(5, "cs", ("app",), ("system",), ("explained", "apology", "referred"), (5, 55, 40), ("app",)),
    "points-missing": Profile(5, "cs", ("membership",), ("system", "misunderstanding"), ("apology", "explained"), (0, 30, 70), ("app", "pay")),
    "foreign-object": Profile(4, "qa-food-safety", ("bento", "beef-noodles", "dumplings"), ("supplier", "procedure", "equipment"), ("refund", "replacement", "apology", "compensation"), (40, 50, 10), _FOOD, safety=0.05),
    "hygiene": Profile(4, "store-ops", ("dumplings", "bento"), ("procedure", "training"), ("corrective_action", "apology"), (15, 60, 25), ("dine",)),
    "double-charge": Profile(4, "cs", ("app", "membership", "delivery"), ("system",), ("refund",), (10, 70, 20), ("pay", "app")),
    "payment-failed": Profile(4, "cs", ("app",), ("system",), ("refund", "explained"), (10, 60, 30), ("app", "pay")),
    "spilled": Profile(4, "logistics", ("delivery", "bubble-tea", "beef-noodles"), ("packaging", "courier"), ("replacement", "refund"), (0, 25, 75), ("delivery",)),
    "food-poisoning": Profile(0.4, "qa-food-safety", ("bento", "dumplings", "beef-noodles"), ("supplier", "procedure"), ("compensation", "refund"), (1, 0, 0), _FOOD, safety=1.0),
    "allergy": Profile(0.2, "qa-food-safety", ("bubble-tea", "bento"), ("procedure", "training"), ("compensation",), (1, 0, 0), _FOOD, safety=1.0),
    "burn": Profile(0.2, "store-ops", ("beef-noodles",), ("procedure", "training"), ("compensation",), (1, 0, 0), ("dine",), safety=1.0),
}
_ANY_MODE = ("dine", "takeout", "delivery", "pay", "app")
_RESOLUTION_ODDS = (0.6, 0.25, 0.1, 0.05)
_MAINLAND_ZONES = ("Asia/Shanghai", "Asia/Chongqing", "Asia/Urumqi")


@dataclass
class Labels:
    id: int
    code: str
    names: dict[str, str]  # hant, hans, en

    @classmethod
    def of(cls, obj: Branch | Product | RootCause | Category) -> Labels:
        return cls(obj.pk, obj.code, {"hant": obj.name_zh_hant, "hans": obj.name_zh_hans, "en": obj.name_en})


@dataclass
class CategoryPlan:
    """One leaf category and what goes with it, resolved to ids."""

    id: int
    code: str
    profile: Profile
    department: int | None
    products: list[Labels]
    root_causes: list[Labels]
    resolution_cum: list[float] = field(default_factory=list)
    severity_cum: list[float] = field(default_factory=list)


class Org:
    """Ids, labels and skews of everything a case refers to; small, kept for the whole run."""

    def __init__(self, rng: random.Random) -> None:
        if not (
            Category.objects.filter(parent__isnull=False, is_active=True).exists()
            and Branch.objects.filter(is_active=True).exists()
            and Department.objects.filter(is_active=True).exists()
        ):
            builder.build_structure()
        departments = {d.code: d.pk for d in Department.objects.filter(is_active=True)}
        products = {p.code: Labels.of(p) for p in Product.objects.filter(is_active=True)}
        root_causes = {r.code: Labels.of(r) for r in RootCause.objects.filter(is_active=True)}
        self.root_causes = root_causes
        leaves = list(Category.objects.filter(parent__isnull=False, is_active=True).order_by("code"))
        self.categories: list[CategoryPlan] = []
        for rank, category in enumerate(leaves):
            profile = PROFILES.get(category.code) or Profile(
                12 / (rank + 1) ** 0.8, "cs", (), (), ("explained", "apology", "refund"), (5, 45, 50), _ANY_MODE
            )
            department = departments.get(profile.department) or (rng.choice(sorted(departments.values())) if departments else None)
            plan = CategoryPlan(
                category.pk, category.code, profile, department,
                [products[c] for c in profile.products if c in products] or list(products.values()),
                [root_causes[c] for c in profile.root_causes if c in root_causes] or list(root_causes.values()),
            )
            plan.resolution_cum = list(accumulate(_RESOLUTION_ODDS[: len(profile.resolutions)]))
            plan.severity_cum = list(accumulate(profile.severity))
            self.categories.append(plan)
        self.category_cum = list(accumulate(c.profile.weight for c in self.categories))

        # A few big branches take most complaints (Zipf-like, in a seeded order); the
        # mainland branches (Asia/Shanghai) are where 简体 customers go.
        rows = list(Branch.objects.filter(is_active=True).order_by("code"))
        branches = [Labels.of(b) for b in rows]
        china = [Labels.of(b) for b in rows if b.time_zone in _MAINLAND_ZONES]
        taiwan = [Labels.of(b) for b in rows if b.time_zone not in _MAINLAND_ZONES]
        self.branches = {"tw": taiwan or branches, "cn": china or branches}
        self.branch_cum = {}
        for key, group in self.branches.items():
            order = list(range(len(group)))
            rng.shuffle(order)
            weights = [0.0] * len(group)
            for rank, i in enumerate(order):
                weights[i] = 1 / (rank + 1) ** 0.7
            self.branch_cum[key] = list(accumulate(weights))

        self.teams: dict[int, list[int]] = {}
        for team_id, department_id in Team.objects.filter(is_active=True).values_list("pk", "department_id"):
            self.teams.setdefault(department_id, []).append(team_id)
        users = get_user_model().objects.filter(is_active=True)
        self.members: dict[int, list[int]] = {}
        memberships = Membership.objects.filter(user__is_active=True).order_by("user_id", "department_id")
        for user_id, department_id in memberships.values_list("user_id", "department_id"):
            self.members.setdefault(department_id, []).append(user_id)
        self.agents = sorted(set(users.filter(groups__name=Role.AGENT).values_list("pk", flat=True)))
        self.managers = sorted(set(users.filter(groups__name=Role.MANAGER).values_list("pk", flat=True)))
        self.reviewers = sorted(set(users.filter(groups__name=Role.QA).values_list("pk", flat=True)))
        self.anyone = sorted(users.values_list("pk", flat=True))
        policy = active_policy()
        self.policy_id = policy.pk
        self.approval_threshold = policy_document(policy).compensation_approval_threshold

    def dish(self, product: Labels, key: str) -> str:
        names = data.DISHES.get(product.code)
        if names:
            return names[{"hant": 0, "hans": 1, "en": 2}[key]]
        return product.names[key]

    def owner(self, rng: Dice, department: int | None) -> int | None:
        """Someone of the owning department, else an agent, else anybody; None with no users."""
        pool = self.members.get(department or -1) or self.agents or self.anyone
        return rng.pick(pool) if pool else None

    def compensation(self, rng: Dice, *, safety: bool, refund: int) -> Decimal:
        """A refund gives back what was paid; a personal-safety case is compensated more."""
        if safety:
            return Decimal(rng.pick((500, 1000, 1500, 2000, 3000, 5000)))
        return Decimal(refund)
