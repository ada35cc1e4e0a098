"""The diagnostics pages: filters, the cases behind each number, exports, refusals, query counts."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tingjian.cases import services as case_services
from tingjian.cases.models import Case, ResolutionCode, Stage
from tingjian.cases.models.case import engine_moving_stage
from tingjian.customers import services as customer_services
from tingjian.org.tests.factories import BranchFactory, CategoryFactory, RootCauseFactory
from tingjian.surveys.models import Answer, Invitation

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
FEBRUARY = {"start": "2026-02-02", "end": "2026-03-01"}
PAGES = {
    "cooccurrence": reverse("web:diagnostics-cooccurrence"),
    "recurrence": reverse("web:diagnostics-recurrence"),
    "topics": reverse("web:diagnostics-topics"),
    "surveys": reverse("web:diagnostics-surveys"),
}


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def make_case(company: dict[str, Any], users: dict[str, Any], customer: Any) -> Callable[..., Case]:
    def make(day: date, *, keywords: list[str] | None = None, closed: bool = False, **fields: Any) -> Case:
        who = fields.pop("customer", customer)
        fields.setdefault("branch", company["branch"])
        case = case_services.open_case(
            customer=who, subject="客訴", channel="phone", body="餐點有問題。", by=users["manager"],
            sent_at=local(day), fields=fields,
        )
        if keywords is not None:
            Case.objects.filter(pk=case.pk).update(keywords=keywords)
        if closed:
            with engine_moving_stage():
                Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED, closed_at=local(day, 18), close_reason="resolved")
        return case

    return make


def _dataset(make_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any], *, size: int) -> None:
    """``size`` of each kind of row, so the query counts can be compared across sizes: per
    branch a corrective action that did not hold, a customer who keeps coming back, supplier
    and fridge problems in the same weeks (and a week of staff problems), 異物 rising against
    a baseline of 湯, and survey answers."""
    supplier, fridge, staff = RootCauseFactory(code="supplier"), RootCauseFactory(code="fridge"), RootCauseFactory(code="staff")
    foreign = CategoryFactory(code="foreign-object")
    for i in range(12):
        make_case(date(2026, 1, 5) + timedelta(days=i), keywords=["湯"])
    for i in range(size):
        branch = BranchFactory(code=f"branch-{i}")
        who = customer_services.create_customer(display_name=f"顧客 {i}", by=None, identities=[("phone", f"0912-000-{i:03d}")])
        make_case(date(2026, 1, 20), customer=who, branch=branch, root_cause=supplier,
                  resolution_code=ResolutionCode.CORRECTIVE_ACTION, closed=True)
        for week in (2, 9):
            day = date(2026, 2, week + i % 5)
            make_case(day, customer=who, branch=branch, root_cause=supplier, category=foreign, keywords=["異物"])
            case = make_case(day, customer=who, branch=branch, root_cause=fridge, category=company["category"], keywords=["湯"],
                             assignee=users["agent"])
            invitation = Invitation.objects.create(case=case, token_hash=secrets.token_hex(32), created_at=local(day), expires_at=local(day) + timedelta(days=30))
            Answer.objects.create(invitation=invitation, csat=4, nps=9, answered_at=local(day, 20))
        make_case(date(2026, 2, 23), customer=who, branch=branch, root_cause=staff, category=company["category"])


@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_shows_its_diagnostic(page: str, client_for: Any, make_case: Any, company: Any, users: Any) -> None:
    _dataset(make_case, company, users, size=1)

    response = client_for("manager").get(PAGES[page], FEBRUARY)

    assert response.status_code == 200
    assert response.context["error"] == ""


@pytest.mark.parametrize(("page", "queries"), [("cooccurrence", 11), ("recurrence", 11), ("topics", 9), ("surveys", 11)])
@pytest.mark.parametrize("size", [2, 4])
def test_list_pages_read_a_fixed_number_of_queries(
    page: str, queries: int, size: int, client_for: Any, make_case: Any, company: Any, users: Any, django_assert_num_queries: Any,
) -> None:
    _dataset(make_case, company, users, size=size)
    client = client_for("manager")

    with django_assert_num_queries(queries):
        response = client.get(PAGES[page], FEBRUARY)

    assert response.status_code == 200
    shown = {
        "cooccurrence": lambda c: c["result"].pairs, "recurrence": lambda c: c["actions"].failed and c["repeats"].customers,
        "topics": lambda c: c["topics"].topics, "surveys": lambda c: c["warning"].rows,
    }[page](response.context)
    assert shown, "the page must show rows for its query count to mean something"


@pytest.mark.parametrize("page", list(PAGES))
def test_agents_may_not_see_the_diagnostics(page: str, client_for: Any) -> None:
    assert client_for("agent").get(PAGES[page]).status_code == 403


def test_a_period_in_the_future_is_explained(client_for: Any) -> None:
    response = client_for("manager").get(PAGES["recurrence"], {"start": "2026-04-01", "end": "2026-04-30"})

    assert response.status_code == 400
    assert "has not started yet" in response.content.decode()


@pytest.mark.parametrize("days", ["0", "abc", "999"])
def test_a_bad_number_of_days_is_explained(days: str, client_for: Any) -> None:
    response = client_for("manager").get(PAGES["recurrence"], {**FEBRUARY, "days": days})

    assert response.status_code == 400
    assert "choose a whole number from 1 to 365" in response.content.decode()


def test_an_unknown_window_is_explained(client_for: Any) -> None:
    response = client_for("manager").get(PAGES["cooccurrence"], {**FEBRUARY, "window": "year"})

    assert response.status_code == 400


@pytest.mark.parametrize(("page", "table", "first_column"), [
    ("cooccurrence", "pairs", "Root cause"), ("cooccurrence", "matrix", "Category"),
    ("recurrence", "customers", "Customer"), ("recurrence", "actions", "Corrective action case"),
    ("topics", "topics", "Term"), ("surveys", "warning", "Branch"),
])
def test_each_table_exports_as_csv(page: str, table: str, first_column: str, client_for: Any, make_case: Any, company: Any, users: Any) -> None:
    _dataset(make_case, company, users, size=1)

    response = client_for("manager").get(PAGES[page], {**FEBRUARY, "export": "csv", "table": table})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").split(",")[0] == first_column


def test_a_table_exports_as_xlsx(client_for: Any, make_case: Any, company: Any, users: Any) -> None:
    _dataset(make_case, company, users, size=1)

    response = client_for("manager").get(PAGES["recurrence"], {**FEBRUARY, "export": "xlsx", "table": "actions"})

    assert response.content[:2] == b"PK"


def test_an_unknown_table_is_not_found(client_for: Any) -> None:
    assert client_for("manager").get(PAGES["topics"], {**FEBRUARY, "export": "csv", "table": "nope"}).status_code == 404


def test_the_recurrence_page_lists_the_corrective_action_and_the_cases_after_it(client_for: Any, make_case: Any, company: Any, users: Any) -> None:
    _dataset(make_case, company, users, size=1)

    response = client_for("manager").get(PAGES["recurrence"], FEBRUARY)

    [failed] = response.context["actions"].failed
    assert len(failed.later) == 2
    evidence = client_for("manager").get(failed.url)
    assert evidence.status_code == 200
    assert [c.number for c in evidence.context["cases"]] == [c.number for c in reversed(failed.later)]


def test_the_cases_page_explains_a_broken_link(client_for: Any) -> None:
    response = client_for("manager").get(reverse("web:diagnostics-cases"), {"kind": "pair", **FEBRUARY})

    assert response.status_code == 400
    assert "missing a parameter" in response.content.decode()


def test_the_index_lists_the_questions(client_for: Any) -> None:
    response = client_for("manager").get(reverse("web:diagnostics"))

    assert response.status_code == 200
    assert "Why does it recur?" in response.content.decode()
