"""The cases endpoints: scoped reads, writes through the services, moves through the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tingjian.audit.models import AuditEvent
from tingjian.cases import services
from tingjian.cases.models import Case, Override, Stage
from tingjian.cases.workflow import transition
from tingjian.customers.models import Customer
from tingjian.org import services as org_services

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

CHECKLIST = {"facts_verified": True, "every_point_answered": True, "tone": True, "corrective_action": True}


def to_qa(case: Case, users: dict[str, Any], company: dict[str, Any], *, replier: str = "agent") -> Case:
    agent = users["agent"]
    transition(case, "investigation", by=agent)
    transition(case, "response", by=agent, fields={"findings": "外送延遲 40 分鐘", "root_cause": company["root_cause"].code})
    services.record_reply(case, body="已退款並致歉。", by=users[replier], carries_resolution=True)
    return transition(case, "qa", by=agent, fields={"resolution_code": "refund"})


# Reading and scope


def test_agent_sees_own_case_with_stage_policy_fields_and_ways_out(api_as: Callable[[str], ApiClient], ready_for_investigation: Case) -> None:
    response = api_as("agent").get(f"/cases/{ready_for_investigation.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "intake"
    assert body["policy_version"] == 1
    assert body["fields"]["department"] == "cs"
    assert body["fields"]["category"] == "cold-food"
    options = {o["id"]: o for o in body["available_transitions"]}
    assert options["start_investigation"]["ready"] is True
    assert {g["guard"] for g in options["start_investigation"]["guards"]} >= {"category_set", "customer_acknowledged"}
    assert all(set(g) == {"guard", "requirement", "met", "hard"} for g in options["start_investigation"]["guards"])


def test_agent_of_another_department_gets_404_for_a_case_outside_their_scope(api_as: Callable[[str], ApiClient], ready_for_investigation: Case) -> None:
    other = api_as("agent2")
    hidden = assert_problem(other.get(f"/cases/{ready_for_investigation.number}"), 404, "not-found")
    missing = assert_problem(other.get("/cases/C-1999-000001"), 404, "not-found")
    # The same answer whether the case exists or not.
    assert hidden["detail"] == missing["detail"]
    assert other.get(f"/cases/{ready_for_investigation.number}/messages").status_code == 404
    assert other.post(f"/cases/{ready_for_investigation.number}/notes", {"body": "x"}).status_code == 404


def test_agent_of_another_department_does_not_find_the_case_in_the_list(api_as: Callable[[str], ApiClient], ready_for_investigation: Case) -> None:
    body = api_as("agent2").get("/cases").json()
    assert body["count"] == 0
    assert ready_for_investigation.number not in [c["number"] for c in body["items"]]
    mine = api_as("agent").get("/cases").json()
    assert [c["number"] for c in mine["items"]] == [ready_for_investigation.number]


def test_list_filters_by_stage_severity_department_and_text(api_as: Callable[[str], ApiClient], open_case: Any, company: dict[str, Any], users: dict[str, Any]) -> None:
    cold = open_case(severity=2, department=company["cs"], subject="湯裡有蟑螂")
    open_case(severity=4, department=company["cs"], subject="等太久")
    open_case(severity=2, subject="沒有部門")
    client = api_as("manager")

    def numbers(**params: Any) -> list[str]:
        response = client.get("/cases", params)
        assert response.status_code == 200, response.content
        return [c["number"] for c in response.json()["items"]]

    assert cold.number in numbers(severity=2, department="cs")
    assert len(numbers(severity=2, department="cs")) == 1
    assert numbers(q="蟑螂") == [cold.number]
    assert numbers(q="蟑") == [cold.number]  # one character: a prefix, as while typing
    assert len(numbers(q="冷")) == 3  # the text searched is the whole thread (the fixture's messages say 冷)
    assert len(numbers(stage="intake")) == 3
    assert numbers(stage="closed") == []
    assert len(numbers(scope="departments")) == 2  # the manager is in cs; one case has no department


def test_list_refuses_an_unknown_filter_value_with_422(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    body = assert_problem(api_as("agent").get("/cases", {"stage": "limbo"}), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["stage"]


def test_list_is_paginated_with_a_total_count(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    numbers = [open_case(subject=f"case {i}").number for i in range(5)]
    client = api_as("manager")
    first = client.get("/cases", {"limit": 2, "offset": 0}).json()
    second = client.get("/cases", {"limit": 2, "offset": 2}).json()
    last = client.get("/cases", {"limit": 2, "offset": 4}).json()
    assert (first["count"], first["limit"], first["offset"]) == (5, 2, 0)
    seen = [c["number"] for page in (first, second, last) for c in page["items"]]
    assert sorted(seen) == sorted(numbers) and len(seen) == 5
    assert_problem(client.get("/cases", {"limit": 1000}), 422)


def test_list_query_count_does_not_grow_with_the_number_of_cases(api_as: Callable[[str], ApiClient], open_case: Any, company: dict[str, Any], users: dict[str, Any]) -> None:
    client = api_as("agent")
    client.get("/cases")  # the token's first use writes last_used_at; keep that out of the count

    def count_queries() -> int:
        # A fresh user object each request, as in production: permissions and departments load once.
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cases").status_code == 200
        return len(ctx.captured_queries)

    open_case(department=company["cs"], category=company["category"], branch=company["branch"], assignee=users["agent"])
    few = count_queries()
    for _ in range(4):
        open_case(department=company["cs"], category=company["category"], branch=company["branch"], assignee=users["agent"])
    assert count_queries() == few
    # token+user, group permissions, user permissions, departments, count, page
    assert few == 6


# Creating


def test_create_case_for_an_existing_customer(api_as: Callable[[str], ApiClient], customer: Customer, company: dict[str, Any]) -> None:
    response = api_as("agent").post("/cases", {
        "customer": customer.pk, "subject": "便當少了一道菜", "channel": "phone",
        "body": "今天訂的便當少了滷蛋。", "fields": {"department": "cs", "severity": "S3"},
    })
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert (case.customer, case.stage, case.department.code, case.severity) == (customer, Stage.INTAKE, "cs", 3)
    assert case.messages.count() == 1
    assert AuditEvent.objects.filter(action="case.created", object_id=str(case.pk)).exists()


def test_create_case_with_a_new_customer(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    response = api_as("agent").post("/cases", {
        "new_customer": {"name": "陳美玲", "identities": [{"kind": "email", "value": "Meiling@Example.com"}]},
        "subject": "退款未入帳", "channel": "email", "body": "上週申請的退款還沒收到。",
    })
    assert response.status_code == 201, response.content
    customer = Case.objects.get(number=response.json()["number"]).customer
    assert customer.display_name == "陳美玲"
    assert list(customer.identities.values_list("external_id", flat=True)) == ["meiling@example.com"]


def test_a_refused_case_leaves_no_new_customer_behind(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    before = Customer.objects.count()
    response = api_as("agent").post("/cases", {
        "new_customer": {"name": "林先生"}, "subject": "x", "channel": "phone", "body": "y",
        "fields": {"category": "no-such-category"},
    })
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["category"]
    assert Customer.objects.count() == before


def test_create_needs_exactly_one_customer(api_as: Callable[[str], ApiClient], customer: Customer) -> None:
    response = api_as("agent").post("/cases", {"subject": "x", "channel": "phone", "body": "y"})
    assert_problem(response, 422, "validation-error")


def test_over_long_subject_is_422_naming_the_field(api_as: Callable[[str], ApiClient], customer: Customer) -> None:
    response = api_as("agent").post("/cases", {
        "customer": customer.pk, "subject": "長" * 201, "channel": "phone", "body": "y",
    })
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["subject"]
    assert not Case.objects.exists()


def test_executive_may_not_open_cases(api_as: Callable[[str], ApiClient], customer: Customer) -> None:
    response = api_as("executive").post("/cases", {"customer": customer.pk, "subject": "x", "channel": "phone", "body": "y"})
    assert_problem(response, 403, "forbidden")


def test_malformed_json_body_is_400_problem(api_as: Callable[[str], ApiClient], users: dict[str, Any]) -> None:
    response = api_as("agent").post("/cases", raw='{"subject": "unterminated')
    assert_problem(response, 400, "malformed-request")


# Changing fields


def test_patch_changes_fields_through_the_service_and_audits(api_as: Callable[[str], ApiClient], open_case: Any, company: dict[str, Any]) -> None:
    case = open_case()
    response = api_as("agent").patch(f"/cases/{case.number}", {"category": "cold-food", "severity": 2, "department": "cs"})
    assert response.status_code == 200, response.content
    assert response.json()["fields"]["severity"] == 2
    case.refresh_from_db()
    assert (case.category.code, case.severity, case.department.code) == ("cold-food", 2, "cs")
    assert AuditEvent.objects.filter(action="case.changed", object_id=str(case.pk)).exists()


def test_patch_with_a_forged_stage_is_422_naming_the_field_and_changes_nothing(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    response = api_as("agent").patch(f"/cases/{case.number}", {"stage": "closed", "severity": 2})
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["stage"]
    case.refresh_from_db()
    assert (case.stage, case.severity) == (Stage.INTAKE, None)
    assert not AuditEvent.objects.filter(action="case.changed").exists()


def test_patch_with_an_unknown_category_is_422(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    body = assert_problem(api_as("agent").patch(f"/cases/{case.number}", {"category": "nope"}), 422, "validation-error")
    assert body["errors"][0]["field"] == "category"
    assert "nope" in body["errors"][0]["detail"]


def test_patch_of_a_case_outside_scope_is_404(api_as: Callable[[str], ApiClient], ready_for_investigation: Case) -> None:
    assert_problem(api_as("agent2").patch(f"/cases/{ready_for_investigation.number}", {"severity": 1}), 404)
    ready_for_investigation.refresh_from_db()
    assert ready_for_investigation.severity == 3


# Messages and notes


def test_post_reply_and_customer_message_then_list_them(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    client = api_as("agent")
    reply = client.post(f"/cases/{case.number}/messages", {"body": "已為您退款。", "carries_resolution": True})
    assert reply.status_code == 201, reply.content
    assert (reply.json()["direction"], reply.json()["carries_resolution"], reply.json()["author"]) == ("out", True, "agent")
    inbound = client.post(f"/cases/{case.number}/messages", {"body": "收到了，謝謝。", "direction": "in"})
    assert inbound.status_code == 201
    listed = client.get(f"/cases/{case.number}/messages").json()
    assert [m["direction"] for m in listed] == ["in", "out", "in"]


def test_an_inbound_message_cannot_carry_the_resolution(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    response = api_as("agent").post(f"/cases/{case.number}/messages", {"body": "x", "direction": "in", "carries_resolution": True})
    assert_problem(response, 422)


def test_post_and_list_notes_with_mentions(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    client = api_as("agent")
    response = client.post(f"/cases/{case.number}/notes", {"body": "@staff 請協助查外送紀錄"})
    assert response.status_code == 201, response.content
    assert response.json()["mentions"] == ["staff"]
    assert [n["body"] for n in client.get(f"/cases/{case.number}/notes").json()] == ["@staff 請協助查外送紀錄"]


# Transitions


def test_transition_success_returns_the_new_state(api_as: Callable[[str], ApiClient], ready_for_investigation: Case) -> None:
    response = api_as("agent").post(f"/cases/{ready_for_investigation.number}/transitions", {"to": "investigation"})
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "investigation"
    assert {o["id"] for o in response.json()["available_transitions"]} >= {"prepare_response"}
    ready_for_investigation.refresh_from_db()
    assert ready_for_investigation.stage == Stage.INVESTIGATION


def test_refused_transition_is_409_listing_failed_guards(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    response = api_as("agent").post(f"/cases/{case.number}/transitions", {"to": "investigation"})
    body = assert_problem(response, 409, "transition-refused")
    assert body["code"] == "guards_failed"
    assert body["detail"]
    assert {g["guard"] for g in body["failed_guards"]} == {"category_set", "severity_set", "department_set", "customer_acknowledged"}
    assert all(g["met"] is False and g["hard"] is False and g["requirement"] for g in body["failed_guards"])
    case.refresh_from_db()
    assert case.stage == Stage.INTAKE


def test_refusal_detail_follows_accept_language(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    response = api_as("agent").post(f"/cases/{case.number}/transitions", {"to": "investigation"}, **{"Accept-Language": "en"})
    assert_problem(response, 409)
    assert response["Content-Language"] == "en"
    assert response.json()["detail"] == "The exit criteria of this stage are not met."


def test_author_of_the_resolution_reply_is_refused_qa_by_a_hard_rule_even_with_override(api_as: Callable[[str], ApiClient], ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    writer = users["qa2"]
    org_services.set_roles(writer, ["qa", "agent", "manager"])  # manager: holds the override permission
    org_services.join_department(writer, company["cs"])
    client = api_as("qa2")
    agent = users["agent"]
    case = transition(ready_for_investigation, "investigation", by=agent)
    case = transition(case, "response", by=agent, fields={"findings": "x", "root_cause": company["root_cause"].code})
    assert client.post(f"/cases/{case.number}/messages", {"body": "處理結果如下。", "carries_resolution": True}).status_code == 201
    transition(case, "qa", by=agent, fields={"resolution_code": "apology"})

    response = client.post(f"/cases/{case.number}/transitions", {
        "to": "closed", "checklist": CHECKLIST, "override": True, "reason": "I reviewed it myself, it is fine",
    })

    body = assert_problem(response, 409, "transition-refused")
    assert body["code"] == "hard_rule"
    assert body["failed_guards"] == [{
        "guard": "reviewer_independent", "requirement": body["failed_guards"][0]["requirement"],
        "met": False, "hard": True,
    }]
    assert Case.objects.get(pk=case.pk).stage == Stage.QA


def test_independent_qa_closes_with_the_signed_checklist(api_as: Callable[[str], ApiClient], ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = to_qa(ready_for_investigation, users, company)
    response = api_as("qa").post(f"/cases/{case.number}/transitions", {"to": "closed", "checklist": CHECKLIST})
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["close_reason"]) == ("closed", "resolved")


def test_manager_override_moves_past_failed_guards_with_a_reason(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    client = api_as("manager")
    without_reason = client.post(f"/cases/{case.number}/transitions", {"to": "investigation", "override": True})
    assert assert_problem(without_reason, 409)["code"] == "override_reason_required"

    response = client.post(f"/cases/{case.number}/transitions", {
        "to": "investigation", "override": True, "reason": "顧客很急，先開始調查再補資料",
    })

    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "investigation"
    override = Override.objects.get(case=case)
    assert set(override.failed_guards) == {"category_set", "severity_set", "department_set", "customer_acknowledged"}


def test_agent_may_not_override(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    response = api_as("agent").post(f"/cases/{case.number}/transitions", {
        "to": "investigation", "override": True, "reason": "顧客很急，先開始調查再補資料",
    })
    assert assert_problem(response, 409)["code"] == "override_not_permitted"


def test_transition_fields_are_validated_like_patch(api_as: Callable[[str], ApiClient], open_case: Any) -> None:
    case = open_case()
    response = api_as("agent").post(f"/cases/{case.number}/transitions", {"to": "investigation", "fields": {"stage": "closed"}})
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["stage"]
