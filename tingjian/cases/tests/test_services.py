"""Opening and changing cases: validation, scope, mentions, first response."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.alerts.models import Notification
from tingjian.cases import selectors, services
from tingjian.cases.models import Case, Severity
from tingjian.cases.permissions import can_view

pytestmark = pytest.mark.django_db


def test_case_numbers_count_up_per_year(open_case: Any) -> None:
    first, second = open_case(), open_case()
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert first.number[2:6] == str(first.opened_at.year)


def test_unknown_category_is_refused_and_nothing_is_created(open_case: Any) -> None:
    before = Case.objects.count()
    with pytest.raises(ValidationError) as exc:
        open_case(category="no-such-thing")
    assert "category" in exc.value.message_dict
    assert Case.objects.count() == before


def test_a_category_group_is_not_a_category(open_case: Any, company: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        open_case(category=company["category"].parent.code)
    assert "category" in exc.value.message_dict


def test_over_long_subject_is_refused(open_case: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        open_case(subject="長" * 201)
    assert "subject" in exc.value.message_dict


def test_unknown_field_is_refused(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    with pytest.raises(ValidationError) as exc:
        services.update_case(case, by=users["agent"], fields={"number": "C-1999-000001"})
    assert "number" in exc.value.message_dict


def test_safety_flag_makes_the_case_s1_and_keeps_it_there(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case(severity=4, safety=True)
    assert case.severity == Severity.S1
    with pytest.raises(PermissionDenied):  # lowering S1 is a manager's call
        services.update_case(case, by=users["agent"], fields={"severity": 3})
    with pytest.raises(ValidationError):  # even a manager removes the flag first
        services.update_case(case, by=users["manager"], fields={"severity": 3}, reason="Not a safety case after all.")
    case.refresh_from_db()
    assert case.severity == Severity.S1


def test_first_response_time_is_the_first_reply(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    assert case.first_response_at is None
    first = services.record_reply(case, body="您好，已收到。", by=users["agent"])
    services.record_reply(case, body="補充說明。", by=users["agent"])
    case.refresh_from_db()
    assert case.first_response_at == first.sent_at


def test_empty_reply_is_refused(open_case: Any, users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        services.record_reply(open_case(), body="   ", by=users["agent"])


def test_agent_sees_own_departments_and_not_others(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    cs_case = open_case(department=company["cs"])
    logistics_case = open_case(by=users["manager"], department=company["logistics"])
    visible = set(selectors.case_list(users["agent"], selectors.CaseFilters(scope="all")))
    assert cs_case in visible and logistics_case not in visible
    assert can_view(users["agent2"], logistics_case) and not can_view(users["agent2"], cs_case)
    with pytest.raises(Case.DoesNotExist):
        selectors.get_case(users["agent2"], cs_case.number)


def test_managers_and_executives_see_all(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case(department=company["logistics"])
    assert can_view(users["manager"], case) and can_view(users["executive"], case) and can_view(users["qa"], case)


def test_executive_may_read_but_not_change(open_case: Any, users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.update_case(open_case(), by=users["executive"], fields={"severity": 2})


def test_agent_cannot_change_another_departments_case(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case(department=company["cs"])
    with pytest.raises(PermissionDenied):
        services.update_case(case, by=users["agent2"], fields={"severity": 2})
    with pytest.raises(PermissionDenied):
        services.add_note(case, body="看看", by=users["agent2"])


def test_mention_notifies_a_colleague_of_another_department_who_may_then_see_the_case(
    open_case: Any, users: dict[str, Any], company: dict[str, Any]
) -> None:
    case = open_case(department=company["cs"])
    assert not can_view(users["agent2"], case)
    note = services.add_note(case, body="@agent2 請協助確認外送司機的路線紀錄", by=users["agent"])
    assert list(note.mentions.all()) == [users["agent2"]]
    notification = Notification.objects.get(recipient=users["agent2"])
    assert case.number in notification.text and notification.url.endswith(f"/cases/{case.number}/")
    assert can_view(users["agent2"], case)


def test_unknown_mentions_and_self_mentions_notify_nobody(open_case: Any, users: dict[str, Any]) -> None:
    services.add_note(open_case(), body="@nobody @agent 寄信給 a@b.com", by=users["agent"])
    assert not Notification.objects.exists()


def test_assigning_a_case_notifies_the_assignee(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    services.update_case(case, by=users["agent"], fields={"assignee": "staff"})
    assert Notification.objects.get(recipient=users["staff"]).kind == "case.assigned"


def test_cannot_assign_to_someone_who_cannot_work_cases(open_case: Any, users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.update_case(open_case(), by=users["agent"], fields={"assignee": "executive"})
    assert "assignee" in exc.value.message_dict


def test_customer_cases_are_listed_for_the_panel(open_case: Any, users: dict[str, Any]) -> None:
    first, second = open_case(), open_case()
    assert list(selectors.customer_cases(users["agent"], first)) == [second, first]


def test_list_filters(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    s1 = open_case(severity=1, department=company["cs"], branch=company["branch"])
    open_case(severity=3, department=company["cs"])
    f = selectors.CaseFilters(scope="all", severity=1, branch=company["branch"].code)
    assert list(selectors.case_list(users["manager"], f)) == [s1]
