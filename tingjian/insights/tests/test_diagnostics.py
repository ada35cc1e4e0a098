"""The diagnostics against small hand-made datasets: hidden causes, recurrence, emerging
topics and the survey early warning."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tingjian.cases import services as case_services
from tingjian.cases.models import Case, ResolutionCode, Stage
from tingjian.cases.models.case import engine_moving_stage
from tingjian.customers import services as customer_services
from tingjian.insights import diagnostics
from tingjian.insights.diagnostics import stats
from tingjian.insights.selectors import Slice
from tingjian.org.tests.factories import BranchFactory, CategoryFactory, RootCauseFactory
from tingjian.surveys.models import Answer, Invitation

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026, 09:00 in Taipei.
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
FEBRUARY = Slice(start=date(2026, 2, 2), end=date(2026, 3, 1))  # four weeks, Monday to Sunday


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def local(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock on ``day`` in Taipei."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def make_case(company: dict[str, Any], users: dict[str, Any], customer: Any) -> Callable[..., Case]:
    def make(day: date, *, keywords: list[str] | None = None, closed: datetime | None = None, **fields: Any) -> Case:
        who = fields.pop("customer", customer)
        fields.setdefault("branch", company["branch"])
        case = case_services.open_case(
            customer=who, subject="客訴", channel="phone", body="餐點有問題。", by=users["manager"],
            sent_at=local(day), fields=fields,
        )
        changes: dict[str, Any] = {}
        if keywords is not None:
            changes["keywords"] = keywords
        if changes:
            Case.objects.filter(pk=case.pk).update(**changes)
        if closed is not None:
            # Fixture data: the workflow's guards are not what these tests are about.
            with engine_moving_stage():
                Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED, closed_at=closed, close_reason="resolved")
        case.refresh_from_db()
        return case

    return make


# ------------------------------------------------------------------------------ statistics


def test_poisson_tail_matches_hand_computation() -> None:
    # P(X ≥ 2 | λ = 1) = 1 − e⁻¹ − e⁻¹
    assert stats.poisson_sf(2, 1.0) == pytest.approx(1 - 2 / 2.718281828459045, rel=1e-9)
    assert stats.poisson_sf(0, 3.0) == 1.0


def test_hypergeometric_tail_matches_hand_computation() -> None:
    # Both of 3 chosen cells among 8 fall on the other cause's 3 cells: 1 / C(8, 3).
    assert stats.hypergeom_sf(3, 8, 3, 3) == pytest.approx(1 / 56)


# ------------------------------------------------------------------------- hidden causes


@pytest.fixture
def causes(make_case: Callable[..., Case], company: dict[str, Any]) -> dict[str, Any]:
    """Supplier and fridge problems turn up in the same branch-weeks; staff problems elsewhere.

    Branch A weeks 1, 2 and branch B week 3 hold both supplier and fridge cases; staff cases
    fill A weeks 3, 4 and B weeks 1, 2, 4: eight branch-weeks in all.
    """
    a, b = company["branch"], BranchFactory(code="tpe-daan")
    supplier, fridge, staff = (RootCauseFactory(code=code) for code in ("supplier", "fridge", "staff"))
    foreign, cold = CategoryFactory(code="foreign-object"), company["category"]
    weeks = [date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23)]
    for branch, week in ((a, 0), (a, 1), (b, 2)):
        make_case(weeks[week] + timedelta(days=1), branch=branch, root_cause=supplier, category=foreign)
        make_case(weeks[week] + timedelta(days=3), branch=branch, root_cause=fridge, category=cold)
    for branch, week in ((a, 2), (a, 3), (b, 0), (b, 1), (b, 3)):
        make_case(weeks[week] + timedelta(days=2), branch=branch, root_cause=staff, category=cold)
    return {"supplier": supplier, "fridge": fridge, "staff": staff, "foreign": foreign, "cold": cold}


def test_root_causes_meeting_in_the_same_branch_weeks_are_found(causes: dict[str, Any], users: Any) -> None:
    result = diagnostics.cooccurrence(FEBRUARY, user=users["manager"])

    assert (result.cells, result.cases) == (8, 11)
    [pair] = result.pairs
    assert {pair.a, pair.b} == {causes["supplier"].pk, causes["fridge"].pk}
    assert (pair.together, pair.a_cells, pair.b_cells) == (3, 3, 3)
    assert pair.expected == pytest.approx(9 / 8)
    assert pair.lift == pytest.approx(8 / 3)
    assert pair.p_value == pytest.approx(1 / 56)
    assert pair.cases == 6


def test_causes_that_never_meet_are_not_paired(causes: dict[str, Any], users: Any) -> None:
    result = diagnostics.cooccurrence(FEBRUARY, user=users["manager"], min_together=1)

    assert all(causes["staff"].pk not in (p.a, p.b) for p in result.pairs)


def test_by_day_the_causes_never_meet(causes: dict[str, Any], users: Any) -> None:
    assert diagnostics.cooccurrence(FEBRUARY, user=users["manager"], window="day").pairs == []


def test_the_pair_leads_to_its_cases(causes: dict[str, Any], users: Any) -> None:
    pair = diagnostics.cooccurrence(FEBRUARY, user=users["manager"]).pairs[0]
    params = dict(part.split("=") for part in pair.url.split("?")[1].split("&"))

    cases, sentence = diagnostics.evidence_cases(params, user=users["manager"])

    assert cases.count() == 6
    assert {c.root_cause_id for c in cases} == {causes["supplier"].pk, causes["fridge"].pk}


def test_a_category_with_a_cause_of_its_own_stands_out(causes: dict[str, Any], users: Any) -> None:
    matrix = diagnostics.category_root_causes(FEBRUARY, user=users["manager"])

    assert matrix.total == 11
    assert [row.label for row in matrix.rows][0] == causes["cold"].full_label  # the largest first
    foreign = next(row for row in matrix.rows if row.key == causes["foreign"].pk)
    column = [key for key, _label in matrix.columns].index(causes["supplier"].pk)
    cell = foreign.cells[column]
    assert (cell.count, cell.share, cell.stands_out) == (3, 1.0, True)
    cold = next(row for row in matrix.rows if row.key == causes["cold"].pk)
    staff = [key for key, _label in matrix.columns].index(causes["staff"].pk)
    assert (cold.cells[staff].count, cold.cells[staff].stands_out) == (5, False)


def test_a_matrix_cell_links_to_the_drill_down_with_category_and_cause(causes: dict[str, Any], users: Any) -> None:
    from tingjian.insights.selectors import drill_cases

    matrix = diagnostics.category_root_causes(FEBRUARY, user=users["manager"])
    foreign = next(row for row in matrix.rows if row.key == causes["foreign"].pk)
    cell = next(cell for cell in foreign.cells if cell.count)
    params = dict(part.split("=") for part in cell.url.split("?")[1].split("&"))

    cases, _sentence = drill_cases(params, user=users["manager"])

    assert cases.count() == 3


# ----------------------------------------------------------------------------- recurrence


@pytest.fixture
def returning(make_case: Callable[..., Case]) -> dict[str, Case]:
    """王小明 writes on 1 and 20 February (19 days apart); 陳美玲 once, on 10 February."""
    other = customer_services.create_customer(display_name="陳美玲", by=None, identities=[("phone", "0933-222-111")])
    return {
        "first": make_case(date(2026, 2, 1)),
        "again": make_case(date(2026, 2, 20)),
        "once": make_case(date(2026, 2, 10), customer=other),
    }


def test_the_same_customer_within_30_days_is_a_repeat(returning: dict[str, Case], users: Any) -> None:
    result = diagnostics.repeat_customers(FEBRUARY, user=users["manager"], days=30)

    assert (result.cases, result.repeats, result.rate) == (2, 1, 0.5)
    [customer] = result.customers
    assert customer.name == "王小明"
    assert [c.number for c in customer.cases] == [returning["first"].number, returning["again"].number]


def test_outside_n_days_it_is_not_a_repeat(returning: dict[str, Case], users: Any) -> None:
    result = diagnostics.repeat_customers(FEBRUARY, user=users["manager"], days=10)

    assert (result.repeats, result.customers) == (0, [])


def test_with_other_n_the_repeats_lead_to_their_cases(returning: dict[str, Case], users: Any) -> None:
    result = diagnostics.repeat_customers(FEBRUARY, user=users["manager"], days=20)
    params = dict(part.split("=") for part in result.url.split("?")[1].split("&"))

    cases, _sentence = diagnostics.evidence_cases(params, user=users["manager"])

    assert [c.number for c in cases] == [returning["again"].number]


@pytest.fixture
def fixed(make_case: Callable[..., Case], company: dict[str, Any]) -> dict[str, Any]:
    """A supplier problem at the branch fixed on 25 January; it comes back on 15 February."""
    supplier, staff = RootCauseFactory(code="supplier"), RootCauseFactory(code="staff")
    other_branch = BranchFactory(code="tpe-daan")
    action = make_case(
        date(2026, 1, 20), root_cause=supplier, resolution_code=ResolutionCode.CORRECTIVE_ACTION,
        closed=local(date(2026, 1, 25)),
    )
    return {
        "action": action,
        "again": make_case(date(2026, 2, 15), root_cause=supplier),
        "elsewhere": make_case(date(2026, 2, 16), root_cause=supplier, branch=other_branch),
        "other cause": make_case(date(2026, 2, 17), root_cause=staff),
        "supplier": supplier,
    }


def test_a_corrective_action_that_did_not_hold_is_listed_with_the_cases_after_it(fixed: dict[str, Any], users: Any) -> None:
    result = diagnostics.corrective_actions_not_held(FEBRUARY, user=users["manager"])

    [failed] = result.failed
    assert failed.action.number == fixed["action"].number
    assert [c.number for c in failed.later] == [fixed["again"].number]
    assert failed.days_to_first == pytest.approx(21.0)


def test_a_corrective_action_closed_after_the_case_is_not_blamed(make_case: Callable[..., Case], users: Any) -> None:
    supplier = RootCauseFactory(code="supplier")
    make_case(date(2026, 2, 10), root_cause=supplier)
    make_case(
        date(2026, 2, 3), root_cause=supplier, resolution_code=ResolutionCode.CORRECTIVE_ACTION,
        closed=local(date(2026, 2, 20)),
    )

    assert diagnostics.corrective_actions_not_held(FEBRUARY, user=users["manager"]).failed == []


def test_an_action_that_is_not_closed_does_not_count(make_case: Callable[..., Case], users: Any) -> None:
    supplier = RootCauseFactory(code="supplier")
    make_case(date(2026, 1, 20), root_cause=supplier, resolution_code=ResolutionCode.CORRECTIVE_ACTION)
    make_case(date(2026, 2, 10), root_cause=supplier)

    assert diagnostics.corrective_actions_not_held(FEBRUARY, user=users["manager"]).failed == []


def test_the_action_leads_to_the_cases_after_it(fixed: dict[str, Any], users: Any) -> None:
    params = {"kind": "action", "case": fixed["action"].number, **FEBRUARY.query()}

    cases, sentence = diagnostics.evidence_cases(params, user=users["manager"])

    assert [c.number for c in cases] == [fixed["again"].number]
    assert fixed["action"].number in sentence


# ------------------------------------------------------------------------- emerging topics


WEEK = Slice(start=date(2026, 3, 2), end=date(2026, 3, 8))


@pytest.fixture
def topics_data(make_case: Callable[..., Case]) -> dict[str, list[Case]]:
    """Four weeks before: each week 3 cases about cold soup and 3 about service. This week:
    3 cases about cold soup again, and 3 about a foreign object (異物), never seen before —
    written in both scripts."""
    for week in range(4):
        monday = WEEK.start - timedelta(days=7 * (week + 1))
        for i in range(3):
            make_case(monday + timedelta(days=i), keywords=["湯", "冷掉"])
            make_case(monday + timedelta(days=i), keywords=["服務", "態度"])
    steady = [make_case(WEEK.start + timedelta(days=i), keywords=["湯", "冷掉"]) for i in range(3)]
    burst = [
        make_case(WEEK.start + timedelta(days=1), keywords=["異物", "頭髮"]),
        make_case(WEEK.start + timedelta(days=2), keywords=["异物", "便当"]),
        make_case(WEEK.start + timedelta(days=3), keywords=["異物"]),
    ]
    return {"steady": steady, "burst": burst}


def test_a_burst_term_is_found_and_a_steady_one_is_not(topics_data: dict[str, list[Case]], users: Any) -> None:
    result = diagnostics.emerging_topics(WEEK, user=users["manager"], baseline_periods=4)

    assert (result.cases, result.baseline_cases) == (6, 24)
    assert [topic.term for topic in result.topics] == ["異物"]
    [topic] = result.topics
    assert (topic.count, topic.baseline, topic.is_new) == (3, 0.0, True)
    assert topic.expected == pytest.approx(6 * 0.5 / 25)
    assert [c.number for c in topic.examples] == [c.number for c in reversed(topics_data["burst"])]  # newest first


def test_the_term_leads_to_its_cases_in_either_script(topics_data: dict[str, list[Case]], users: Any) -> None:
    topic = diagnostics.emerging_topics(WEEK, user=users["manager"], baseline_periods=4).topics[0]
    params = {"kind": "term", "term": topic.key, **WEEK.query()}

    cases, _sentence = diagnostics.evidence_cases(params, user=users["manager"])

    assert {c.number for c in cases} == {c.number for c in topics_data["burst"]}


def test_without_history_no_term_is_called_new(make_case: Callable[..., Case], users: Any) -> None:
    for i in range(3):
        make_case(WEEK.start + timedelta(days=i), keywords=["異物"])

    result = diagnostics.emerging_topics(WEEK, user=users["manager"], baseline_periods=4)

    assert (result.enough_history, result.topics) == (False, [])


def test_a_baseline_of_more_than_8_periods_is_refused(users: Any) -> None:
    with pytest.raises(ValueError):
        diagnostics.emerging_topics(WEEK, user=users["manager"], baseline_periods=9)


# -------------------------------------------------------------------- survey early warning


PREVIOUS_WEEK = WEEK.previous()


@pytest.fixture
def answer(make_case: Callable[..., Case]) -> Callable[..., Answer]:
    def make(day: date, *, csat: int | None, nps: int | None, **fields: Any) -> Answer:
        case = make_case(day, **fields)
        invitation = Invitation.objects.create(
            case=case, token_hash=secrets.token_hex(32), created_at=local(day), expires_at=local(day) + timedelta(days=30),
        )
        return Answer.objects.create(invitation=invitation, csat=csat, nps=nps, answered_at=local(day, 20))

    return make


@pytest.fixture
def scores(answer: Callable[..., Answer], company: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    """Xinyi: five 5/10 answers last week, five 3/5 this week (a dip). Da'an: 4/8 both weeks.
    Zhongshan: a big drop, but on two answers a week."""
    xinyi, daan, zhongshan = company["branch"], BranchFactory(code="tpe-daan"), BranchFactory(code="tpe-zhongshan")
    for i in range(5):
        answer(PREVIOUS_WEEK.start + timedelta(days=i), csat=5, nps=10, branch=xinyi, assignee=users["agent"])
        answer(WEEK.start + timedelta(days=i), csat=3, nps=5, branch=xinyi, assignee=users["agent"])
        answer(PREVIOUS_WEEK.start + timedelta(days=i), csat=4, nps=8, branch=daan, assignee=users["manager"])
        answer(WEEK.start + timedelta(days=i), csat=4, nps=8, branch=daan, assignee=users["manager"])
    for i in range(2):
        answer(PREVIOUS_WEEK.start + timedelta(days=i), csat=5, nps=10, branch=zhongshan)
        answer(WEEK.start + timedelta(days=i), csat=1, nps=0, branch=zhongshan)
    return {"xinyi": xinyi, "daan": daan, "zhongshan": zhongshan}


def test_a_branch_whose_scores_fell_is_flagged_with_its_complaints(scores: dict[str, Any], users: Any) -> None:
    warning = diagnostics.survey_warning(WEEK, user=users["manager"], by="branch")

    [dip] = warning.dips
    assert dip.key == scores["xinyi"].pk
    assert (dip.now.csat, dip.before.csat, dip.csat_change) == (3.0, 5.0, -2.0)
    assert (dip.now.nps, dip.before.nps, dip.nps_change) == (-100.0, 100.0, -200.0)
    assert (dip.complaints, dip.complaints_before) == (5, 5)
    assert warning.rows[0] is dip  # dips first


def test_a_steady_branch_is_not_flagged(scores: dict[str, Any], users: Any) -> None:
    warning = diagnostics.survey_warning(WEEK, user=users["manager"], by="branch")

    daan = next(row for row in warning.rows if row.key == scores["daan"].pk)
    assert (daan.now.csat, daan.now.nps, daan.dips) == (4.0, 0.0, False)


def test_a_drop_on_too_few_answers_is_not_flagged(scores: dict[str, Any], users: Any) -> None:
    warning = diagnostics.survey_warning(WEEK, user=users["manager"], by="branch")

    zhongshan = next(row for row in warning.rows if row.key == scores["zhongshan"].pk)
    assert (zhongshan.csat_change, zhongshan.dips) == (-4.0, False)


def test_by_agent_the_agent_behind_the_dip_is_flagged(scores: dict[str, Any], users: Any) -> None:
    warning = diagnostics.survey_warning(WEEK, user=users["manager"], by="agent")

    assert [row.key for row in warning.dips] == [users["agent"].pk]


def test_a_smaller_threshold_flags_a_smaller_drop(answer: Callable[..., Answer], users: Any) -> None:
    for i in range(5):
        answer(PREVIOUS_WEEK.start + timedelta(days=i), csat=5, nps=None)
        answer(WEEK.start + timedelta(days=i), csat=5 if i else 4, nps=None)  # 4.8 against 5.0

    assert diagnostics.survey_warning(WEEK, user=users["manager"]).dips == []
    assert len(diagnostics.survey_warning(WEEK, user=users["manager"], csat_drop=0.2).dips) == 1
