"""The new-case form and the case page: steps, refusals, overrides, replies and notes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tingjian.cases import services as case_services
from tingjian.cases.models import Case, Override, Stage
from tingjian.cases.workflow import transition
from tingjian.customers.models import Customer
from tingjian.org.tests.factories import make_user

pytestmark = pytest.mark.django_db

CHECKLIST = ["facts_verified", "every_point_answered", "tone", "corrective_action"]


def _url(case: Case, name: str = "case-detail") -> str:
    return reverse(f"web:{name}", args=[case.number])


def _to_qa(case: Case, users: dict[str, Any], company: dict[str, Any]) -> Case:
    agent = users["agent"]
    transition(case, Stage.INVESTIGATION, by=agent)
    case_services.update_case(case, by=agent, fields={"findings": "湯品保溫袋破損", "root_cause": company["root_cause"]})
    transition(case, Stage.RESPONSE, by=agent)
    case_services.update_case(case, by=agent, fields={"resolution_code": "apology", "assignee": agent})
    case_services.record_reply(case, body="已致歉並補送餐點。", by=agent, carries_resolution=True)
    return transition(case, Stage.QA, by=agent)


# --- new case -------------------------------------------------------------------------


def test_new_case_with_a_new_customer_opens_the_case(agent_client: Client, company: dict[str, Any]) -> None:
    assert agent_client.get(reverse("web:case-new")).status_code == 200
    response = agent_client.post(reverse("web:case-new"), {
        "new_customer_name": "林美華", "new_customer_phone": "0922-111-222", "channel": "phone",
        "subject": "分店服務態度不佳", "body": "店員對我大聲說話。",
        "category": company["category"].pk, "department": company["cs"].pk, "severity": "3",
    })
    case = Case.objects.get(subject="分店服務態度不佳")
    assert response.status_code == 302
    assert response["Location"] == _url(case)
    assert case.customer.display_name == "林美華"
    assert case.department == company["cs"]
    assert case.messages.get().body == "店員對我大聲說話。"


def test_new_case_for_an_existing_customer(agent_client: Client, customer: Customer) -> None:
    found = agent_client.get(reverse("web:customer-search"), {"customer_q": "0912"}).content.decode()
    assert "王小明" in found
    agent_client.post(reverse("web:case-new"), {
        "customer": customer.pk, "channel": "phone", "subject": "又是冷的", "body": "第二次了。",
    })
    assert Case.objects.get(subject="又是冷的").customer == customer


def test_new_case_errors_are_shown_and_nothing_is_created(agent_client: Client) -> None:
    response = agent_client.post(reverse("web:case-new"), {
        "new_customer_name": "林美華", "channel": "phone", "subject": "", "body": "",
    })
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"subject", "body", "new_customer_phone"} <= set(errors)
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


def test_new_case_service_error_leaves_no_customer_behind(agent_client: Client) -> None:
    response = agent_client.post(reverse("web:case-new"), {
        "new_customer_name": "林美華", "new_customer_phone": "12", "channel": "phone",
        "subject": "主旨", "body": "內容",
    })
    assert response.status_code == 422
    assert "new_customer_phone" in response.context["form"].errors
    assert Customer.objects.count() == 0


# --- case page ----------------------------------------------------------------------


def test_case_page_shows_met_and_missing_guards(agent_client: Client, open_case: Any) -> None:
    case = open_case(severity=3)
    page = agent_client.get(_url(case)).content.decode()
    assert "開始調查" in page or "Start investigation" in page
    assert 'class="met"' in page
    assert 'class="missing"' in page
    assert 'aria-current="step"' in page


def test_transition_post_moves_the_stage(agent_client: Client, ready_for_investigation: Case) -> None:
    case = ready_for_investigation
    response = agent_client.post(_url(case, "case-transition"), {"transition": "start_investigation"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.INVESTIGATION


def test_refused_transition_shows_failed_guards_and_changes_nothing(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    response = agent_client.post(_url(case, "case-transition"), {"transition": "start_investigation"})
    assert response.status_code == 422
    refusal = response.context["refusal"]
    assert refusal.code == "guards_failed"
    page = response.content.decode()
    for guard in refusal.failed_guards:
        assert guard.requirement in page
    case.refresh_from_db()
    assert case.stage == Stage.INTAKE


def test_manager_can_override_with_a_reason(client_for: Any, open_case: Any) -> None:
    case = open_case()
    manager = client_for("manager")
    assert "override" in manager.get(_url(case)).content.decode()
    response = manager.post(_url(case, "case-transition"), {
        "transition": "start_investigation", "override": "on", "reason": "顧客送醫，必須立即調查。",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.INVESTIGATION
    assert Override.objects.filter(case=case).count() == 1
    assert "顧客送醫" in manager.get(_url(case)).content.decode()


def test_agent_override_is_refused(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    assert 'name="override"' not in agent_client.get(_url(case)).content.decode()
    response = agent_client.post(_url(case, "case-transition"), {
        "transition": "start_investigation", "override": "on", "reason": "我覺得可以先開始調查",
    })
    assert response.status_code == 422
    assert response.context["refusal"].code == "override_not_permitted"
    case.refresh_from_db()
    assert case.stage == Stage.INTAKE


def test_self_qa_is_refused_by_a_hard_rule(
    client_for: Any, ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]
) -> None:
    # A reviewer who also works cases as an agent, and is this case's assignee.
    reviewer = make_user("qa_agent", "qa", "agent", departments=(company["cs"],))
    case = _to_qa(ready_for_investigation, users, company)
    case_services.update_case(case, by=users["manager"], fields={"assignee": reviewer})
    qa = Client()
    qa.force_login(reviewer)
    page = qa.get(_url(case)).content.decode()
    assert "badge hard" in page
    data = {"transition": "qa_approve", **{f"check_{i}": "on" for i in CHECKLIST}}
    response = qa.post(_url(case, "case-transition"), data)
    assert response.status_code == 422
    assert response.context["refusal"].code == "hard_rule"
    assert "badge hard" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.QA


def test_independent_qa_signs_the_checklist_and_closes(
    client_for: Any, ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]
) -> None:
    case = _to_qa(ready_for_investigation, users, company)
    qa = client_for("qa2")
    page = qa.get(_url(case)).content.decode()
    assert 'name="check_tone"' in page
    unsigned = qa.post(_url(case, "case-transition"), {"transition": "qa_approve"})
    assert unsigned.context["refusal"].code == "guards_failed"
    data = {"transition": "qa_approve", **{f"check_{i}": "on" for i in CHECKLIST}}
    assert qa.post(_url(case, "case-transition"), data).status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.CLOSED


def test_close_as_duplicate_takes_the_master_number(agent_client: Client, open_case: Any) -> None:
    master = open_case(subject="第一通電話")
    case = open_case(subject="同一件事又打來")
    response = agent_client.post(_url(case, "case-transition"), {
        "transition": "close_duplicate", "duplicate_of": master.number,
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.CLOSED


def test_edit_panel_updates_fields(agent_client: Client, open_case: Any, company: dict[str, Any]) -> None:
    case = open_case()
    response = agent_client.post(_url(case, "case-update"), {
        "category": company["category"].pk, "severity": "2", "department": company["cs"].pk,
        "findings": "", "resolution_code": "",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.category, case.severity, case.department) == (company["category"], 2, company["cs"])


def test_edit_service_error_is_shown_beside_the_field(client_for: Any, open_case: Any) -> None:
    case = open_case(safety=True)
    response = client_for("manager").post(_url(case, "case-update"), {
        "severity": "3", "safety": "on", "reason": "顧客只是抱怨湯冷，沒有人受傷，不屬人身安全。",
    })
    assert response.status_code == 422
    assert "severity" in response.context["edit_form"].errors
    case.refresh_from_db()
    assert case.severity == 1


def test_qa_cannot_edit_fields(client_for: Any, open_case: Any) -> None:
    case = open_case()
    page = client_for("qa").get(_url(case)).content.decode()
    assert _url(case, "case-update") not in page


def test_manager_approves_compensation(client_for: Any, open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    case_services.update_case(case, by=users["agent"], fields={"compensation_amount": "1500"})
    manager = client_for("manager")
    assert _url(case, "case-approve-compensation") in manager.get(_url(case)).content.decode()
    assert _url(case, "case-approve-compensation") not in client_for("agent").get(_url(case)).content.decode()
    manager.post(_url(case, "case-approve-compensation"))
    case.refresh_from_db()
    assert case.compensation_approved_by == users["manager"]


def test_reply_and_note_are_posted(agent_client: Client, open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    agent_client.post(_url(case, "case-reply"), {"body": "您好，已為您處理。", "carries_resolution": "on"})
    reply = case.messages.get(direction="out")
    assert reply.carries_resolution
    agent_client.post(_url(case, "case-note"), {"body": "請 @staff 查監視器"})
    page = agent_client.get(_url(case)).content.decode()
    assert '<mark class="mention">@staff</mark>' in page
    assert "您好，已為您處理。" in page


def test_empty_reply_shows_an_error(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    response = agent_client.post(_url(case, "case-reply"), {"body": ""})
    assert response.status_code == 422
    assert case.messages.filter(direction="out").count() == 0


def test_note_mentions_are_escaped(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    agent_client.post(_url(case, "case-note"), {"body": "<b>x</b> @staff"})
    page = agent_client.get(_url(case)).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_unknown_duplicate_number_is_a_message_and_changes_nothing(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    response = agent_client.post(_url(case, "case-transition"), {
        "transition": "close_duplicate", "duplicate_of": "C-1999-000001",
    })
    assert response.status_code == 422
    assert "C-1999-000001" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.INTAKE


def test_qa_reject_without_reason_is_refused(
    client_for: Any, ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]
) -> None:
    case = _to_qa(ready_for_investigation, users, company)
    response = client_for("qa2").post(_url(case, "case-transition"), {"transition": "qa_reject", "reason": "no"})
    assert response.status_code == 422
    assert response.context["refusal"].code == "reason_required"


def test_unknown_step_is_a_message_not_an_error(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    response = agent_client.post(_url(case, "case-transition"), {"transition": "fly_to_the_moon"})
    assert response.status_code == 302


def test_other_department_cannot_post_to_the_case(client_for: Any, open_case: Any, company: dict[str, Any]) -> None:
    case = open_case(department=company["cs"])
    other = client_for("agent2")
    assert other.post(_url(case, "case-note"), {"body": "hi"}).status_code == 404
    assert other.post(_url(case, "case-transition"), {"transition": "start_investigation"}).status_code == 404
