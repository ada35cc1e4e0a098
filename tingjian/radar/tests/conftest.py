"""Fixtures of the radar tests: a frozen clock, a PR user, logged-in clients and a helper that
writes a generated stream of complaint history in bulk (history is test data, not a write
path: the radar only reads ``Case.opened_at`` and the case's dimensions)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tingjian.cases.models import Case
from tingjian.cases.workflow.policy import active_policy
from tingjian.org.tests.factories import BranchFactory, CategoryFactory, make_user

TAIPEI = ZoneInfo("Asia/Taipei")
# A Wednesday, 15:20 in Taipei.
NOW = datetime(2026, 3, 18, 15, 20, tzinfo=TAIPEI)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def pr_user(company: dict[str, Any]) -> Any:
    return make_user("pr", "pr")


@pytest.fixture
def client_for(users: dict[str, Any], pr_user: Any) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(pr_user if role == "pr" else users[role])
        return client

    return make


@pytest.fixture
def taxonomy(company: dict[str, Any]) -> dict[str, Any]:
    group = CategoryFactory(code="food-quality", parent=None)
    return {
        "foreign": CategoryFactory(code="foreign-object", parent=group, name_zh_hant="異物", name_zh_hans="异物", name_en="Foreign object"),
        "cold": company["category"],
        "late": CategoryFactory(code="late-delivery", parent=group, name_en="Late delivery"),
        "xinyi": company["branch"],
        "qinmei": BranchFactory(code="txg-qinmei", name_zh_hant="台中勤美店", name_en="Taichung Qinmei"),
    }


def hourly_rate(local: datetime) -> float:
    """Complaints per hour of a restaurant chain: lunch and dinner peaks, quiet nights,
    busier weekends."""
    hour = local.hour
    if 11 <= hour <= 13:
        rate = 3.0
    elif 18 <= hour <= 20:
        rate = 3.5
    elif 9 <= hour <= 21:
        rate = 1.0
    else:
        rate = 0.1
    return rate * (1.4 if local.weekday() >= 5 else 1.0)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


@pytest.fixture
def write_cases(customer: Any) -> Callable[..., list[Case]]:
    counter = iter(range(1, 10**7))

    def write(rows: list[dict[str, Any]]) -> list[Case]:
        policy = active_policy()
        cases = []
        for row in rows:
            at = row.pop("at")
            n = next(counter)
            cases.append(Case(
                number=f"T-{n:07d}", customer=row.pop("customer", customer), subject=row.pop("subject", f"歷史 {n}"),
                origin_channel=row.pop("channel", "phone"), opened_at=at, stage_entered_at=at, policy=policy, **row,
            ))
        return Case.objects.bulk_create(cases, batch_size=500)

    return write


@pytest.fixture
def steady_stream(taxonomy: dict[str, Any], write_cases: Callable[..., list[Case]]) -> Callable[..., int]:
    """Seasonal Poisson complaint history from ``start`` to ``end``, spread over categories,
    branches and channels with fixed shares (a fixed seed: the same stream every run)."""

    def make(start: datetime, end: datetime, *, seed: int = 6) -> int:
        rng = random.Random(seed)
        categories = [(taxonomy["cold"], 0.5), (taxonomy["late"], 0.3), (taxonomy["foreign"], 0.2)]
        branches = [(taxonomy["xinyi"], 0.6), (taxonomy["qinmei"], 0.4)]
        channels = [("phone", 0.4), ("line", 0.4), ("messenger", 0.2)]
        rows = []
        hour = start.astimezone(TAIPEI).replace(minute=0, second=0, microsecond=0)
        while hour < end:
            for _ in range(_poisson(rng, hourly_rate(hour))):
                rows.append({
                    "at": hour + timedelta(seconds=rng.randrange(3600)),
                    "category": rng.choices([c for c, _w in categories], [w for _c, w in categories])[0],
                    "branch": rng.choices([b for b, _w in branches], [w for _b, w in branches])[0],
                    "channel": rng.choices([c for c, _w in channels], [w for _c, w in channels])[0],
                })
            hour += timedelta(hours=1)
        rows = [r for r in rows if r["at"] < end]
        write_cases(rows)
        return len(rows)

    return make


@pytest.fixture
def spike(
    write_cases: Callable[..., list[Case]], taxonomy: dict[str, Any], company: dict[str, Any], traveller: Any,
) -> list[Case]:
    """Twelve 異物 complaints at 台中勤美店 in the last quarter hour (usually none): half for
    customer service, half for logistics. History starts nine weeks ago."""
    write_cases([{"at": NOW - timedelta(weeks=9), "category": taxonomy["cold"]}])
    return write_cases([
        {
            "at": NOW - timedelta(minutes=m), "category": taxonomy["foreign"], "branch": taxonomy["qinmei"],
            "channel": "line", "department": company["cs"] if m % 2 else company["logistics"],
            "subject": f"便當裡有異物 {m}",
        }
        for m in range(1, 13)
    ])
