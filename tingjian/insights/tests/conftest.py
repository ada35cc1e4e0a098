"""Fixtures for insights: cases written directly with known timestamps (as the demo generator
does), so KPIs can be checked against values computed by hand."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tingjian.cases.models import Case, Override, Stage
from tingjian.cases.models.case import engine_moving_stage
from tingjian.cases.workflow.policy import active_policy
from tingjian.customers import services as customer_services
from tingjian.sla.models import Clock

TPE = ZoneInfo("Asia/Taipei")
# A Monday in the past, so "today" (moved by time-machine) is well after it.
MONDAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=TPE)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A local (Taipei) time on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=TPE)


@pytest.fixture
def frozen(time_machine: Any) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def make_customer(db: Any) -> Callable[..., Any]:
    counter = itertools.count(1)

    def make(name: str = "") -> Any:
        n = next(counter)
        return customer_services.create_customer(
            display_name=name or f"顧客{n}", by=None, identities=[("phone", f"0900-000-{n:03d}")]
        )

    return make


@pytest.fixture
def make_case(company: dict[str, Any], make_customer: Callable[..., Any]) -> Callable[..., Case]:
    """A case stored as it is, timestamps and all (the workflow is not what these tests test).
    ``closed`` / ``first_response`` are offsets from ``opened`` (timedelta)."""
    numbers = itertools.count(1)
    policy = active_policy()
    default_customer = make_customer()

    def make(
        opened: datetime, *, first_response: timedelta | None = None, closed: timedelta | None = None,
        customer: Any = None, channel: str = "phone", stages: dict[str, timedelta] | None = None,
        **fields: Any,
    ) -> Case:
        values: dict[str, Any] = {
            "branch": company["branch"], "department": company["cs"], "category": company["category"],
            **fields,
        }
        for name, offset in (stages or {}).items():
            values[f"{name}_at"] = opened + offset
        with engine_moving_stage():
            return Case.objects.create(
                number=f"T-{next(numbers):05d}", customer=customer or default_customer, subject="test",
                origin_channel=channel, policy=policy, opened_at=opened, stage_entered_at=opened,
                first_response_at=opened + first_response if first_response is not None else None,
                closed_at=opened + closed if closed is not None else None,
                stage=Stage.CLOSED if closed is not None else Stage.INTAKE,
                **values,
            )

    return make


@pytest.fixture
def make_clock() -> Callable[..., Clock]:
    def make(case: Case, kind: str, *, met: datetime | None = None, breached: datetime | None = None) -> Clock:
        return Clock.objects.create(
            case=case, kind=kind, target_seconds=3600, started_at=case.opened_at, met_at=met, breached_at=breached,
        )

    return make


@pytest.fixture
def make_override(users: dict[str, Any]) -> Callable[..., Override]:
    def make(case: Case, when: datetime) -> Override:
        return Override.objects.create(
            case=case, user=users["manager"], transition="close", from_stage="qa", to_stage="closed",
            failed_guards=["qa_checklist_signed"], reason="the customer asked to close it", at=when,
        )

    return make


@pytest.fixture
def make_answer() -> Callable[..., Any]:
    from tingjian.surveys.models import Answer, Invitation

    counter = itertools.count(1)

    def make(case: Case, when: datetime, *, csat: int | None = None, nps: int | None = None) -> Any:
        invitation = Invitation.objects.create(
            case=case, token_hash=f"{next(counter):064d}", created_at=when - timedelta(hours=1),
            expires_at=when + timedelta(days=14),
        )
        return Answer.objects.create(invitation=invitation, csat=csat, nps=nps, answered_at=when)

    return make


@pytest.fixture
def week(
    frozen: datetime, company: dict[str, Any], users: dict[str, Any], make_case: Callable[..., Case],
    make_customer: Callable[..., Any], make_clock: Callable[..., Clock], make_override: Callable[..., Override],
    make_answer: Callable[..., Any],
) -> dict[str, Any]:
    """The week of Monday 2 March 2026 (and one case the week before), values known by hand:

    c1 Mon 09:15 customer A, phone, cs: answered in 10 min, closed after 2 h, 30 min per stage
    c2 Mon 14:40 customer C, LINE, logistics: answered in 30 min, closed after 24 h (Tue), reopened once
    c3 Tue 10:05 customer A again (a repeat), another branch, safety S1: answered in 5 min, open
    c4 Wed 23:30 customer D, email, no branch, no department: open, unanswered
    c0 Tue 24 Feb customer B; c6 Thu 5 Mar 11:00 customer B again (a repeat), open
    """
    from tingjian.org.tests.factories import BranchFactory

    other_branch = BranchFactory(code="tc-main")
    a, b, c, d = (make_customer(n) for n in ("甲", "乙", "丙", "丁"))
    mon, tue, wed, thu = (MONDAY + timedelta(days=i) for i in range(4))
    c0 = make_case(at(MONDAY - timedelta(days=6), 16), customer=b)
    c1 = make_case(
        at(mon, 9, 15), customer=a, first_response=timedelta(minutes=10), closed=timedelta(hours=2),
        stages={"investigation": timedelta(minutes=30), "response": timedelta(minutes=60), "qa": timedelta(minutes=90)},
    )
    c2 = make_case(
        at(mon, 14, 40), customer=c, channel="line", department=company["logistics"],
        first_response=timedelta(minutes=30), closed=timedelta(hours=24), reopen_count=1,
    )
    c3 = make_case(
        at(tue, 10, 5), customer=a, branch=other_branch, safety=True, severity=1, first_response=timedelta(minutes=5),
    )
    c4 = make_case(at(wed, 23, 30), customer=d, channel="email", branch=None, department=None, category=None)
    c6 = make_case(at(thu, 11), customer=b)
    make_clock(c1, "first_response", met=c1.first_response_at)
    make_clock(c2, "first_response", breached=at(mon, 15, 0), met=c2.first_response_at)
    make_clock(c3, "first_response", met=c3.first_response_at)
    make_clock(c2, "resolution", breached=at(tue, 9), met=c2.closed_at)
    make_override(c2, at(tue, 14, 40))
    make_answer(c1, at(tue, 8), csat=5, nps=10)
    make_answer(c2, at(wed, 8), csat=2, nps=3)
    return {"cases": [c0, c1, c2, c3, c4, c6], "other_branch": other_branch, **company}


def rebuild(start: date, end: date) -> None:
    from tingjian.insights.rollup import compute_day

    day = start
    while day <= end:
        compute_day(day)
        day += timedelta(days=1)


from tingjian.api.tests.conftest import anonymous, api_as  # noqa: E402, F401  (API clients per user)
